"""The builder's state <-> formula translations, checked with lmmcore's real parser."""

from __future__ import annotations

import pytest
from explorer import engine
from explorer.formula_builder import (
    BuilderState,
    RandomSlot,
    canonical,
    compose,
    factor_uses,
    formula_columns,
    same_model,
    state_from_formula,
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


def test_columns_a_formula_reads():
    assert formula_columns("log(incidence/size + 1) ~ x * factor(d) + (1 + t | g/h)") == {
        "incidence",
        "size",
        "x",
        "d",
        "t",
        "g",
        "h",
    }
    assert formula_columns("y ~ x + (1 | ") is None


def test_where_a_formula_puts_levels():
    fixed, groups = factor_uses("y ~ a + factor(b) + a:c + (x | g) + (1 | h:g)")
    assert fixed == {"a": False, "b": True, "c": False}
    assert groups == {"g", "h"}
    assert factor_uses("y ~ (") == ({}, set())


def test_same_model_ignores_spelling():
    assert same_model("y ~ x + (x | g)", "y~x+(1 + x|g)")
    assert not same_model("y ~ x + (1 | g)", "y ~ x + (x | g)")
    assert not same_model("y ~ x + (1 | g)", "y ~ (")
