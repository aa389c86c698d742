"""Random-effects terms: grouping factors, interactions, lme4's order and lme4's checks."""

from __future__ import annotations

import numpy as np
import pytest

from lmmcore.datasets import load
from lmmcore.design import build_design
from lmmcore.errors import FitError
from lmmcore.formula.spec import FormulaSpec, RandomTerm, Variable


def test_terms_sorted_by_decreasing_levels_stably(toy):
    design = build_design("y ~ 1 + (1 | h) + (1 | g) + (0 + x | g)", toy)
    assert [(b.group, b.names) for b in design.reterms] == [
        ("g", ("(Intercept)",)),
        ("g", ("x",)),
        ("h", ("(Intercept)",)),
    ]


def test_interaction_group_observed_combinations_first_slowest(toy):
    toy = toy.iloc[:40]  # g 10..4 with h u/v
    block = build_design("y ~ 1 + (1 | h:g)", toy).reterms[0]
    assert block.group == "h:g"
    assert block.levels[:3] == ("u:4", "u:5", "u:6")
    labels = np.array(block.levels)[block.refs]
    expected = toy["h"].to_numpy() + ":" + toy["g"].astype(str).to_numpy()
    np.testing.assert_array_equal(labels, expected)


def test_hand_built_spec_nested_like_lme4():
    spec = FormulaSpec(
        text="strength ~ 1 + (1 | batch/cask)",
        response=Variable("strength"),
        intercept=True,
        fixed=(),
        random=(
            RandomTerm(True, (), ("batch",)),
            RandomTerm(True, (), ("cask", "batch")),
        ),
    )
    design = build_design(spec, load("Pastes"))
    assert design.theta_names == ("cask:batch.(Intercept)", "batch.(Intercept)")
    assert design.reterms[0].levels[:2] == ("a:A", "a:B")


def test_slopes_are_the_columns(toy):
    block = build_design("y ~ x + (x | g)", toy).reterms[0]
    assert block.names == ("(Intercept)", "x")
    assert block.theta_names == ("g.(Intercept)", "g.x.(Intercept)", "g.x")
    np.testing.assert_array_equal(block.z, np.column_stack([np.ones(60), toy["x"]]))


def test_one_level_group(toy):
    toy["h"] = "u"
    with pytest.raises(FitError, match="grouping factors must have > 1 sampled level: 'h'"):
        build_design("y ~ x + (1 | h)", toy)


def test_as_many_levels_as_observations(toy):
    toy["id"] = np.arange(60)
    with pytest.raises(FitError, match=r"must be < number of observations \(problems: id"):
        build_design("y ~ x + (1 | id)", toy)


def test_as_many_random_effects_as_observations(toy):
    toy["pair"] = np.arange(60) // 2
    with pytest.raises(FitError, match=r"number of observations \(=60\) <= number of random effects \(=60\)"):
        build_design("y ~ x + (x | pair)", toy)


def test_logical_group_keeps_only_observed_levels(toy):
    toy["flag"] = True
    toy.loc[:29, "flag"] = False
    toy["other"] = toy["flag"].copy()
    toy.loc[:29, "other"] = True  # all TRUE: lme4's factor() gives one level, so the term is rejected
    assert build_design("y ~ x + (1 | flag)", toy).reterms[0].levels == ("FALSE", "TRUE")
    with pytest.raises(FitError, match="'other' has only 1 level"):
        build_design("y ~ x + (1 | other)", toy)
