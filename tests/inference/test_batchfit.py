"""Vectorised one-term fits: each replicate reaches lme4's optimum."""

from __future__ import annotations

import numpy as np
import pytest

from lmmcore.datasets import load
from lmmcore.design import build_design
from lmmcore.fitting.criterion import make_criterion
from lmmcore.inference import batch_criterion, batchfit

CASES = {
    "biomass_seed": ("Biomass ~ Temp + N + (1 + Temp | Site)", "biomass", True),
    "sleepstudy_slopes": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", True),
    "sleepstudy_slopes_ml": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", False),
    "dyestuff": ("Yield ~ 1 + (1 | Batch)", "Dyestuff", True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_batch_fit_of_the_data_is_lme4s_fit(name, reference):
    """From lme4's start (1 on the diagonal, 0 below): lme4's criterion (lme4 stops at a tolerance, so
    ours may be lower, never higher by more than 1e-6), theta to 1e-4, fixed effects to 1e-4 SE,
    sigma and modes to 1e-4 relative (lme4 stops where the criterion is flat to 1e-7)."""
    ref = reference(name)
    formula, data, reml = CASES[name]
    design = build_design(formula, load(data))
    assert batchfit.batchable(design)
    problem = batch_criterion.problem_from_responses(design, design.y[None], reml)
    fits = batchfit.fit_batch(problem, np.where(design.theta_lower == 0, 1.0, 0.0))
    assert fits.converged.all()
    assert (
        fits.objective[0] == pytest.approx(ref["criterion"], abs=1e-6) or fits.objective[0] < ref["criterion"]
    )
    np.testing.assert_allclose(fits.theta[0], ref["theta"], atol=1e-4, rtol=1e-4)
    # lme4's theta is itself within ~1e-4 of the optimum: estimates agree to 1e-4 of their SE
    se = np.array(list(ref["se"].values()))
    np.testing.assert_allclose(fits.beta[0], list(ref["fixef"].values()), rtol=0, atol=1e-4 * se.min())
    assert fits.sigma[0] == pytest.approx(ref["sigma"], rel=1e-4)
    order = [design.reterms[0].levels.index(level) for level in ref["ranef"][0]["levels"]]
    modes = ref["ranef"][0]["modes"]
    np.testing.assert_allclose(fits.b[0][order], modes, rtol=1e-4, atol=1e-4 * ref["sigma"])
    vcov = fits.sigma[0] ** 2 * fits.unscaled_vcov[0]
    np.testing.assert_allclose(vcov, ref["vcov"]["values"], rtol=1e-4)


def test_objective_is_the_engines_criterion_at_any_theta():
    design = build_design("Biomass ~ Temp + N + (1 + Temp | Site)", load("biomass"))
    criterion = make_criterion(design, reml=True)
    rng = np.random.default_rng(0)
    responses = design.y + rng.standard_normal((3, design.nobs))
    problem = batch_criterion.problem_from_responses(design, responses, reml=True)
    thetas = rng.uniform(0.0, 1.5, size=(3, 4, 3)) - [0, 0.8, 0]
    ours = batch_criterion.objective(problem, thetas)
    for r in range(3):
        other = criterion.with_response(responses[r])
        for s in range(4):
            assert ours[r, s] == pytest.approx(other(thetas[r, s]), rel=1e-10)
    # flipping a column of T (theta -> (-t1, -t2, t3) or (t1, t2, -t3)) leaves T T' and the criterion alone
    flipped = np.concatenate([thetas * [-1, -1, 1], thetas * [1, 1, -1]], axis=1)
    np.testing.assert_allclose(batch_criterion.objective(problem, flipped), np.tile(ours, 2), rtol=1e-12)


def test_problems_from_designs_equal_problems_from_responses():
    design = build_design("Reaction ~ Days + (Days | Subject)", load("sleepstudy"))
    responses = design.y + np.arange(2)[:, None]
    shared = batch_criterion.problem_from_responses(design, responses, reml=True)
    separate = batch_criterion.problem_from_designs([design.with_response(y) for y in responses], reml=True)
    np.testing.assert_allclose(separate.outer, shared.outer)
    np.testing.assert_allclose(separate.full, shared.full)
    assert batch_criterion.shape_key(design) == (180, 2, 2, 18)


def test_a_replicates_fit_does_not_depend_on_its_batch(monkeypatch):
    """Bit for bit: a replicate's arithmetic never mixes with, or is blocked by, the other replicates', so
    any chunking of a bootstrap (any executor) gives the same estimates."""
    design = build_design("Reaction ~ Days + (Days | Subject)", load("sleepstudy"))
    rng = np.random.default_rng(1)
    responses = design.y + 20 * rng.standard_normal((7, design.nobs))
    start = np.array([1.0, 0.0, 1.0])
    whole = batchfit.fit_responses(design, responses, True, start)
    monkeypatch.setattr(batchfit, "_MAX_ENTRIES", 1)  # one replicate per batch
    split = batchfit.fit_responses(design, responses, True, start)
    for name in ("theta", "beta", "sigma", "b", "unscaled_vcov", "objective"):
        np.testing.assert_array_equal(getattr(split, name), getattr(whole, name))
    # cross-products summed another way stop Newton's method elsewhere within its tolerance (1e-7 steps)
    separate = batchfit.fit_designs([design.with_response(y) for y in responses], True, start)
    np.testing.assert_allclose(separate.theta, whole.theta, rtol=1e-6, atol=1e-9)
