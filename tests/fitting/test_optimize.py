"""The optimizer reaches lme4's optimum, flags singular fits and reports lme4's convergence messages."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import ALL, reference

from lmmcore import datasets
from lmmcore.design import build_design
from lmmcore.design.types import Design, ReBlock
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import SINGULAR_MESSAGE, optimize_theta


@pytest.mark.parametrize("name", ALL)
def test_optimum_matches_lme4(name, design_of):
    ref = reference(name)
    design = design_of(name)
    crit = make_criterion(design, reml=ref["REML"])
    report = optimize_theta(crit)
    # lme4 stops at its own tolerance: we may be a hair lower, never higher by more than 1e-6 relative
    assert report.objective <= ref["criterion"] * (1 + 1e-6)
    theta = np.atleast_1d(np.asarray(ref["theta"], dtype=float))
    np.testing.assert_allclose(report.theta, theta, rtol=1e-3, atol=1e-3)
    sol = crit.solve(report.theta)
    np.testing.assert_allclose(sol.beta, [ref["fixef"][k] for k in design.fixed_names], rtol=1e-4)
    assert sol.sigma == pytest.approx(ref["sigma"], rel=1e-4)
    assert report.objective == pytest.approx(crit(report.theta), rel=1e-12)
    assert report.converged
    assert report.singular is bool(ref["singular"]) is False
    assert report.messages == ()


def _simulated(seed: int, slope_sd: float) -> Design:
    """Random intercepts and slopes, 30 groups x 8; a zero slope SD makes lme4's fit singular."""
    rng = np.random.default_rng(seed)
    groups, per = 30, 8
    refs = np.repeat(np.arange(groups), per)
    x = rng.uniform(-2, 2, groups * per)
    b0 = rng.normal(scale=1.5, size=groups)
    b1 = rng.normal(scale=slope_sd, size=groups)
    y = 3 + 0.5 * x + b0[refs] + b1[refs] * x + rng.normal(size=groups * per)
    xz = np.column_stack([np.ones_like(x), x])
    term = ReBlock("g", tuple(f"g{i}" for i in range(groups)), refs, xz, ("(Intercept)", "x"))
    return Design(None, "y", y, xz, ("(Intercept)", "x"), (term,), np.arange(len(y)))


def test_zero_slope_variance_gives_a_flagged_singular_fit():
    crit = make_criterion(_simulated(11, slope_sd=0.0))
    report = optimize_theta(crit)
    assert report.singular
    assert SINGULAR_MESSAGE in report.messages
    assert report.theta[2] < 1e-4
    # the boundary optimum is a real minimum: no interior start does better
    for start in ([1.0, 0.0, 1.0], [0.5, 0.3, 0.5], [2.0, -0.5, 0.2]):
        assert report.objective <= optimize_theta(crit, theta0=start).objective + 1e-6


def test_clear_slope_variance_is_not_singular():
    report = optimize_theta(make_criterion(_simulated(11, slope_sd=1.0)))
    assert not report.singular
    assert report.converged
    assert report.messages == ()


def test_start_value_and_report_fields(design_of):
    ref = reference("sleepstudy_slopes")
    crit = make_criterion(design_of("sleepstudy_slopes"))
    report = optimize_theta(crit, theta0=[0.5, 0.5, 0.5])
    np.testing.assert_allclose(report.theta, ref["theta"], rtol=1e-3, atol=1e-3)
    assert report.optimizer == "BFGS"
    assert report.nfev > 0
    assert isinstance(report.messages, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.objective = 0.0


def test_failed_convergence_is_reported(design_of):
    """A start far from the optimum with one iteration allowed stops early and says so."""
    crit = make_criterion(design_of("sleepstudy_slopes"))
    report = optimize_theta(crit, theta0=[5.0, 1.0, 5.0], maxiter=1)
    assert not report.converged
    assert any(m.startswith("Model failed to converge") or "stopped" in m for m in report.messages)


def test_lme4_values_without_fixed_effects_and_with_uncorrelated_terms():
    """Two more sleepstudy models: lme4's printed summary of ``(Days || Subject)`` (REML criterion 1743.7,
    SDs 25.051 and 5.988, residual 25.565, i.e. theta 0.9799 and 0.2342), and no fixed effects at all."""
    data = datasets.load("sleepstudy")
    uncorrelated = make_criterion(
        build_design("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", data)
    )
    report = optimize_theta(uncorrelated)
    assert report.objective == pytest.approx(1743.7, abs=0.05)
    np.testing.assert_allclose(report.theta, [0.9799, 0.2342], atol=1e-4)
    assert uncorrelated.solve(report.theta).sigma == pytest.approx(25.565, abs=1e-3)
    no_fixed = make_criterion(build_design("Reaction ~ 0 + (1 | Subject)", data))
    theta = optimize_theta(no_fixed).theta
    sol = no_fixed.solve(theta)
    assert sol.beta.shape == (0,) and sol.unscaled_vcov.shape == (0, 0)
    # pwrss is the penalised residual sum of squares of the modes: ||y - Z b||^2 + ||b / theta||^2
    u = sol.b[0][:, 0] / theta[0]
    assert sol.pwrss == pytest.approx(np.sum((no_fixed.design.y - sol.fitted) ** 2) + u @ u, rel=1e-10)


def test_plain_callable_criterion_is_minimised(design_of):
    """Any callable with ``lower`` and ``theta0`` works (difference gradients), e.g. a wrapped criterion."""
    ref = reference("dyestuff")
    crit = make_criterion(design_of("dyestuff"))

    class Wrapped:
        lower, theta0 = crit.lower, crit.theta0

        def __call__(self, theta):
            return crit(theta)

    report = optimize_theta(Wrapped())
    assert report.optimizer == "L-BFGS-B"  # no term structure to fold: the bounded solver
    assert report.objective <= ref["criterion"] * (1 + 1e-6)
    np.testing.assert_allclose(report.theta, [ref["theta"]], rtol=1e-3)


@pytest.mark.parametrize("name", ["sleepstudy_slopes", "dyestuff", "penicillin_crossed"])
def test_start_on_the_boundary_restarts_into_the_interior(name, design_of):
    """theta = 0 is a stationary point (the criterion is even in each diagonal entry): lme4's restart_edge."""
    ref = reference(name)
    crit = make_criterion(design_of(name), reml=ref["REML"])
    report = optimize_theta(crit, theta0=np.zeros(crit.ntheta))
    assert report.objective <= ref["criterion"] * (1 + 1e-6)
    np.testing.assert_allclose(report.theta, np.atleast_1d(ref["theta"]), rtol=1e-3, atol=1e-3)
    assert not report.singular


def test_sign_folding_keeps_the_criterion_and_lands_in_lme4s_region(design_of):
    from lmmcore.fitting.optimize import _fold_signs

    design = design_of("sleepstudy_slopes")
    crit = make_criterion(design)
    theta = np.array([-0.9, 0.3, -0.2])  # both columns of T negated relative to (0.9, -0.3, 0.2)
    folded = _fold_signs(theta, design.reterms)
    np.testing.assert_allclose(folded, [0.9, -0.3, 0.2])
    assert crit(folded) == pytest.approx(crit(theta), rel=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_optimum_is_not_beaten_from_other_starts(seed):
    """Simulated near-boundary slopes (SD 0.05): the fit is at least as good as from several starts."""
    crit = make_criterion(_simulated(seed, slope_sd=0.05))
    report = optimize_theta(crit)
    for start in ([1.0, 0.0, 0.3], [2.0, 0.2, 0.05], [0.5, -0.2, 1.0]):
        assert report.objective <= optimize_theta(crit, theta0=start).objective + 1e-6
    assert report.singular == (report.theta[2] < 1e-4)
