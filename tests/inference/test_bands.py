"""Bootstrapped prediction bands (bootMer of predict(re.form = NA), percentile band)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore.datasets import load, simulate_biomass
from lmmcore.design import encode_newdata
from lmmcore.errors import InferenceError
from lmmcore.fit import fit
from lmmcore.inference.bands import predict_band
from lmmcore.inference.bootstrap import bootstrap

FORMULA = "Biomass ~ Temp + N + (1 + Temp | Site)"


@pytest.fixture(scope="module")
def seed_model():
    return fit(FORMULA, load("biomass"))


@pytest.fixture(scope="module")
def newdata(reference):
    return pd.DataFrame(reference("biomass_seed")["predict_newdata"])


def test_population_band_holds_lme4s_prediction(seed_model, newdata, reference):
    band = predict_band(seed_model, newdata, nsim=500, seed=1)
    assert list(band.columns) == ["Temp", "N", "fit", "lower", "upper"]
    expected = np.array(reference("biomass_seed")["predict_population"])
    # the fit is lme4's predict(re.form = NA) (1e-5 of the fixed effects' SE: lme4's optimizer tolerance)
    np.testing.assert_allclose(band["fit"], expected, rtol=0, atol=1e-5)
    assert np.all(band["lower"] < expected) and np.all(expected < band["upper"])


def test_band_is_the_quantiles_of_the_bootstrapped_predictions(seed_model, newdata):
    """The band reuses the cached bootstrap: its end points are quantiles of X_new beta*."""
    boot = bootstrap(seed_model, nsim=300, seed=9)
    band = predict_band(seed_model, newdata, level=0.9, nsim=300, seed=9)
    predictions = boot.beta @ np.asarray(encode_newdata(seed_model.design, newdata)).T
    np.testing.assert_allclose(band["lower"], np.quantile(predictions, 0.05, axis=0), rtol=1e-12)
    np.testing.assert_allclose(band["upper"], np.quantile(predictions, 0.95, axis=0), rtol=1e-12)


def test_band_width_is_about_the_wald_width(seed_model, newdata):
    """Width ~ 2 * 1.96 * sqrt(x' V x): the fixed effects are close to normal here (15 % allowed: MC
    error of a 95 % band from 1000 draws is ~5 %, and the bootstrap's sigma is not the Wald one)."""
    band = predict_band(seed_model, newdata, nsim=1000, seed=2)
    x = np.asarray(encode_newdata(seed_model.design, newdata))
    vcov = seed_model.solution.sigma**2 * seed_model.solution.unscaled_vcov
    wald = 2 * 1.959964 * np.sqrt(np.einsum("ij,jk,ik->i", x, vcov, x))
    np.testing.assert_allclose(band["upper"] - band["lower"], wald, rtol=0.15)


def test_band_narrows_with_more_data(newdata):
    """Same truth, 4x the sites: the band's width shrinks by about half (between 0.3 and 0.75 allowed)."""
    small = fit(FORMULA, simulate_biomass(n_sites=20, seed=5))
    large = fit(FORMULA, simulate_biomass(n_sites=80, seed=5))
    width_small = predict_band(small, newdata, nsim=400, seed=3).eval("upper - lower")
    width_large = predict_band(large, newdata, nsim=400, seed=3).eval("upper - lower")
    ratio = width_large.mean() / width_small.mean()
    assert 0.3 < ratio < 0.75, ratio


def test_group_band_follows_the_groups_curve(seed_model, newdata):
    """re=True: the band holds the site's own predicted curve, not the population's."""
    site = newdata.assign(Site="Site3")
    band = predict_band(seed_model, site, nsim=400, seed=4, re=True)
    own = seed_model.predict(site, re=True).to_numpy()
    np.testing.assert_allclose(band["fit"], own)
    assert np.all(band["lower"] < own) and np.all(own < band["upper"])
    population = seed_model.predict(newdata).to_numpy()
    assert np.all(population[:3] > band["upper"][:3])  # Site3 lies well below the population at low Temp


def test_unseen_level_gets_the_population_curve(seed_model, newdata):
    band = predict_band(seed_model, newdata.assign(Site="Nowhere"), nsim=200, seed=4, re=True)
    np.testing.assert_allclose(band["fit"], seed_model.predict(newdata).to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"level": 1.0}, "level"), ({"level": 0}, "level"), ({"nsim": 0}, "nsim")]
)
def test_bad_arguments_say_what_to_change(seed_model, newdata, kwargs, match):
    with pytest.raises(InferenceError, match=match):
        predict_band(seed_model, newdata, **kwargs)
