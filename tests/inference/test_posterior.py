"""Posterior simulation as arm::sim (20,000 draws, compared with arm's quantiles within MC error)."""

from __future__ import annotations

import numpy as np
import pytest

from lmmcore.datasets import load
from lmmcore.errors import InferenceError
from lmmcore.fit import fit
from lmmcore.inference import posterior
from lmmcore.inference.posterior import sim

MODELS = {
    "biomass_seed": ("Biomass ~ Temp + N + (1 + Temp | Site)", "biomass"),
    "sleepstudy_slopes": ("Reaction ~ Days + (Days | Subject)", "sleepstudy"),
}
PROBS = np.array([0.025, 0.5, 0.975])
N_DRAWS = 20_000


@pytest.fixture(scope="module")
def seed_model():
    return fit(MODELS["biomass_seed"][0], load("biomass"))


def rank_tolerance(p: float) -> float:
    """3 SDs of the difference of two p-quantile estimates from 20,000 draws each, on the CDF scale."""
    return 3 * np.sqrt(2 * p * (1 - p) / N_DRAWS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_quantiles_match_arm_within_monte_carlo_error(name, reference):
    """arm's 2.5/50/97.5 % quantiles of fixef and sigma sit at those ranks of our draws.

    Both sides are 20,000-draw estimates: arm's quantile's rank in our empirical CDF differs from p by
    at most 3 sqrt(2 p (1 - p) / 20000) (0.0047 at p = 0.025, 0.015 at the median).
    """
    ref = reference(name)
    formula, data = MODELS[name]
    draws = sim(fit(formula, load(data)), n=N_DRAWS, seed=2024)
    fixef_q = ref["arm_sim_fixef_q"]
    for j, column in enumerate(fixef_q["colnames"]):
        values = draws.fixef[column].to_numpy()
        for i, p in enumerate(PROBS):
            rank = np.mean(values <= fixef_q["values"][i][j])
            assert abs(rank - p) <= rank_tolerance(p), (column, p, rank)
    for p, value in zip(PROBS, ref["arm_sim_sigma_q"]):
        rank = np.mean(draws.sigma <= value)
        assert abs(rank - p) <= rank_tolerance(p), ("sigma", p, rank)


def test_sigma_draws_are_scaled_inverse_chi_square(seed_model):
    """sigma* = sqrt(pwrss / chi2_{n-p}): E[sigma*^2] = pwrss / (n - p - 2)."""
    draws = sim(seed_model, n=N_DRAWS, seed=5)
    n, p = seed_model.nobs, seed_model.design.p
    expected = seed_model.solution.pwrss / (n - p - 2)
    # Var(1/chi2_k) = 2 / ((k-2)^2 (k-4)); 4 SEs of the mean of 20,000 draws
    k = n - p
    se = seed_model.solution.pwrss * np.sqrt(2 / ((k - 2) ** 2 * (k - 4)) / N_DRAWS)
    assert abs(np.mean(draws.sigma**2) - expected) < 4 * se


def test_fixed_effect_draws_have_arms_covariance(seed_model):
    """Cov(beta*) = E[sigma*^2] (RX'RX)^-1; 6 % relative (the MC error of a covariance with 20,000 draws
    is about 1 %, of each entry's denominator a little more)."""
    draws = sim(seed_model, n=N_DRAWS, seed=6)
    n, p = seed_model.nobs, seed_model.design.p
    expected = seed_model.solution.pwrss / (n - p - 2) * seed_model.solution.unscaled_vcov
    np.testing.assert_allclose(
        np.cov(draws.fixef.to_numpy().T), expected, rtol=0.06, atol=0.02 * np.abs(expected).max()
    )
    np.testing.assert_allclose(
        draws.fixef.mean(), seed_model.solution.beta, atol=4 * np.sqrt(np.diag(expected) / N_DRAWS).max()
    )


def test_random_effect_draws_centre_on_the_modes_with_at_least_their_conditional_variance(seed_model):
    draws = sim(seed_model, n=N_DRAWS, seed=7)
    (b,) = draws.ranef
    assert b.shape == (N_DRAWS, 20, 2) and draws.groups == ("Site",)
    modes = seed_model.solution.b[0]
    cond_sd = np.sqrt(np.diagonal(seed_model.solution.cond_var[0], axis1=1, axis2=2))
    assert np.all(np.abs(b.mean(0) - modes) < 5 * b.std(0) / np.sqrt(N_DRAWS))
    # the draws add the fixed effects' uncertainty to the conditional variance: never smaller
    assert np.all(b.std(0) > 0.97 * cond_sd)


def test_large_models_simulate_fixed_effects_and_sigma_only(seed_model, monkeypatch):
    monkeypatch.setattr(posterior, "_MAX_JOINT_SIZE", 10)
    draws = sim(seed_model, n=N_DRAWS, seed=8)
    assert draws.ranef is None and "random effects not simulated" in draws.notes[0]
    n, p = seed_model.nobs, seed_model.design.p
    expected = seed_model.solution.pwrss / (n - p - 2) * seed_model.solution.unscaled_vcov
    np.testing.assert_allclose(
        np.cov(draws.fixef.to_numpy().T), expected, rtol=0.06, atol=0.02 * expected.max()
    )


def test_intervals_layout(seed_model):
    table = sim(seed_model, n=2000, seed=1).intervals(0.9)
    assert list(table.columns) == ["5 %", "95 %"]
    assert list(table.index)[:4] == [
        "sd_(Intercept)|Site",
        "cor_Temp.(Intercept)|Site",
        "sd_Temp|Site",
        "sigma",
    ]
    assert table.iloc[:3].isna().all().all()
    assert table.loc["sigma"].notna().all() and table.loc["N", "5 %"] < 2.17 < table.loc["N", "95 %"]


def test_same_seed_same_draws(seed_model):
    a, b = sim(seed_model, n=50, seed=3), sim(seed_model, n=50, seed=3)
    np.testing.assert_array_equal(a.fixef, b.fixef)
    np.testing.assert_array_equal(a.ranef[0], b.ranef[0])
    assert not np.allclose(a.sigma, sim(seed_model, n=50, seed=4).sigma)


@pytest.mark.parametrize("n", [0, -3, 1.5])
def test_bad_n_says_what_to_change(seed_model, n):
    with pytest.raises(InferenceError, match="at least 1"):
        sim(seed_model, n=n)


def test_bad_level_says_what_to_change(seed_model):
    with pytest.raises(InferenceError, match="level"):
        sim(seed_model, n=10, seed=1).intervals(1.2)
