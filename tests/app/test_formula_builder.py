"""The builder's state <-> formula translations, checked with lmmcore's real parser."""

from __future__ import annotations

import pytest
from explorer import engine
from explorer.formula_builder import (
    BuilderState,
    RandomSlot,
    canonical,
    compose,
    state_from_formula,
    suggest_formula,
)


def test_default_model_round_trips():
    state = state_from_formula(engine.DEFAULT_FORMULA)
    assert state == BuilderState("Biomass", ("Temp", "N"), (), (RandomSlot("Site", "correlated", ("Temp",)),))
    assert compose(state) == engine.DEFAULT_FORMULA


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (BuilderState("y", (), (), (RandomSlot("g"),)), "y ~ 1 + (1 | g)"),
        (BuilderState("y", ("x",), (), (RandomSlot("g", "uncorrelated", ("x",)),)), "y ~ x + (1 + x || g)"),
        (BuilderState("y", (), (), (RandomSlot("batch", "nested", (), "cask"),)), "y ~ 1 + (1 | batch/cask)"),
        (BuilderState("y", (), (), (RandomSlot("a"), RandomSlot("b"))), "y ~ 1 + (1 | a) + (1 | b)"),
        (BuilderState("y", ("a", "b"), ("a:b",), (RandomSlot("g"),)), "y ~ a + b + a:b + (1 | g)"),
        (BuilderState("my y", ("x 1",), (), (RandomSlot("g"),)), "`my y` ~ `x 1` + (1 | g)"),
    ],
)
def test_compose_writes_lme4_syntax_that_reads_back(state, text):
    assert compose(state) == text
    assert canonical(state_from_formula(text)) == canonical(state)


def test_equivalent_spellings_are_the_same_state():
    assert state_from_formula("Reaction ~ Days + (Days | Subject)") == state_from_formula(
        "Reaction ~ Days + (1 + Days | Subject)"
    )
    assert canonical(state_from_formula("y ~ a*b + (1|g)")) == canonical(
        state_from_formula("y ~ b + a + b:a + (1 | g)")
    )


@pytest.mark.parametrize(
    "text",
    [
        "log(y) ~ x + (1 | g)",  # a transformed response
        "y ~ x + (0 + x | g)",  # a slope without intercept
        "y ~ service + (1 | s) + (1 | dept:service)",  # an interaction as grouping factor
        "y ~ 0 + x + (1 | g)",  # no intercept
        "y ~ a:b:c + (1 | g)",  # a three-way interaction
        "y ~ x + (1 | ",  # does not parse
    ],
)
def test_formulas_beyond_the_controls_are_left_alone(text):
    assert state_from_formula(text) is None


def test_a_slot_waiting_for_its_slopes_is_an_intercept_slot():
    waiting = BuilderState("y", ("x",), (), (RandomSlot("g", "correlated"),))
    assert canonical(waiting) == canonical(state_from_formula("y ~ x + (1 | g)"))
    assert compose(waiting) == "y ~ x + (1 | g)"


def test_suggestions_for_uploads():
    assert suggest_formula(engine.load_example("sleepstudy")) == "Reaction ~ 1 + (1 | Subject)"
    assert suggest_formula(engine.load_example("Dyestuff")) == "Yield ~ 1 + (1 | Batch)"
