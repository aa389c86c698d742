"""Formulas that lme4 expands to the same model give the same fit, and lme4's numbers for it.

lme4 1.1-31's numbers for ``Reaction ~ Days + (Days || Subject)`` were printed by R 4.2.2
(``REMLcrit``, ``fixef``, ``getME(m, "theta")``, ``sigma``, standard errors); Pastes' are the reference
``pastes_nested``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore import datasets, fit
from tests.refs import load_reference

LME4_UNCORRELATED = {
    "criterion": 1743.66929358148,
    "fixef": [251.405104848483, 10.467285959596],
    "theta": [0.979896527914237, 0.234231225347045],
    "sigma": 25.5652792015696,
    "se": [6.88538081723721, 1.55956909806857],
}


def _same_fit(a, b):
    """Two fits of one model: identical up to the optimizer's path (both start at lme4's theta0)."""
    assert a.criterion == pytest.approx(b.criterion, rel=1e-10)
    np.testing.assert_allclose(a.fixef.to_numpy(), b.fixef.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(a.theta.to_numpy(), b.theta.to_numpy(), rtol=1e-6, atol=1e-8)
    assert a.sigma == pytest.approx(b.sigma, rel=1e-8)
    assert list(a.theta.index) == list(b.theta.index)
    assert a.ngroups == b.ngroups
    assert list(a.ranef) == list(b.ranef)
    for group in a.ranef:
        pd.testing.assert_frame_equal(a.ranef[group], b.ranef[group], rtol=1e-5, atol=1e-8)


@pytest.fixture(scope="module")
def sleepstudy():
    return datasets.load("sleepstudy")


def test_double_bar_is_two_uncorrelated_terms(sleepstudy):
    double_bar = fit("Reaction ~ Days + (Days || Subject)", sleepstudy)
    spelled_out = fit("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", sleepstudy)
    _same_fit(double_bar, spelled_out)
    # lme4 merges the two terms of one factor into one data frame of modes, and names the second term
    # Subject.1 in VarCorr
    assert list(double_bar.ranef["Subject"].columns) == ["(Intercept)", "Days"]
    assert list(double_bar.varcorr["grp"]) == ["Subject", "Subject.1", "Residual"]


def test_double_bar_matches_lme4(sleepstudy):
    m = fit("Reaction ~ Days + (Days || Subject)", sleepstudy)
    ref = LME4_UNCORRELATED
    assert m.criterion <= ref["criterion"] + 1e-6 * ref["criterion"]
    np.testing.assert_allclose(m.fixef.to_numpy(), ref["fixef"], rtol=1e-4)
    np.testing.assert_allclose(m.theta.to_numpy(), ref["theta"], rtol=1e-3)
    np.testing.assert_allclose(m.sigma, ref["sigma"], rtol=1e-4)
    np.testing.assert_allclose(m.se.to_numpy(), ref["se"], rtol=1e-3)
    assert list(m.theta.index) == ["Subject.(Intercept)", "Subject.Days"]


def test_nested_bar_is_outer_plus_interaction():
    pastes = datasets.load("Pastes")
    nested = fit("strength ~ 1 + (1 | batch/cask)", pastes)
    spelled_out = fit("strength ~ 1 + (1 | batch) + (1 | cask:batch)", pastes)
    _same_fit(nested, spelled_out)
    ref = load_reference("pastes_nested")
    assert list(nested.ngroups) == list(ref["ngroups"])  # cask:batch (30 levels) before batch (10)
    assert nested.criterion <= ref["criterion"] * (1 + 1e-6)
    np.testing.assert_allclose(nested.theta.to_numpy(), ref["theta"], rtol=1e-3)


def test_explicit_intercept_changes_nothing(sleepstudy):
    _same_fit(
        fit("Reaction ~ Days + (Days | Subject)", sleepstudy),
        fit("Reaction ~ 1 + Days + (1 + Days | Subject)", sleepstudy),
    )
