"""``fit`` against lme4 1.1-31 on the fuzz models (``tests/reference/lme4/fuzz/*.json``).

The models and their data come from ``tests/reference/make_fuzz_references.py`` (unbalanced groups,
missing values, 3-column, crossed and nested random terms, factor interactions, calls, no intercept,
numeric-looking group labels, factors inside random terms, truly-zero variance components, ML and REML).

Tolerances as in ``test_fit_reference.py``: our criterion never above lme4's by more than 1e-6
(relative); fixed effects and sigma to 1e-4 (relative); standard errors, theta, variance components and
conditional modes/SDs to 1e-3.  lme4 stops at a tolerance and sometimes elsewhere on a flat or boundary
surface (a 4 x 4 covariance, a term repeated on one factor): where its theta is further from ours than
that tolerance (our criterion being no higher), the estimates are compared at lme4's theta, after
checking that our criterion there is lme4's to 1e-8.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.fitting import criterion_for
from tests.refs import REFERENCE_DIR, at_theta, listify

FUZZ_DIR = REFERENCE_DIR / "lme4" / "fuzz"
DATA_DIR = REFERENCE_DIR / "data" / "fuzz"
NAMES = sorted(p.stem for p in FUZZ_DIR.glob("*.json"))
CRITERION_RTOL = 1e-6


@cache
def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / f"{name}.csv")


@cache
def _fit(name: str):
    ref = json.loads((FUZZ_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return lmmcore.fit(ref["formula"], _data(ref["data"]).copy(), reml=ref["REML"]), ref


@pytest.fixture(params=NAMES)
def case_name(request):
    return request.param


@pytest.fixture
def case(case_name):
    return _fit(case_name)


def _theta_agrees(m, ref) -> bool:
    return np.allclose(m.theta.to_numpy(), listify(ref["theta"]), rtol=1e-3, atol=1e-3)


@cache
def _compared(name: str):
    """(the fit whose estimates are compared, lme4's reference): ours, or ours at lme4's theta."""
    m, ref = _fit(name)
    return (m if _theta_agrees(m, ref) else at_theta(m, listify(ref["theta"]))), ref


def test_criterion_is_at_most_lme4s(case):
    m, ref = case
    assert m.criterion <= ref["criterion"] + CRITERION_RTOL * abs(ref["criterion"])
    # logLik is minus half the criterion (the REML one for REML fits), in lme4 and here
    assert ref["logLik"] == pytest.approx(-ref["criterion"] / 2, rel=1e-12)
    assert m.loglik == pytest.approx(-m.criterion / 2, rel=1e-12)
    # the same function: our criterion at lme4's theta is lme4's criterion
    at_lme4 = criterion_for(m)(np.array(listify(ref["theta"]), dtype=float))
    assert at_lme4 == pytest.approx(ref["criterion"], rel=1e-8)


def test_sizes_status_and_messages(case):
    m, ref = case
    assert m.nobs == ref["nobs"]
    assert {str(k): v for k, v in m.ngroups.items()} == ref["ngroups"]
    if m.singular != ref["singular"]:
        # lme4 calls a fit singular when a diagonal theta is below 1e-4; near that line its own optimizer
        # tolerance (about 1e-3 in theta) decides the flag, so it may differ when our optimum is as good
        on_diagonal = criterion_for(m).lower == 0
        assert m.criterion <= ref["criterion"] and np.min(np.array(ref["theta"])[on_diagonal]) < 1e-3
    lme4_rank_deficient = any("rank deficient" in s for s in listify(ref["messages"]))
    assert any("rank deficient" in s for s in m.messages) == lme4_rank_deficient


def test_fixed_effects_and_sigma(case_name):
    m, ref = _compared(case_name)
    assert list(m.fixef.index) == list(ref["fixef"])
    np.testing.assert_allclose(m.fixef.to_numpy(), list(ref["fixef"].values()), rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(m.sigma, ref["sigma"], rtol=1e-4)
    np.testing.assert_allclose(m.se[list(ref["se"])].to_numpy(), list(ref["se"].values()), rtol=1e-3)


def test_theta_and_variance_components(case_name):
    m, ref = _compared(case_name)
    assert list(m.theta.index) == listify(ref["theta_names"])
    expected = pd.DataFrame(listify(ref["varcorr"]))
    ours = m.varcorr
    assert list(ours["grp"]) == list(expected["grp"])
    assert list(ours["var1"].fillna("")) == list(expected["var1"].fillna(""))
    assert list(ours["var2"].fillna("")) == list(expected["var2"].fillna(""))
    ours_fit, _ = _fit(case_name)
    if not _theta_agrees(ours_fit, ref):  # lme4 stopped elsewhere: only if no lower than we did
        assert ours_fit.criterion <= ref["criterion"] + 1e-9 * abs(ref["criterion"])
    # a component at its boundary is only known to the optimizer's tolerance
    np.testing.assert_allclose(m.theta.to_numpy(), listify(ref["theta"]), rtol=1e-3, atol=1e-3)
    # ...so a (co)variance to about 1e-4 of the residual variance, an SD or correlation to 1e-3
    np.testing.assert_allclose(ours["vcov"], expected["vcov"], rtol=1e-3, atol=1e-4 * m.sigma**2)
    np.testing.assert_allclose(ours["sdcor"], expected["sdcor"], rtol=1e-3, atol=1e-3)


def test_conditional_modes_and_sds_by_level(case_name):
    m, ref = _compared(case_name)
    assert list(m.ranef) == [r["group"] for r in listify(ref["ranef"])]
    for r in listify(ref["ranef"]):
        levels, terms = [str(v) for v in listify(r["levels"])], listify(r["terms"])
        modes = np.array(r["modes"], dtype=float).reshape(len(levels), len(terms))
        condsd = np.array(r["condsd"], dtype=float).reshape(len(levels), len(terms))
        ours, ours_sd = m.ranef[r["group"]], m.ranef_sd[r["group"]]
        ours.index, ours_sd.index = ours.index.map(str), ours_sd.index.map(str)
        assert sorted(ours.index) == sorted(levels) and list(ours.columns) == terms
        atol = 1e-3 * max(np.abs(modes).max(), 1e-3)  # a mode near 0 is only known to the scale's 1e-3
        np.testing.assert_allclose(ours.loc[levels].to_numpy(), modes, rtol=1e-3, atol=atol)
        np.testing.assert_allclose(ours_sd.loc[levels].to_numpy(), condsd, rtol=1e-3, atol=1e-3 * m.sigma)
