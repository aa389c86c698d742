"""Likelihood-profile intervals against lme4's ``confint(m, method = "profile", oldNames = FALSE)``."""

from __future__ import annotations

import dataclasses
import functools
import types

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import lmmcore
from lmmcore.errors import InferenceError
from lmmcore.fitting.criterion import make_criterion
from lmmcore.inference.deviance_parts import DevianceParts
from lmmcore.inference.profile import profile, profile_intervals
from lmmcore.inference.profile_points import MLFit, _VarianceSpace
from lmmcore.inference.profile_spline import invert_profile
from lmmcore.varcomp import sdcor_to_theta, theta_to_sdcor
from tests.refs import CLASSIC_FITS, REFERENCE_DIR, as_frame, fitted, load_reference


def _assert_matches_lme4(ours, name):
    expected = as_frame(load_reference(name)["confint_profile"])
    assert list(ours.index) == list(expected.index)
    assert list(ours.columns) == ["2.5 %", "97.5 %"]
    # lme4 inverts splines through points ~0.5 apart in zeta and re-optimises to its optimizer's
    # tolerance: its ends are good to ~1e-5; bounds (an SD at 0, a correlation at -+1) are exact
    np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-3, atol=1e-9)


@pytest.mark.parametrize("name", CLASSIC_FITS)
def test_profile_intervals_match_lme4(name):
    _assert_matches_lme4(profile_intervals(fitted(name)), name)


@pytest.mark.parametrize("name", ["sleepstudy_slopes", "biomass_seed"])
def test_traced_profile_intervals_match_lme4(name):
    _assert_matches_lme4(profile(fitted(name)).intervals(), name)


def test_traces_follow_lme4s_walk():
    m = fitted("sleepstudy_slopes")
    prof = profile(m)
    assert prof.parameters == list(prof.traces["parameter"].unique())
    assert prof.cutoff == pytest.approx(np.sqrt(stats.chi2.ppf(0.99, 6)))
    for name in prof.parameters:
        trace = prof.trace(name)
        # zeta increases with the parameter, is 0 at the ML estimate, and passes the cutoff both ways
        assert np.all(np.diff(trace["zeta"]) > 0)
        at_estimate = trace.loc[trace["zeta"] == 0, name]
        assert at_estimate.iloc[0] == pytest.approx(prof.estimates[name])
        low, high = prof.lower.get(name, -np.inf), prof.upper.get(name, np.inf)
        assert trace["zeta"].iloc[0] < -prof.cutoff or trace[name].iloc[0] == low
        assert trace["zeta"].iloc[-1] > prof.cutoff or trace[name].iloc[-1] == high
        # lme4's steps: about cutoff / 8 in zeta, never more than 10x the last step
        assert 4 <= len(trace) <= 40


def test_profile_of_a_reml_fit_is_the_ml_profile():
    prof = profile(fitted("sleepstudy_slopes"), alphamax=0.2)
    ml = load_reference("sleepstudy_slopes_ml")
    assert prof.deviance == pytest.approx(ml["deviance_ml"], rel=1e-9)
    np.testing.assert_allclose(prof.estimates["Days"], ml["fixef"]["Days"], rtol=1e-6)
    np.testing.assert_allclose(prof.estimates["sigma"], ml["sigma"], rtol=1e-4)


def test_levels_change_the_ends_and_labels():
    m = fitted("dyestuff")
    wide, narrow = profile_intervals(m, 0.99), profile_intervals(m, 0.8)
    assert list(wide.columns) == ["0.5 %", "99.5 %"] and list(narrow.columns) == ["10 %", "90 %"]
    assert np.all(wide.iloc[:, 0] < narrow.iloc[:, 0]) and np.all(wide.iloc[:, 1] > narrow.iloc[:, 1])


def test_profile_intervals_agree_with_the_traced_splines_at_other_levels():
    m = fitted("sleepstudy_slopes")
    traced = profile(m).intervals(0.8)
    searched = profile_intervals(m, 0.8)
    np.testing.assert_allclose(searched.to_numpy(), traced.to_numpy(), rtol=1e-4)


def test_sdcor_to_theta_inverts_theta_to_sdcor():
    m = fitted("sleepstudy_slopes")
    sdcor = theta_to_sdcor(np.asarray(m.theta), m.sigma, m.design.reterms)
    np.testing.assert_allclose(sdcor_to_theta(sdcor[:-1], m.sigma, m.design.reterms), m.theta, rtol=1e-12)
    assert sdcor_to_theta(np.array([1.0, 1.5, 1.0]), 1.0, m.design.reterms) is None  # |cor| > 1


def test_invert_profile_is_exact_on_a_straight_line_and_nan_outside():
    x = np.linspace(-1, 3, 9)
    ends = invert_profile(x, 2 * x - 1, np.array([-2.0, 0.0, 4.0, 6.0]))
    np.testing.assert_allclose(ends[:3], [-0.5, 0.5, 2.5], rtol=1e-12)
    assert np.isnan(ends[3])


def test_errors():
    m = fitted("dyestuff")
    bare = types.SimpleNamespace(design=dataclasses.replace(m.design, reterms=()), reml=True)
    with pytest.raises(InferenceError, match="random effects"):
        profile(bare)
    with pytest.raises(InferenceError, match="random effects"):
        profile_intervals(bare)
    with pytest.raises(InferenceError, match="alphamax"):
        profile(m, alphamax=1.5)
    with pytest.raises(InferenceError, match="maxpts"):
        profile(m, maxpts=1)
    with pytest.raises(InferenceError, match="level"):
        profile_intervals(m, level=95)
    with pytest.raises(InferenceError, match="No profile"):
        profile(m).trace("nope")


def test_singular_fit_profiles_stay_inside_the_bounds():
    from lmmcore.datasets import simulate_biomass

    m = lmmcore.fit("Biomass ~ Temp + N + (1 + Temp | Site)", simulate_biomass(sd_slope=0.0, seed=3))
    assert m.singular  # sd_Temp is estimated at 0: its correlation is undefined
    ends = profile_intervals(m)
    assert ends.loc["sd_Temp|Site", "2.5 %"] == 0.0
    assert ends.loc["cor_Temp.(Intercept)|Site"].tolist() == [-1.0, 1.0]
    assert np.isfinite(ends.to_numpy()).all()
    assert (ends.iloc[:, 0] < ends.iloc[:, 1]).all()
    traced = profile(m).intervals()
    np.testing.assert_allclose(traced.to_numpy(), ends.to_numpy(), rtol=5e-3, atol=1e-6)


#: lme4's profiles of singular fits (tests/reference/make_singular_profile_references.R) and their data.
SINGULAR_PROFILES = {
    "biomass_three_slopes": lambda: lmmcore.datasets.load("biomass"),
    "flat_intercept": lambda: pd.read_csv(REFERENCE_DIR / "data" / "singular.csv"),
    "correlation": lambda: pd.read_csv(REFERENCE_DIR / "data" / "singular.csv"),
    "rank": lambda: pd.read_csv(REFERENCE_DIR / "data" / "singular.csv"),
}


def _singular_fit(case):
    ref = load_reference(f"lme4/singular/profile_{case}")
    return lmmcore.fit(ref["formula"], SINGULAR_PROFILES[case](), reml=ref["REML"]), ref


@functools.cache
def _singular_ends(case):
    """Our profile intervals of a singular reference fit, computed once per session (seconds each)."""
    return _singular_fit(case)[0].confint("profile")


@pytest.mark.parametrize("case", ["biomass_three_slopes", "flat_intercept", "correlation"])
def test_singular_fit_profiles_match_lme4_where_lme4_profiled_cleanly(case):
    m, ref = _singular_fit(case)
    assert m.singular
    ends = _singular_ends(case)
    expected = ref["confint_profile"]
    assert list(ends.index) == expected["names"]
    # lme4 warns "non-monotonic profile for <name>" where its own search failed (its ends there are
    # NA or the bounds it stepped to): those parameters are checked independently below
    failed = {w.removeprefix("non-monotonic profile for ") for w in ref["warnings"] if "non-monotonic" in w}
    clean = [k for k, name in enumerate(expected["names"]) if name not in failed]
    assert "sigma" in [expected["names"][k] for k in clean]
    lme4_ends = np.array([expected["lower"], expected["upper"]], dtype=float).T[clean]
    np.testing.assert_allclose(ends.to_numpy()[clean], lme4_ends, rtol=1e-3, atol=1e-9)
    assert np.isfinite(ends.to_numpy()).all()


def test_biomass_singular_fit_is_profiled_without_an_index_error():
    m, _ = _singular_fit("biomass_three_slopes")
    prof = m.profile()  # raised IndexError: the walk's extrapolated start left the PSD correlations
    assert set(prof.parameters) == set(m.confint("profile").index)
    for name in prof.parameters:
        trace = prof.trace(name)
        assert np.isfinite(trace["zeta"]).all(), name
        assert (np.abs(trace["zeta"]) > 0).sum() >= 2, name


@pytest.mark.parametrize(
    ("case", "parameter", "end"),
    [
        ("biomass_three_slopes", "sd_N|Site", "97.5 %"),
        ("biomass_three_slopes", "cor_Temp.(Intercept)|Site", "97.5 %"),
        ("biomass_three_slopes", "sd_Temp|Site", "2.5 %"),
        ("rank", "cor_x.(Intercept)|g", "2.5 %"),
        ("rank", "cor_z.(Intercept)|g", "2.5 %"),
    ],
)
def test_ends_lme4_failed_to_profile_are_where_the_constrained_deviance_hits_the_cutoff(case, parameter, end):
    # Independent of our walk: minimise the ML deviance over sigma and the Cholesky factor theta (always
    # positive semi-definite) under the equality constraint parameter(theta, sigma) = our end, by SLSQP.
    m, _ = _singular_fit(case)
    x = _singular_ends(case).loc[parameter, end]
    fit = MLFit.of(m)
    parts = DevianceParts.of(fit.criterion)
    index = fit.names.index(parameter)
    on_diagonal = fit.design.theta_lower == 0

    def unpack(v):
        return abs(v[0]), np.where(on_diagonal, np.abs(v[1:]), v[1:])

    def deviance(v):
        sigma, theta = unpack(v)
        ldl2, pwrss = parts(theta)
        return ldl2 + pwrss / sigma**2 + fit.design.nobs * np.log(2 * np.pi * sigma**2)

    def held(v):
        sigma, theta = unpack(v)
        return np.nan_to_num(theta_to_sdcor(theta, sigma, fit.design.reterms)[index]) - x

    rng = np.random.default_rng(2)
    start = np.concatenate([[fit.sigma], fit.theta])
    lowest = np.inf
    for scatter in (0.0, 0.4, 0.4, 0.4, 0.4, 0.4):
        found = optimize.minimize(
            deviance,
            start + rng.normal(0, scatter, start.size),
            method="SLSQP",
            constraints=[{"type": "eq", "fun": held}],
            options={"maxiter": 500, "ftol": 1e-12},
        )
        if found.success and abs(held(found.x)) < 1e-7:
            lowest = min(lowest, found.fun)
    cutoff = stats.norm.ppf(0.975)
    assert np.sqrt(lowest - fit.deviance) == pytest.approx(cutoff, abs=2e-3)


def test_feasible_shrinks_the_other_correlations_to_the_edge_of_the_psd_matrices():
    m, _ = _singular_fit("biomass_three_slopes")
    fit = MLFit.of(m)
    space = _VarianceSpace.of(fit)
    held = fit.names.index("cor_Temp.(Intercept)|Site")
    psi = fit.sdcor.copy()
    psi[held] = 0.9  # with the other correlations at their estimates: not positive semi-definite
    assert sdcor_to_theta(psi[:-1], psi[-1], fit.design.reterms) is None
    shrinkable = fit.is_correlation & (np.arange(psi.size) != held)
    inside = space.feasible(psi, shrinkable)
    assert sdcor_to_theta(inside[:-1], inside[-1], fit.design.reterms) is not None
    assert inside[held] == 0.9
    np.testing.assert_array_equal(inside[~fit.is_correlation], psi[~fit.is_correlation])
    ratio = inside[shrinkable] / psi[shrinkable]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert 0 < ratio[0] < 1
    # the largest feasible shrinkage: a correlation matrix on the edge, its smallest eigenvalue ~0
    c = inside[[1, 2, 4]]
    cor = np.array([[1, c[0], c[1]], [c[0], 1, c[2]], [c[1], c[2], 1]])
    assert np.linalg.eigvalsh(cor)[0] == pytest.approx(0.0, abs=1e-9)


def test_rank_deficient_fit_sigma_matches_lme4_and_fixed_ends_are_where_the_deviance_hits_the_cutoff():
    # lme4 flagged every variance parameter but sigma, and its fixed-effect ends after "unexpected
    # decrease in profile" sit at zeta ~1.92-1.93; ours are checked by L-BFGS-B over theta from 10 starts
    m, ref = _singular_fit("rank")
    ends = _singular_ends("rank")
    expected = ref["confint_profile"]
    k = expected["names"].index("sigma")
    np.testing.assert_allclose(ends.loc["sigma"], [expected["lower"][k], expected["upper"][k]], rtol=1e-3)
    fit = MLFit.of(m)
    design = fit.design
    bounds = [(low if np.isfinite(low) else None, None) for low in design.theta_lower]
    rng = np.random.default_rng(0)
    for j, name in enumerate(design.fixed_names):
        reduced = dataclasses.replace(
            design,
            X=np.delete(design.X, j, axis=1),
            fixed_names=tuple(nm for i, nm in enumerate(design.fixed_names) if i != j),
        )
        base = make_criterion(reduced, reml=False)
        for end, target in zip(ends.loc[name], (-1.96, 1.96)):
            criterion = base.with_response(design.y - design.X[:, j] * end)
            starts = [fit.theta] + [np.abs(fit.theta + rng.normal(0, 0.5, fit.theta.size)) for _ in range(9)]
            found = [optimize.minimize(criterion, s, method="L-BFGS-B", bounds=bounds) for s in starts]
            lowest = min(f.fun for f in found)
            assert np.sqrt(lowest - fit.deviance) == pytest.approx(abs(target), abs=2e-3), (name, end)


def test_three_slope_fit_with_an_sd_at_zero_and_correlations_at_the_bounds_is_traced_like_it_is_searched():
    from lmmcore.datasets import simulate_biomass

    m = lmmcore.fit("Biomass ~ Temp + N + (1 + Temp + N | Site)", simulate_biomass(sd_slope=0.0, seed=3))
    assert m.singular
    prof = m.profile()  # its first step held cor_N.Temp at -1.01, outside [-1, 1]
    # the estimate of cor_N.Temp is -1 up to rounding (-0.99999999999): the trace starts inwards from it
    assert prof.estimates["cor_N.Temp|Site"] == pytest.approx(-1.0, abs=1e-8)
    trace = prof.trace("cor_N.Temp|Site")
    assert trace["cor_N.Temp|Site"].min() == pytest.approx(-1.0, abs=1e-8)
    assert (np.diff(trace["zeta"]) > 0).all()
    ends = m.confint("profile")
    assert ends.loc["sd_Temp|Site", "2.5 %"] == 0.0
    assert ends.loc["cor_N.Temp|Site"].tolist() == [-1.0, 1.0]
    np.testing.assert_allclose(prof.intervals().to_numpy(), ends.to_numpy(), rtol=5e-3, atol=1e-3)
