"""Likelihood-ratio tests against lme4's ``anova(m0, m1)`` (refitted by ML)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.errors import InferenceError
from lmmcore.inference.lrt import COLUMNS, anova
from tests.refs import load_reference

REFERENCE_COLUMNS = dict(zip(COLUMNS, ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "p"]))


@cache
def fitted(formula: str, data: str, reml: bool = True):
    return lmmcore.fit(formula, lmmcore.datasets.load(data), reml=reml)


@pytest.mark.parametrize("name", ["lrt_sleepstudy", "lrt_biomass"])
def test_anova_matches_lme4(name):
    ref = load_reference(name)
    models = [fitted(f, ref["data"]) for f in ref["formulas"]]
    # given in reverse order: rows still come out by increasing npar
    table = anova(*models[::-1], names=ref["rownames"][::-1])
    assert list(table.index) == ref["rownames"]
    assert list(table.columns) == COLUMNS
    for ours, theirs in REFERENCE_COLUMNS.items():
        expected = np.array([np.nan if v is None else v for v in ref[theirs]], dtype=float)
        # ML refits reach lme4's deviance to ~1e-9 relative; the p-value follows Chisq
        np.testing.assert_allclose(table[ours].to_numpy(dtype=float), expected, rtol=1e-6, err_msg=ours)


def test_refit_gives_the_ml_loglik_of_lme4():
    ml = load_reference("sleepstudy_slopes_ml")
    reml = fitted("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    smaller = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    table = anova(smaller, reml)
    assert list(table.index) == ["m1", "m2"]
    assert table.loc["m2", "logLik"] == pytest.approx(ml["logLik"], rel=1e-9)
    assert table.loc["m2", "deviance"] == pytest.approx(ml["deviance_ml"], rel=1e-9)


def test_without_refit_reml_logliks_are_used():
    a = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    b = fitted("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    table = anova(a, b, refit=False)
    assert table.loc["m2", "logLik"] == pytest.approx(load_reference("sleepstudy_slopes")["logLik"], rel=1e-9)
    assert table.loc["m2", "Chisq"] == pytest.approx(2 * (b.loglik - a.loglik), rel=1e-12)


def test_ml_fits_are_not_refitted():
    a = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy", reml=False)
    b = fitted("Reaction ~ Days + (Days | Subject)", "sleepstudy", reml=False)
    table = anova(a, b)
    assert table.loc["m2", "logLik"] == b.loglik


def test_needs_two_models():
    with pytest.raises(InferenceError, match="at least two"):
        anova(fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy"))


def test_keywords_label_rows_as_lme4s_object_names():
    """lme4's anova(slopes, intercepts, uncorrelated): rows named after the objects, ordered by npar."""
    ref = load_reference("lrt_sleepstudy_named")
    models = {name: fitted(f, ref["data"]) for name, f in zip(ref["names"], ref["formulas"])}
    table = anova(**models)
    assert list(table.index) == ref["rownames"] == ["intercepts", "uncorrelated", "slopes"]
    for ours, theirs in REFERENCE_COLUMNS.items():
        expected = np.array([np.nan if v is None else v for v in ref[theirs]], dtype=float)
        np.testing.assert_allclose(table[ours].to_numpy(dtype=float), expected, rtol=1e-6, err_msg=ours)


def test_models_with_as_many_parameters_get_no_p_value():
    """lme4's anova(no_days, uncorrelated), 5 parameters each: rows in the order given, Chisq from the
    log-likelihoods, Df 0 and no p-value (NA in R)."""
    ref = load_reference("lrt_sleepstudy_same_npar")
    models = {name: fitted(f, ref["data"]) for name, f in zip(ref["names"], ref["formulas"])}
    table = anova(**models)
    assert list(table.index) == ref["rownames"]
    for ours, theirs in REFERENCE_COLUMNS.items():
        expected = np.array([np.nan if v is None else v for v in ref[theirs]], dtype=float)
        np.testing.assert_allclose(table[ours].to_numpy(dtype=float), expected, rtol=1e-6, err_msg=ours)


def test_any_text_labels_a_row():
    """The app labels rows with formulas: any string works, through a dict or names=."""
    small = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    big = fitted("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    by_keywords = anova(**{"Reaction ~ Days + (Days | Subject)": big, "<b>my model</b>": small})
    assert list(by_keywords.index) == ["<b>my model</b>", "Reaction ~ Days + (Days | Subject)"]
    by_names = anova(big, small, names=["Reaction ~ Days + (Days | Subject)", "<b>my model</b>"])
    pd.testing.assert_frame_equal(by_keywords, by_names)
    mixed = anova(small, big=big)
    assert list(mixed.index) == ["m1", "big"]
    assert mixed.loc["big", "Chisq"] == pytest.approx(by_names.iloc[1]["Chisq"], rel=1e-12)


def test_names_must_match_the_models():
    m = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    with pytest.raises(InferenceError, match="names must give 2 labels"):
        anova(m, m, names=["only one"])
    with pytest.raises(InferenceError, match="its own label"):
        anova(m, m, names=["a", "a"])
    with pytest.raises(InferenceError, match="its own label"):
        anova(m, m1=m)  # the positional model is m1 too
    with pytest.raises(InferenceError, match="at least two"):
        anova(only=m)


def test_different_rows_are_refused():
    data = lmmcore.datasets.load("sleepstudy")
    full = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    fewer = lmmcore.fit("Reaction ~ Days + (Days | Subject)", data.iloc[:170])
    with pytest.raises(InferenceError, match="same number of observations"):
        anova(full, fewer)


def test_different_responses_are_refused():
    plain = fitted("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    logged = fitted("log(Reaction) ~ Days + (1 | Subject)", "sleepstudy")
    with pytest.raises(InferenceError, match="different responses"):
        anova(plain, logged)
