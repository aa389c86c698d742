"""``fit`` against lme4 1.1-31: every reference fit in ``tests/reference/lme4`` (fields in its README).

Tolerances: lme4 stops its optimizer at a tolerance, so our criterion may be a little *lower*; it must
never be higher than lme4's by more than 1e-6 (relative).  Fixed effects and sigma are determined to
about 1e-4 (relative) by that tolerance; quantities that depend on theta to first order (standard errors,
theta, variance components, conditional modes and SDs) to about 1e-3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.refs import as_frame, fitted, listify, load_reference, reference_names

FIT_REFERENCES = [name for name in reference_names() if not name.startswith("lrt_")]
SLOW = {"insteval_crossed"}


def fitted_reference(name: str):
    """(our fit, lme4's reference) for a reference name; each model is fitted once per session."""
    return fitted(name), load_reference(name)


def _cases():
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in FIT_REFERENCES]


@pytest.fixture(params=_cases())
def case(request):
    return fitted_reference(request.param)


def test_criterion_is_at_most_lme4s(case):
    m, ref = case
    assert m.criterion <= ref["criterion"] + 1e-6 * abs(ref["criterion"])
    # ...and not so much lower that it would be another model (lme4's tolerance is far below this)
    assert m.criterion >= ref["criterion"] - 1e-4 * abs(ref["criterion"])


def test_fixed_effects_and_sigma(case):
    m, ref = case
    assert list(m.fixef.index) == list(ref["fixef"])
    np.testing.assert_allclose(m.fixef.to_numpy(), list(ref["fixef"].values()), rtol=1e-4)
    np.testing.assert_allclose(m.sigma, ref["sigma"], rtol=1e-4)


def test_standard_errors_and_vcov(case):
    m, ref = case
    np.testing.assert_allclose(m.se[list(ref["se"])].to_numpy(), list(ref["se"].values()), rtol=1e-3)
    expected = as_frame(ref["vcov"])
    ours = m.vcov.loc[expected.index, expected.columns].to_numpy()
    scale = np.abs(expected.to_numpy()).max()
    np.testing.assert_allclose(ours, expected.to_numpy(), rtol=1e-3, atol=1e-6 * scale)


def test_theta(case):
    m, ref = case
    assert list(m.theta.index) == listify(ref["theta_names"])
    np.testing.assert_allclose(m.theta.to_numpy(), listify(ref["theta"]), rtol=1e-3, atol=1e-4)


def test_variance_components(case):
    m, ref = case
    ours = m.varcorr
    expected = pd.DataFrame(listify(ref["varcorr"]))
    assert list(ours["grp"]) == list(expected["grp"])
    assert list(ours["var1"].fillna("")) == list(expected["var1"].fillna(""))
    assert list(ours["var2"].fillna("")) == list(expected["var2"].fillna(""))
    np.testing.assert_allclose(ours["vcov"], expected["vcov"], rtol=1e-3, atol=1e-7)
    np.testing.assert_allclose(ours["sdcor"], expected["sdcor"], rtol=1e-3, atol=1e-4)


def test_conditional_modes_and_sds_by_level(case):
    m, ref = case
    assert list(m.ranef) == [r["group"] for r in listify(ref["ranef"])]
    for r in listify(ref["ranef"]):
        terms = listify(r["terms"])
        modes = pd.DataFrame(np.array(r["modes"], dtype=float), index=r["levels"], columns=terms)
        condsd = pd.DataFrame(np.array(r["condsd"], dtype=float), index=r["levels"], columns=terms)
        ours, ours_sd = m.ranef[r["group"]], m.ranef_sd[r["group"]]
        assert sorted(ours.index) == sorted(modes.index) and list(ours.columns) == terms
        atol = 1e-3 * np.abs(modes.to_numpy()).max()  # a mode near 0 is only known to the scale's 1e-3
        np.testing.assert_allclose(ours.loc[modes.index].to_numpy(), modes.to_numpy(), rtol=1e-3, atol=atol)
        np.testing.assert_allclose(ours_sd.loc[condsd.index].to_numpy(), condsd.to_numpy(), rtol=1e-3)


def test_fitted_residuals_and_their_quantiles(case):
    m, ref = case
    atol = 1e-3 * m.sigma  # fitted values move with theta by a small fraction of sigma
    np.testing.assert_allclose(m.fitted.to_numpy(), ref["fitted"], rtol=1e-6, atol=atol)
    np.testing.assert_allclose(m.resid.to_numpy(), ref["resid"], rtol=1e-6, atol=atol)
    quantiles = m.tables()["scaled_residuals"].iloc[0].to_numpy()
    np.testing.assert_allclose(quantiles, ref["scaled_resid_quantiles"], atol=1e-3)


def test_information_criteria(case):
    m, ref = case
    for ours, theirs in [(m.loglik, ref["logLik"]), (m.aic, ref["AIC"]), (m.bic, ref["BIC"])]:
        assert abs(ours - theirs) <= 1e-4 * abs(theirs)
    # the definitions, exactly: df = p + ntheta + 1
    assert m.aic - m.bic == pytest.approx((2 - np.log(m.nobs)) * m.npar)
    assert ref["AIC"] - ref["BIC"] == pytest.approx((2 - np.log(ref["nobs"])) * m.npar)


def test_sizes_and_status(case):
    m, ref = case
    assert m.nobs == ref["nobs"]
    assert m.ngroups == ref["ngroups"] and list(m.ngroups) == list(ref["ngroups"])
    assert m.singular == ref["singular"]
    assert m.converged


WITH_PREDICTIONS = [n for n in FIT_REFERENCES if "predict_newdata" in load_reference(n)]


@pytest.mark.parametrize("name", WITH_PREDICTIONS)
def test_population_predictions(name):
    m, ref = fitted_reference(name)
    newdata = pd.DataFrame(listify(ref["predict_newdata"]))
    ours = m.predict(newdata)
    np.testing.assert_allclose(ours.to_numpy(), listify(ref["predict_population"]), rtol=1e-6)
    assert list(ours.index) == list(newdata.index)


def test_summary_text_carries_lme4s_numbers():
    m, _ = fitted_reference("sleepstudy_slopes")
    lines = m.summary().split("\n")
    assert "REML criterion at convergence: 1743.6" in lines
    assert "Days          10.467      1.546   6.771" in lines
    assert "(Intercept)  251.405      6.825  36.838" in lines
    assert "Number of obs: 180, groups:  Subject, 18" in lines


def test_ml_summary_carries_lme4s_numbers():
    m, _ = fitted_reference("sleepstudy_slopes_ml")
    lines = m.summary().split("\n")
    assert lines[0] == "Linear mixed model fit by maximum likelihood  ['lmerMod']"
    assert "  1763.9   1783.1   -876.0   1751.9      174" in lines
