"""Variance components from theta: the relative covariance factor, SDs and correlations, lme4's names.

For a term with k columns, theta holds the lower triangle of the k x k factor ``T`` column by column;
the term's covariance is ``sigma^2 T T'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd

from lmmcore.design.types import ReBlock


def split_theta(theta: np.ndarray, reterms: Sequence[ReBlock]) -> list[np.ndarray]:
    """The lower-triangular factor ``T`` of each term, from the concatenated theta vector."""
    factors, start = [], 0
    for term in reterms:
        k = term.k
        T = np.zeros((k, k))
        rows, cols = lower_indices(k)
        T[rows, cols] = theta[start : start + term.ntheta]
        factors.append(T)
        start += term.ntheta
    return factors


@cache
def lower_indices(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of a k x k lower triangle in theta order (column by column).

    Cached and shared: treat the arrays as read-only.
    """
    pairs = [(i, j) for j in range(k) for i in range(j, k)]
    return np.array([p[0] for p in pairs], dtype=int), np.array([p[1] for p in pairs], dtype=int)


def term_covariances(theta: np.ndarray, sigma: float, reterms: Sequence[ReBlock]) -> list[np.ndarray]:
    """Covariance matrix ``sigma^2 T T'`` of each term's random effects."""
    return [sigma**2 * T @ T.T for T in split_theta(theta, reterms)]


def sdcor_names(reterms: Sequence[ReBlock]) -> list[str]:
    """lme4's parameter names (``confint(oldNames = FALSE)``), in theta order, then ``sigma``."""
    names = []
    for term in reterms:
        for i, j in zip(*lower_indices(term.k)):
            if i == j:
                names.append(f"sd_{term.names[i]}|{term.group}")
            else:
                names.append(f"cor_{term.names[i]}.{term.names[j]}|{term.group}")
    return names + ["sigma"]


def theta_to_sdcor(theta: np.ndarray, sigma: float, reterms: Sequence[ReBlock]) -> np.ndarray:
    """Standard deviations and correlations in the order of :func:`sdcor_names` (sigma last)."""
    out = []
    for term, cov in zip(reterms, term_covariances(theta, sigma, reterms)):
        sd = np.sqrt(np.diag(cov))
        for i, j in zip(*lower_indices(term.k)):
            if i == j:
                out.append(sd[i])
            else:
                denom = sd[i] * sd[j]
                out.append(cov[i, j] / denom if denom > 0 else np.nan)
    return np.array(out + [sigma])


def sdcor_to_theta(sdcor: np.ndarray, sigma: float, reterms: Sequence[ReBlock]) -> np.ndarray | None:
    """lme4's ``Sv_to_Cv``: theta from SDs and correlations (sdcor order, sigma excluded).

    Each term's covariance ``D R D`` is factored ``sigma^2 T T'`` (Cholesky, zero pivots allowed);
    None when a term's correlation matrix is not positive semi-definite.
    """
    out, start = [], 0
    for term in reterms:
        values = sdcor[start : start + term.ntheta]
        start += term.ntheta
        if term.k == 1:
            out.append(values[0] / sigma)
            continue
        rows, cols = lower_indices(term.k)
        diagonal = rows == cols
        sd = values[diagonal]
        cor = np.eye(term.k)
        cor[rows, cols] = np.where(diagonal, 1.0, values)
        cor[cols, rows] = cor[rows, cols]
        cov = cor * np.outer(sd, sd)
        try:
            factor = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:  # an SD at 0 or a correlation at -+1: a semi-definite factor
            factor = _semidefinite_cholesky(cov)
            if factor is None:
                return None
        out.extend(factor[rows, cols] / sigma)
    return np.array(out)


def _semidefinite_cholesky(cov: np.ndarray) -> np.ndarray | None:
    k = cov.shape[0]
    factor = np.zeros((k, k))
    tol = 1e-12 * max(float(np.max(np.diag(cov))), 1e-300)
    for j in range(k):
        pivot = cov[j, j] - factor[j, :j] @ factor[j, :j]
        if pivot < -tol:
            return None
        factor[j, j] = np.sqrt(max(pivot, 0.0))
        for i in range(j + 1, k):
            rest = cov[i, j] - factor[i, :j] @ factor[j, :j]
            if factor[j, j] > 0:
                factor[i, j] = rest / factor[j, j]
            elif abs(rest) > tol:
                return None
    return factor


def term_labels(reterms: Sequence[ReBlock]) -> list[str]:
    """lme4's names of the terms in ``VarCorr``: the grouping factor, made unique as R's ``make.unique``
    (a factor's second term is ``Subject.1``, its third ``Subject.2``)."""
    seen: dict[str, int] = {}
    out = []
    for name in (t.group for t in reterms):
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def varcorr_frame(theta: np.ndarray, sigma: float, reterms: Sequence[ReBlock]) -> pd.DataFrame:
    """``as.data.frame(VarCorr(m))``: per term its variances, then covariances, then the residual.

    ``grp`` holds lme4's term names (:func:`term_labels`: a factor's second term is ``Subject.1``).
    """
    rows = []
    for label, term, cov in zip(term_labels(reterms), reterms, term_covariances(theta, sigma, reterms)):
        sd = np.sqrt(np.diag(cov))
        for i in range(term.k):
            rows.append((label, term.names[i], None, cov[i, i], sd[i]))
        for j in range(term.k):
            for i in range(j + 1, term.k):
                denom = sd[i] * sd[j]
                cor = cov[i, j] / denom if denom > 0 else np.nan
                rows.append((label, term.names[j], term.names[i], cov[i, j], cor))
    rows.append(("Residual", None, None, sigma**2, sigma))
    return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])
