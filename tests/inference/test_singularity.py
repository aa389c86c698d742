"""Which term makes a fit singular and how, against lme4 on singular fits (``tests/reference/lme4/singular``,
made by ``tests/reference/make_singular_references.R``): isSingular, VarCorr's correlation and rePCA."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lmmcore
from tests.refs import REFERENCE_DIR, at_theta, listify, load_reference

# Our optimizer and lme4's stop at slightly different points on these flat surfaces: theta agrees to
# ~1e-4 relative, so rePCA's nonzero SDs are compared to 1e-3 relative; zero SDs to the boundary tolerance.
SDEV_RTOL = 1e-3


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REFERENCE_DIR / "data" / "singular.csv")


def _fit(name: str, data: pd.DataFrame):
    ref = load_reference(f"lme4/singular/{name}")
    return ref, lmmcore.fit(ref["formula"], data, reml=ref["REML"])


def _check_sdev(term: lmmcore.SingularTerm, ref_sdev) -> None:
    expected = np.array(listify(ref_sdev), dtype=float)
    got = np.array(term.sdev)
    big = expected > 1e-4
    np.testing.assert_allclose(got[big], expected[big], rtol=SDEV_RTOL)
    assert np.all(got[~big] < 1e-4)


def test_a_zero_intercept_variance_is_named(data):
    ref, m = _fit("flat_intercept", data)
    assert m.singular and ref["singular"]
    (term,) = lmmcore.singular_terms(m)
    assert (term.group, term.term, term.kind, term.rank) == ("g", "(1 | g)", "variance", 0)
    assert term.message == "g: the (1 | g) variance is estimated as 0"
    _check_sdev(term, ref["rePCA"]["g"]["sdev"])


def test_a_perfect_correlation_is_named_with_its_sign(data):
    ref, m = _fit("correlation", data)
    (term,) = lmmcore.singular_terms(m)
    lme4_cor = next(r["sdcor"] for r in ref["varcorr"] if r["var2"] == "x")
    assert term.kind == "correlation" and term.columns == ("(Intercept)", "x") and term.rank == 1
    assert term.correlation == pytest.approx(lme4_cor, abs=1e-6) and lme4_cor == pytest.approx(1.0)
    assert term.message == "g: the (1 + x | g) covariance is singular: correlation (Intercept)-x is 1.00"
    _check_sdev(term, ref["rePCA"]["g"]["sdev"])


def test_a_rank_deficient_covariance_without_a_perfect_pair_reports_its_rank(data):
    ref, m = _fit("rank", data)
    (term,) = lmmcore.singular_terms(m)
    assert term.kind == "rank" and term.rank == 2 and set(term.columns) == {"(Intercept)", "x", "z"}
    cors = [abs(r["sdcor"]) for r in ref["varcorr"] if r["var2"] is not None]
    assert max(cors) < 0.95  # lme4 sees no pair at +-1: the deficiency involves all three columns
    assert "rank 2 of 3" in term.message and term.message.startswith("g: the (1 + x + z | g) covariance")
    _check_sdev(term, ref["rePCA"]["g"]["sdev"])


def test_only_the_degenerate_term_is_named_when_another_is_healthy(data):
    ref, m = _fit("two_terms", data)
    (term,) = lmmcore.singular_terms(m)
    assert (term.group, term.kind) == ("h", "variance")
    _check_sdev(term, ref["rePCA"]["h"]["sdev"])


def test_at_lme4s_theta_the_diagnosis_is_the_same(data):
    ref, m = _fit("rank", data)
    (term,) = lmmcore.singular_terms(at_theta(m, ref["theta"]["values"]))
    assert term.kind == "rank" and term.rank == 2
    _check_sdev(term, ref["rePCA"]["g"]["sdev"])


def test_a_zero_slope_variance_beside_an_intercept_is_named(data):
    ref, m = _fit("correlation", data)
    # theta = (T11, T21, T22) with the slope's row of T at 0: the slope has no variance at all.
    (term,) = lmmcore.singular_terms(at_theta(m, [1.5, 0.0, 0.0]))
    assert term.kind == "variance" and term.columns == ("x",)
    assert term.message == "g: the (1 + x | g) covariance is singular: the variance of x is 0"


def test_regular_fits_have_no_singular_term():
    m = lmmcore.fit("Reaction ~ Days + (Days | Subject)", lmmcore.datasets.load("sleepstudy"))
    assert not m.singular and lmmcore.singular_terms(m) == ()
