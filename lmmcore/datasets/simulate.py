"""Simulated data of the seed tutorial: plant biomass at sites with a random intercept and Temp slope.

The design (one row per sample)::

    Temp, N ~ Uniform(-2, 2)
    (b0, b1)[site] ~ Normal(0, [[sd_intercept^2, cor sd_intercept sd_slope],
                                [cor sd_intercept sd_slope, sd_slope^2]])
    Biomass = intercept + b0[site] + (temp_effect + b1[site]) * Temp + n_effect * N + e,
    e ~ Normal(0, sigma^2)

so ``Biomass ~ Temp + N + (1 + Temp | Site)`` is the true model.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from lmmcore.errors import DataError

_COVARIATE_RANGE = (-2.0, 2.0)


def simulate_biomass(
    n_sites: int = 20,
    n_per_site: int = 5,
    intercept: float = 10.0,
    temp_effect: float = 0.2,
    n_effect: float = 2.0,
    sd_intercept: float = 1.2,
    sd_slope: float = 0.5,
    cor: float = 0.0,
    sigma: float = 1.0,
    seed: int | None = 42,
) -> pd.DataFrame:
    """Draw one data set of the seed tutorial's biomass design.

    Parameters
    ----------
    n_sites : int
        Number of sites (levels of the grouping factor ``Site``), at least 2.
    n_per_site : int
        Samples per site, at least 1.
    intercept, temp_effect, n_effect : float
        Fixed effects: ``(Intercept)``, ``Temp`` and ``N``.
    sd_intercept, sd_slope : float
        Standard deviations of the site intercepts ``b0`` and Temp slopes ``b1`` (>= 0).
    cor : float
        Correlation of ``b0`` and ``b1``, in [-1, 1].
    sigma : float
        Residual standard deviation (> 0).
    seed : int or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same data.

    Returns
    -------
    pandas.DataFrame
        ``n_sites * n_per_site`` rows, columns ``Temp``, ``N``, ``Site`` (text ``"Site1"``...) and
        ``Biomass``, site by site.

    Raises
    ------
    DataError
        When an argument is out of range; the message says which and what to use instead.
    """
    _check_count("n_sites", n_sites, minimum=2)
    _check_count("n_per_site", n_per_site, minimum=1)
    for name, value in (("intercept", intercept), ("temp_effect", temp_effect), ("n_effect", n_effect)):
        _check_finite(name, value)
    _check_nonnegative("sd_intercept", sd_intercept)
    _check_nonnegative("sd_slope", sd_slope)
    _check_finite("cor", cor)
    if abs(cor) > 1:
        raise DataError(f"cor must be between -1 and 1 (it is a correlation); got {cor}.")
    _check_finite("sigma", sigma)
    if sigma <= 0:
        raise DataError(f"sigma must be greater than 0 (the residual standard deviation); got {sigma}.")

    rng = np.random.default_rng(seed)
    n = n_sites * n_per_site
    temp = rng.uniform(*_COVARIATE_RANGE, size=n)
    nitrogen = rng.uniform(*_COVARIATE_RANGE, size=n)
    b0, b1 = _site_effects(rng, n_sites, sd_intercept, sd_slope, cor)
    site = np.repeat(np.arange(n_sites), n_per_site)
    noise = rng.normal(0.0, sigma, size=n)
    biomass = intercept + b0[site] + (temp_effect + b1[site]) * temp + n_effect * nitrogen + noise
    labels = pd.Series([f"Site{i + 1}" for i in site], dtype=str)
    return pd.DataFrame({"Temp": temp, "N": nitrogen, "Site": labels, "Biomass": biomass})


def _site_effects(
    rng: np.random.Generator, n_sites: int, sd_intercept: float, sd_slope: float, cor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bivariate normal (b0, b1) per site.

    Written through the Cholesky factor of the correlation matrix, ``b1 = sd_slope (cor z0 +
    sqrt(1 - cor^2) z1)``, so SDs of 0 and correlations of +-1 need no special case.
    """
    z = rng.standard_normal(size=(n_sites, 2))
    b0 = sd_intercept * z[:, 0]
    b1 = sd_slope * (cor * z[:, 0] + math.sqrt(1.0 - cor**2) * z[:, 1])
    return b0, b1


def _check_count(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise DataError(f"{name} must be a whole number of at least {minimum}; got {value!r}.")


def _check_finite(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise DataError(f"{name} must be a finite number; got {value!r}.")


def _check_nonnegative(name: str, value: object) -> None:
    _check_finite(name, value)
    if value < 0:
        raise DataError(f"{name} must be 0 or more (it is a standard deviation); got {value}.")
