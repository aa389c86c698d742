"""Which formula new data get: a column-type change of the same upload keeps the model in use."""

from __future__ import annotations

from explorer.datasets import Dataset, example
from explorer.panels.model_panel import TypedFormula, formula_for, retyped

SLEEP = example("sleepstudy").frame
ORIGIN = ("upload", "sleep.csv", "2918bbddf750e780", "", ("NA",))
READ_AS = "Reaction ~ Days + (1 | Subject)"
AS_FACTOR = "Reaction ~ 1 + (1 | Subject) + (1 | Days)"


def _upload(origin: tuple, types: tuple, suggestion: str) -> Dataset:
    return Dataset(SLEEP, (*origin, types), "Uploaded sleep.csv", suggestion, overrides=types)


def test_a_type_change_keeps_the_formula_even_when_it_was_the_suggestion():
    before = _upload(ORIGIN, (), READ_AS)
    after = _upload(ORIGIN, (("Days", "factor"),), AS_FACTOR)
    assert retyped(before.key, after)
    assert formula_for(TypedFormula(READ_AS, before.key, READ_AS), after) == READ_AS
    typed = "Reaction ~ Days + (Days || Subject)"
    assert formula_for(TypedFormula(typed, before.key, READ_AS), after) == typed


def test_other_data_get_their_suggestion_over_the_old_ones():
    before = _upload(ORIGIN, (), READ_AS)
    other_file = _upload(("upload", "other.csv", "0123456789abcdef", "", ("NA",)), (), AS_FACTOR)
    other_missing = _upload((*ORIGIN[:4], ("NA", "-99")), (), AS_FACTOR)
    for data in (other_file, other_missing, example("biomass")):
        assert not retyped(before.key, data)
        assert formula_for(TypedFormula(READ_AS, before.key, READ_AS), data) == data.suggested_formula
    # a type change does not keep a formula naming a column the data lack
    after = _upload(ORIGIN, (("Days", "factor"),), AS_FACTOR)
    assert formula_for(TypedFormula("Reaction ~ Temp + (1 | Subject)", before.key, READ_AS), after) == (
        AS_FACTOR
    )
