"""Posterior simulation of a fitted model as ``arm::sim`` does for a ``merMod``.

arm (Gelman & Hill) simulates under a flat prior on ``(beta, u)`` and ``p(sigma^2) ~ 1/sigma^2``,
*conditional on the estimated* theta, so variance components are not simulated:

.. math::
    \\sigma^* = \\sqrt{\\mathrm{pwrss} / \\chi^2_{n-p}}, \\qquad
    (u^*, \\beta^*) \\sim N\\big((\\hat u, \\hat\\beta),\\; \\sigma^{*2} M^{-1}\\big), \\qquad
    b^* = \\Lambda_{\\hat\\theta} u^*,

with ``M = [[Lambda' Z' Z Lambda + I, Lambda' Z' X], [X' Z Lambda, X' X]]``, the precision of the penalized
least-squares problem.  For a REML fit ``pwrss = sigma_hat^2 (n - p)``, so
``sigma* = sigma_hat sqrt((n - p) / chi2_{n-p})``.  The fixed effects' marginal is
``N(beta_hat, sigma*^2 (RX' RX)^-1)``, the unscaled ``vcov``; random effects are drawn jointly with them
(their draws include the fixed effects' uncertainty, like arm's).

Difference from arm 1.13: arm maps ``u*`` to ``b*`` with ``t(getME(m, "Lambda"))`` and ignores the
fill-reducing permutation of ``L``; both are harmless for scalar random effects but give wrong
covariances for vector-valued terms (such as ``(1 + Temp | Site)``).  Here ``b* = Lambda u*`` exactly.
Fixed effects and sigma, the quantities compared with arm, are unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse

from lmmcore.design.zmatrix import random_effects_z
from lmmcore.inference.executors import check_count, seed_entropy
from lmmcore.inference.levels import interval_columns, validate_level
from lmmcore.varcomp import sdcor_names, split_theta

# Random effects are drawn from a dense Cholesky factor of M; above this size (~70 MB) only fixed
# effects and sigma are drawn.
_MAX_JOINT_SIZE = 3000


@dataclass(frozen=True)
class PosteriorDraws:
    """Draws of ``arm::sim(m, n.sims)``.

    Attributes
    ----------
    fixef : DataFrame, shape (n, p)
        Fixed-effect draws (columns lme4's names).
    sigma : ndarray, shape (n,)
        Residual SD draws.
    ranef : tuple of ndarray, each (n, nlevels, k), or None
        Random-effect draws per term (order of ``design.reterms``); None when the model has more than
        3000 random effects and fixed effects (see ``notes``).
    groups : tuple of str
        Grouping factor of each entry of ``ranef``.
    sdcor_names : tuple of str
        lme4's variance-parameter names (rows of :meth:`intervals`), ``sigma`` last.
    seed : int
        The seed that reproduces these draws.
    notes : tuple of str
        What was not simulated and why.
    """

    fixef: pd.DataFrame
    sigma: np.ndarray
    ranef: tuple[np.ndarray, ...] | None
    groups: tuple[str, ...]
    sdcor_names: tuple[str, ...]
    seed: int
    notes: tuple[str, ...] = ()

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Quantile intervals (R's default ``quantile``), the rows of ``confint``.

        SD and correlation rows are NaN: arm conditions on the estimated theta and does not simulate
        them.  ``sigma`` and the fixed effects come from the draws.
        """
        level = validate_level(level)
        probs = np.array([(1 - level) / 2, (1 + level) / 2])
        columns = interval_columns(level)
        rows = {name: [np.nan, np.nan] for name in self.sdcor_names[:-1]}
        rows["sigma"] = np.quantile(self.sigma, probs)
        for name in self.fixef.columns:
            rows[name] = np.quantile(self.fixef[name].to_numpy(), probs)
        return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def sim(m, n: int = 1000, seed: int | None = None) -> PosteriorDraws:
    """Simulate ``n`` draws of sigma, fixed and random effects (``arm::sim``).

    Parameters
    ----------
    m : LmmResult
        The fitted model.
    n : int
        Number of draws (>= 1).
    seed : int or None
        Same seed, same draws; None draws a fresh seed (reported in ``.seed``).
    """
    n = check_count("n", n)
    entropy = seed_entropy(seed)
    rng = np.random.default_rng(entropy)
    design, sol = m.design, m.solution
    p, nobs = design.p, design.nobs
    sigma = np.sqrt(sol.pwrss / rng.chisquare(nobs - p, size=n))
    q = sum(t.nlevels * t.k for t in design.reterms)
    names = tuple(sdcor_names(design.reterms))
    groups = tuple(t.group for t in design.reterms)
    if q + p > _MAX_JOINT_SIZE:
        spread = scipy.linalg.cholesky(sol.unscaled_vcov, lower=True)
        beta = sol.beta + sigma[:, None] * (rng.standard_normal((n, p)) @ spread.T)
        note = (
            f"random effects not simulated: {q} of them is more than sim draws jointly ({_MAX_JOINT_SIZE})."
        )
        return PosteriorDraws(_fixef_frame(beta, design), sigma, None, groups, names, entropy, (note,))
    lam, factor = _precision_factor(design, sol.theta)
    # M = L L' gives draws L^{-T} z with covariance M^{-1}.
    spherical = rng.standard_normal((q + p, n)) * sigma
    delta = scipy.linalg.solve_triangular(factor, spherical, lower=True, trans="T").T
    beta = sol.beta + delta[:, q:]
    b = np.concatenate([bt.ravel() for bt in sol.b]) + (lam @ delta[:, :q].T).T
    return PosteriorDraws(_fixef_frame(beta, design), sigma, _split_ranef(b, design), groups, names, entropy)


def _precision_factor(design, theta: np.ndarray) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """``Lambda`` and the lower Cholesky factor of ``M`` (see the module docstring)."""
    z = random_effects_z(design)
    lam = scipy.sparse.block_diag(
        [
            scipy.sparse.kron(scipy.sparse.identity(t.nlevels), T)
            for t, T in zip(design.reterms, split_theta(theta, design.reterms))
        ],
        format="csr",
    )
    zl = z @ lam
    upper_left = (zl.T @ zl).toarray() + np.eye(zl.shape[1])
    upper_right = np.asarray(zl.T @ design.X)
    precision = np.block([[upper_left, upper_right], [upper_right.T, design.X.T @ design.X]])
    return lam, scipy.linalg.cholesky(precision, lower=True)


def _split_ranef(b: np.ndarray, design) -> tuple[np.ndarray, ...]:
    out, start = [], 0
    for term in design.reterms:
        width = term.nlevels * term.k
        out.append(b[:, start : start + width].reshape(-1, term.nlevels, term.k))
        start += width
    return tuple(out)


def _fixef_frame(beta: np.ndarray, design) -> pd.DataFrame:
    return pd.DataFrame(beta, columns=list(design.fixed_names))
