"""The numbers behind the Model check panel, computed once per fit in a worker: densities of the observed
and simulated responses, lowess smoothers, normal QQ points with pointwise bands, VIFs, R² and ICC.

Every array is small or plain (floats), so the result pickles cheaply back to the app, where the figure
builders of :mod:`.model_check` only lay them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.ndimage import gaussian_filter1d

from .large_data import QQ_POINTS, thinned_ranks
from .smoother import lowess_curve

#: Simulated responses drawn for the posterior predictive check (performance's check_predictions: 50).
PPC_DRAWS = 50
DENSITY_POINTS = 256
BAND_LEVEL = 0.95


@dataclass(frozen=True)
class Curve:
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class QQPanel:
    """Normal QQ points of one sample with R's qqline and a pointwise 95 % band around it."""

    name: str
    theory: np.ndarray
    sample: np.ndarray
    intercept: float
    slope: float
    band_low: np.ndarray
    band_high: np.ndarray


@dataclass(frozen=True)
class CheckData:
    """What the Model check figures draw for one fit (residuals are Pearson: ``(y - fitted) / sigma``)."""

    response_name: str
    observed_density: Curve
    simulated_densities: np.ndarray  # (PPC_DRAWS, DENSITY_POINTS) on observed_density.x
    fitted: np.ndarray
    residuals: np.ndarray
    linearity: Curve
    homogeneity: Curve
    residual_qq: QQPanel
    ranef_qq: tuple[QQPanel, ...]
    vif: pd.DataFrame
    r2: pd.Series
    icc: pd.Series
    seed: int

    @property
    def scale_location(self) -> np.ndarray:
        """``sqrt(|standardized residual|)``: its spread against the fitted values shows the variance."""
        return np.sqrt(np.abs(self.residuals))


def check_data(m, seed: int) -> CheckData:
    """Everything the Model check panel shows for the fitted model ``m`` (an ``LmmResult``)."""
    fitted = m.fitted.to_numpy(float)
    residuals = m.resid.to_numpy(float) / float(m.sigma)
    observed = m.design.y
    simulated = m.simulate(nsim=PPC_DRAWS, seed=seed).to_numpy(float).T
    grid, densities = densities_on_grid(np.vstack([observed, simulated]))
    return CheckData(
        response_name=str(m.design.response_name),
        observed_density=Curve(grid, densities[0]),
        simulated_densities=densities[1:],
        fitted=fitted,
        residuals=residuals,
        linearity=smoother(fitted, residuals),
        homogeneity=smoother(fitted, np.sqrt(np.abs(residuals))),
        residual_qq=qq_panel(residuals, "residuals"),
        ranef_qq=tuple(
            qq_panel(modes[term].to_numpy(float), f"{term} | {group}")
            for group, modes in m.ranef.items()
            for term in modes.columns
        ),
        vif=m.vif(),
        r2=m.r2(),
        icc=m.icc(),
        seed=int(seed),
    )


def densities_on_grid(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian kernel densities of each row of ``samples`` on one common grid.

    As R's ``density()``: Silverman's rule-of-thumb bandwidth (``bw.nrd0``) per sample, the kernel applied
    to binned counts (a Gaussian filter over a fine histogram), the grid reaching three bandwidths past the
    data.
    """
    samples = np.atleast_2d(np.asarray(samples, float))
    bandwidths = _nrd0(samples)
    low = float(samples.min() - 3 * bandwidths.max())
    high = float(samples.max() + 3 * bandwidths.max())
    if not high > low:
        low, high = low - 1.0, high + 1.0
    edges = np.linspace(low, high, DENSITY_POINTS + 1)
    step = edges[1] - edges[0]
    densities = np.empty((len(samples), DENSITY_POINTS))
    for k, (row, bw) in enumerate(zip(samples, bandwidths)):
        counts, _ = np.histogram(row, bins=edges)
        densities[k] = gaussian_filter1d(counts.astype(float), bw / step, mode="constant") / (len(row) * step)
    return (edges[:-1] + edges[1:]) / 2, densities


def _nrd0(samples: np.ndarray) -> np.ndarray:
    """R's ``bw.nrd0`` of each row: ``0.9 min(sd, IQR / 1.34) n^(-1/5)``, with R's fallbacks for
    constant data (the SD, then the value itself, then 1)."""
    n = samples.shape[1]
    sd = np.std(samples, axis=1, ddof=1) if n > 1 else np.zeros(len(samples))
    q1, q3 = np.quantile(samples, [0.25, 0.75], axis=1)
    spread = np.minimum(sd, (q3 - q1) / 1.34)
    spread = np.where(spread > 0, spread, sd)
    first = np.abs(samples[:, 0])
    spread = np.where(spread > 0, spread, np.where(first > 0, first, 1.0))
    return 0.9 * spread * n**-0.2


def smoother(x: np.ndarray, y: np.ndarray) -> Curve:
    """lowess of y on x (R's lowess defaults; sampled when large, see :mod:`.smoother`), on at most
    GRID_POINTS points."""
    return Curve(*lowess_curve(x, y))


def qq_panel(values: np.ndarray, name: str) -> QQPanel:
    """Normal QQ points (R's ``ppoints``), the line through the quartiles (``qqline``) and a pointwise band.

    For the order statistic at probability ``p`` of ``n`` normal draws the standard error around the line
    ``a + b z`` is ``b sqrt(p (1 - p) / n) / phi(z)`` (Fox 2016, as car's ``qqPlot`` and qqplotr's normal
    band); the band is the line plus or minus ``z_0.975`` of them.
    """
    sample = np.sort(np.asarray(values, float))
    n = len(sample)
    offset = 3 / 8 if n <= 10 else 1 / 2
    positions = (np.arange(1, n + 1) - offset) / (n + 1 - 2 * offset)
    keep = thinned_ranks(n, QQ_POINTS)
    theory = stats.norm.ppf(positions[keep])
    q1, q3 = np.quantile(sample, [0.25, 0.75]) if n else (0.0, 0.0)
    z1, z3 = stats.norm.ppf([0.25, 0.75])
    slope = (q3 - q1) / (z3 - z1)
    intercept = q1 - slope * z1
    p = positions[keep]
    critical = stats.norm.ppf((1 + BAND_LEVEL) / 2)
    half = critical * slope * np.sqrt(p * (1 - p) / max(n, 1)) / stats.norm.pdf(theory)
    line = intercept + slope * theory
    return QQPanel(name, theory, sample[keep], float(intercept), float(slope), line - half, line + half)
