"""Satterthwaite t and F tests against lmerTest 3.1-3 (``coef(summary(m))``, ``anova(m)``)."""

from __future__ import annotations

import numpy as np
import pytest

from lmmcore.errors import InferenceError
from lmmcore.inference.derivatives import richardson_derivatives
from lmmcore.inference.satterthwaite import anova_table, satterthwaite_table, term_columns
from tests.refs import CLASSIC_FITS, at_reference_theta, fitted, listify, load_reference

REFERENCES = [*CLASSIC_FITS, "penicillin_sample_fixed", "sleepstudy_log_quadratic_uncorrelated"]


@pytest.mark.parametrize("name", REFERENCES)
def test_t_tests_match_lmertest(name):
    ref = load_reference(name)["satterthwaite"]
    # at lme4's optimum: lmerTest's own numbers (numDeriv's Richardson differences are exact to ~1e-7)
    table = satterthwaite_table(at_reference_theta(name))
    assert list(table.index) == list(np.atleast_1d(ref["terms"]))
    assert list(table.columns) == ["estimate", "se", "df", "t", "p"]
    np.testing.assert_allclose(table["df"], listify(ref["df"]), rtol=1e-4)
    np.testing.assert_allclose(table["p"], listify(ref["p"]), rtol=1e-3)
    # at our own optimum the df move with theta by < 1e-3; tiny p-values (1e-60) move more with t
    np.testing.assert_allclose(satterthwaite_table(fitted(name))["df"], listify(ref["df"]), rtol=1e-3)


@pytest.mark.parametrize("name", REFERENCES)
def test_f_tests_match_lmertest(name):
    ref = load_reference(name)["anova_satterthwaite"]
    table = anova_table(at_reference_theta(name))
    assert list(table.index) == list(np.atleast_1d(ref["terms"]))
    if table.empty:
        return
    np.testing.assert_array_equal(table["NumDF"], listify(ref["NumDF"]))
    np.testing.assert_allclose(table["F"], listify(ref["F"]), rtol=1e-4)
    np.testing.assert_allclose(table["DenDF"], listify(ref["DenDF"]), rtol=1e-4)
    np.testing.assert_allclose(table["p"], listify(ref["p"]), rtol=1e-3)


def test_t_statistic_is_estimate_over_se_and_f_is_its_square():
    m = fitted("biomass_seed")
    t_table, f_table = satterthwaite_table(m), anova_table(m)
    np.testing.assert_allclose(t_table["estimate"], m.fixef, rtol=1e-12)
    np.testing.assert_allclose(t_table["se"], m.se, rtol=1e-10)
    np.testing.assert_allclose(f_table["F"], t_table["t"].loc[["Temp", "N"]] ** 2, rtol=1e-10)
    np.testing.assert_allclose(f_table["DenDF"], t_table["df"].loc[["Temp", "N"]], rtol=1e-10)


def test_term_columns_follow_the_design():
    assert term_columns(fitted("penicillin_sample_fixed").design) == {"sample": [1, 2, 3, 4, 5]}
    log_quadratic = fitted("sleepstudy_log_quadratic_uncorrelated").design
    assert term_columns(log_quadratic) == {"Days": [1], "I(Days^2)": [2]}


def test_richardson_derivatives_are_exact_to_rounding():
    def func(x):
        return np.array([np.exp(x[0]) * np.sin(x[1]) + x[0] * x[2] ** 3, np.log(x[1])])

    x = np.array([0.7, 1.3, 0.2])
    d = richardson_derivatives(func, x)
    e, s, c = np.exp(0.7), np.sin(1.3), np.cos(1.3)
    jacobian = [[e * s + 0.2**3, e * c, 3 * 0.7 * 0.2**2], [0, 1 / 1.3, 0]]
    hessian0 = [[e * s, e * c, 3 * 0.2**2], [e * c, -e * s, 0], [3 * 0.2**2, 0, 6 * 0.7 * 0.2]]
    np.testing.assert_allclose(d.jacobian, jacobian, atol=1e-10)
    np.testing.assert_allclose(d.hessian[0], hessian0, atol=1e-9)
    assert d.hessian[1, 1, 1] == pytest.approx(-1 / 1.3**2, rel=1e-9)


def test_model_without_random_effects_is_refused():
    import dataclasses
    import types

    m = fitted("dyestuff")
    bare = types.SimpleNamespace(design=dataclasses.replace(m.design, reterms=()), solution=m.solution)
    with pytest.raises(InferenceError, match="random effects"):
        satterthwaite_table(bare)


@pytest.mark.slow
def test_crossed_insteval_df_match_lmertest():
    ref = load_reference("insteval_crossed")
    m = fitted("insteval_crossed")
    # our optimum of this 73,421-row fit differs from lme4's by ~1e-4 in theta: df move by as much
    np.testing.assert_allclose(satterthwaite_table(m)["df"], ref["satterthwaite"]["df"], rtol=1e-3)
    np.testing.assert_allclose(anova_table(m)["DenDF"], [ref["anova_satterthwaite"]["DenDF"]], rtol=1e-3)
