"""Type III F tests of models with interactions against lmerTest 3.1-3's ``anova(m)``.

References: ``tests/reference/lme4/anova_type3/*.json`` made by ``tests/reference/make_anova_references.R``
on ``tests/reference/data/*.csv`` (a 2 x 3 factorial with a covariate, 12 subjects; two variants with an
empty cell, where lme4 drops a column).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.design import build_design
from lmmcore.design.types import Design
from lmmcore.errors import InferenceError
from lmmcore.formula import parse_formula, term_label
from lmmcore.inference.satterthwaite import anova_table, satterthwaite_table, term_columns
from lmmcore.inference.type3 import containment, type3_hypotheses
from tests.refs import REFERENCE_DIR, at_theta, listify, load_reference

NAMES = sorted(p.stem for p in (REFERENCE_DIR / "lme4" / "anova_type3").glob("*.json"))


def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "data" / file)


@cache
def _reference(name: str) -> dict:
    return load_reference(f"lme4/anova_type3/{name}")


@cache
def _fit(name: str):
    ref = _reference(name)
    return lmmcore.fit(ref["formula"], _data(ref["data"]), reml=ref["REML"])


@cache
def _at_reference_theta(name: str):
    return at_theta(_fit(name), _reference(name)["theta"])


def test_references_are_there():
    assert len(NAMES) >= 10
    assert all((REFERENCE_DIR / "data" / _reference(n)["data"]).is_file() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_fit_is_lme4s(name):
    ref, m = _reference(name), _fit(name)
    assert m.design.fixed_names == tuple(ref["fixef"])
    # lme4 stops at a tolerance: our REML criterion may be a little lower, never higher
    assert abs(ref["criterion"]) * -1e-6 < m.criterion - ref["criterion"] <= abs(ref["criterion"]) * 1e-8


@pytest.mark.parametrize("name", NAMES)
def test_hypotheses_are_lmertests(name):
    ref = _reference(name)["hypotheses"]
    ours = type3_hypotheses(_fit(name).design)
    assert list(ours) == ref["terms"]
    for term, matrix in zip(ref["terms"], ref["matrices"]):
        expected = np.array(matrix["values"], dtype=float).reshape(len(listify(matrix["rownames"])), -1)
        # both are rounded by zapsmall to 7 significant digits: equal up to the last of them
        np.testing.assert_allclose(ours[term], expected, rtol=0, atol=1e-9, err_msg=term)


@pytest.mark.parametrize("name", NAMES)
def test_anova_matches_lmertest(name):
    ref = _reference(name)["anova_type3"]
    table = anova_table(_fit(name))
    assert list(table.index) == ref["terms"]
    np.testing.assert_array_equal(table["NumDF"], ref["NumDF"])
    # at our own optimum: lme4's optimizer tolerance moves F, DenDF by < 1e-5 and p by < 1e-4 here
    for ours, theirs in [
        ("F", "F"),
        ("DenDF", "DenDF"),
        ("p", "p"),
        ("Sum Sq", "SumSq"),
        ("Mean Sq", "MeanSq"),
    ]:
        np.testing.assert_allclose(table[ours], ref[theirs], rtol=1e-3, err_msg=ours)


@pytest.mark.parametrize("name", NAMES)
def test_anova_at_lme4s_theta_is_lmertests_arithmetic(name):
    ref = _reference(name)["anova_type3"]
    table = anova_table(_at_reference_theta(name))
    # the same variance parameters: only numDeriv's vs our Richardson differences remain (~1e-7)
    np.testing.assert_allclose(table["F"], ref["F"], rtol=1e-6)
    np.testing.assert_allclose(table["DenDF"], ref["DenDF"], rtol=1e-5)
    np.testing.assert_allclose(table["p"], ref["p"], rtol=1e-4)


@pytest.mark.parametrize("name", NAMES)
def test_t_tests_match_lmertest(name):
    ref = _reference(name)["satterthwaite"]
    table = satterthwaite_table(_at_reference_theta(name))
    assert list(table.index) == ref["terms"]
    np.testing.assert_allclose(table["df"], ref["df"], rtol=1e-5)
    np.testing.assert_allclose(table["p"], ref["p"], rtol=1e-4)


def test_marginal_factor_is_averaged_over_the_other_factor():
    # A in A * B (B with 3 levels): A's effect averaged over B's levels, not at B's reference level
    (h,) = type3_hypotheses(_fit("AxB").design)["A"]
    np.testing.assert_allclose(h, [0, 1, 0, 0, 1 / 3, 1 / 3], atol=1e-7)
    # A in A * x is A at x = 0 (numeric variables differ: no containment); x is the mean slope
    hyp = type3_hypotheses(_fit("Axx").design)
    np.testing.assert_allclose(hyp["A"], [[0, 1, 0, 0]])
    np.testing.assert_allclose(hyp["x"], [[0, 0, 1, 0.5]])


def test_containment_follows_rs_factors_attribute():
    # x + B + x:A: x is coded without contrasts in x:A (A has no main effect), so x is not contained
    assert containment(parse_formula("y ~ x + B + x:A + (1 | s)").fixed, frozenset()) == [[], [], []]
    spec = parse_formula("y ~ A * B * x + (1 | s)")
    x = next(f for t in spec.fixed for f in t.factors if f.name == "x")
    labels = [term_label(t) for t in spec.fixed]
    contained = dict(zip(labels, containment(spec.fixed, frozenset({x}))))
    assert [labels[u] for u in contained["A"]] == ["A:B"]
    assert [labels[u] for u in contained["x"]] == ["A:x", "B:x", "A:B:x"]
    assert contained["A:B:x"] == []


def test_assign_and_aliases_follow_dropped_columns():
    full = build_design("y ~ A * B + (1 | subject)", _data("factorial_covariate.csv"))
    assert full.fixed_terms == ("A", "B", "A:B")
    np.testing.assert_array_equal(full.fixed_assign, [0, 1, 2, 2, 3, 3])
    assert full.fixed_aliases.shape == (6, 0)
    # empty cell (a2, b3): its column Aa2:Bb3 is zero on the data
    zero = build_design("y ~ A * B + (1 | subject)", _data("factorial_missing_cell.csv"))
    assert zero.dropped_fixed == ("Aa2:Bb3",)
    np.testing.assert_array_equal(zero.fixed_assign, [0, 1, 2, 2, 3])
    np.testing.assert_allclose(zero.fixed_aliases, np.zeros((5, 1)), atol=1e-12)
    # empty cell (a1, b3): Aa2:Bb3 equals Bb3 on the data
    same = build_design("y ~ A * B + (1 | subject)", _data("factorial_missing_b3_cell.csv"))
    np.testing.assert_allclose(same.fixed_aliases[:, 0], [0, 0, 0, 1, 0], atol=1e-12)
    assert term_columns(same) == {"A": [1], "B": [2, 3], "A:B": [4]}


def test_with_response_keeps_the_term_structure():
    design = _fit("AxB").design
    other = design.with_response(design.y[::-1])
    assert other.fixed_terms == design.fixed_terms
    np.testing.assert_array_equal(other.fixed_assign, design.fixed_assign)


def test_design_without_term_assignment_is_refused():
    design = _fit("AxB").design
    bare = Design(design.formula, "y", design.y, design.X, design.fixed_names, design.reterms, design.rows)
    with pytest.raises(InferenceError, match="build_design"):
        type3_hypotheses(bare)
