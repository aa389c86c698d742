"""Which formula new data get: after a column-type change the user's formula stays (even when it was the
suggestion for the old types), the app's suggestion follows the new types."""

from __future__ import annotations

from explorer.datasets import Dataset, example
from explorer.panels.model_panel import TypedFormula, formula_for

SLEEP = example("sleepstudy").frame
ORIGIN = ("upload", "sleep.csv", "2918bbddf750e780", "", ("NA",))
READ_AS = "Reaction ~ Days + (1 | Subject)"
AS_FACTOR = "Reaction ~ 1 + (1 | Subject) + (1 | Days)"


def _upload(types: tuple, suggestion: str) -> Dataset:
    return Dataset(SLEEP, (*ORIGIN, types), "Uploaded sleep.csv", suggestion, overrides=types)


BEFORE = _upload((), READ_AS)
AFTER = _upload((("Days", "factor"),), AS_FACTOR)


def test_the_users_formula_stays_after_a_type_change_even_when_it_was_the_suggestion():
    assert formula_for(TypedFormula(READ_AS, BEFORE.key, READ_AS, by_user=True), AFTER) == READ_AS
    typed = "Reaction ~ Days + (Days || Subject)"
    assert formula_for(TypedFormula(typed, BEFORE.key, READ_AS), AFTER) == typed


def test_the_apps_suggestion_follows_the_new_types_and_a_formula_needs_its_columns():
    assert formula_for(TypedFormula(READ_AS, BEFORE.key, READ_AS), AFTER) == AS_FACTOR
    missing = TypedFormula("Reaction ~ Temp + (1 | Subject)", BEFORE.key, READ_AS, by_user=True)
    assert formula_for(missing, AFTER) == AS_FACTOR
    biomass = example("biomass")
    assert formula_for(TypedFormula(READ_AS, BEFORE.key, READ_AS, by_user=True), biomass) == (
        biomass.suggested_formula
    )
