"""lmerTest's Satterthwaite t tests of the fixed effects and F tests of the fixed terms.

With the variance parameters ``varpar = (theta, sigma)`` and the fit's deviance ``D(varpar)`` (REML
criterion or -2 log-likelihood, *not* profiled over sigma, beta at its conditional estimate)::

    D = ldL2(theta) [+ ldRX2(theta)] + pwrss(theta) / sigma^2 + m log(2 pi sigma^2),  m = n [- p]

the asymptotic covariance of ``varpar`` is ``A = 2 H^+`` (H the Hessian of D at the optimum, ``+`` the
Moore-Penrose inverse over eigenvalues > 1e-8), ``vcov(beta)(varpar) = sigma^2 (RX' RX)^{-1}(theta)``,
and a contrast ``c`` has Satterthwaite's ``df = 2 (c' V c)^2 / (g' A g)`` with ``g = d(c' V c)/d varpar``.
The sigma derivatives are analytic; the theta derivatives come from one Richardson-extrapolated
difference scheme over the criterion's solutions (:mod:`lmmcore.inference.derivatives`).
"""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.errors import InferenceError
from lmmcore.fitting import criterion_for
from lmmcore.inference import type3
from lmmcore.inference.derivatives import richardson_derivatives

#: lmerTest's tolerances: Hessian eigenvalues counted as zero, rank of L V L'.
_HESSIAN_TOL = 1e-8
_RANK_EPS = np.sqrt(np.finfo(float).eps)

_sensitivities: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class VarparSensitivity:
    """What Satterthwaite's method needs from a fit (lmerTest's extra slots).

    Attributes
    ----------
    vcov_varpar : ndarray, shape (q, q)
        ``2 H^+``: asymptotic covariance of ``(theta, sigma)``.
    jac_vcov_beta : ndarray, shape (q, p, p)
        ``d vcov(beta) / d varpar_i`` for each variance parameter.
    vcov_beta : ndarray, shape (p, p)
    beta : ndarray, shape (p,)
    """

    vcov_varpar: np.ndarray
    jac_vcov_beta: np.ndarray
    vcov_beta: np.ndarray
    beta: np.ndarray

    def contrast_df(self, contrast: np.ndarray) -> tuple[float, float]:
        """Variance ``c' V c`` and Satterthwaite's df of the contrast ``c' beta``."""
        variance = float(contrast @ self.vcov_beta @ contrast)
        gradient = np.einsum("i,kij,j->k", contrast, self.jac_vcov_beta, contrast)
        return variance, 2 * variance**2 / float(gradient @ self.vcov_varpar @ gradient)


def varpar_sensitivity(m) -> VarparSensitivity:
    """Derivatives of the deviance and of ``vcov(beta)`` in ``(theta, sigma)`` at the fit's optimum.

    Computed once per result (t tests and F tests share it): ``(2 ntheta + 1)^2`` criterion solutions,
    counted as 9, 25, 49 for Dyestuff, Penicillin, sleepstudy's slopes.
    """
    try:
        return _sensitivities[m]
    except (KeyError, TypeError):
        pass
    sens = _compute_sensitivity(m)
    with contextlib.suppress(TypeError):  # a result that cannot be weakly referenced is not cached
        _sensitivities[m] = sens
    return sens


def _compute_sensitivity(m) -> VarparSensitivity:
    design, solution = m.design, m.solution
    if not design.reterms:
        raise InferenceError("Satterthwaite's df need random effects; fit a model with a (... | group) term.")
    criterion = criterion_for(m)
    reml = m.reml

    def pieces(theta: np.ndarray) -> np.ndarray:
        s = criterion.solve(theta)
        logdet = s.ldL2 + (s.ldRX2 if reml else 0.0)
        return np.concatenate([[logdet, s.pwrss], np.ravel(s.unscaled_vcov)])

    d = richardson_derivatives(pieces, np.asarray(solution.theta, dtype=float))
    sigma = float(solution.sigma)
    m_obs = design.nobs - (design.p if reml else 0)
    k, p = design.ntheta, design.p
    hessian = np.empty((k + 1, k + 1))
    hessian[:k, :k] = d.hessian[0] + d.hessian[1] / sigma**2
    hessian[:k, k] = hessian[k, :k] = -2 * d.jacobian[1] / sigma**3
    hessian[k, k] = 6 * d.value[1] / sigma**4 - 2 * m_obs / sigma**2
    unscaled = d.value[2:].reshape(p, p)
    jac = np.empty((k + 1, p, p))
    jac[:k] = sigma**2 * d.jacobian[2:].T.reshape(k, p, p)
    jac[k] = 2 * sigma * unscaled
    return VarparSensitivity(_pseudo_inverse_times_two(hessian), jac, sigma**2 * unscaled, solution.beta)


def _pseudo_inverse_times_two(hessian: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(hessian)
    keep = values > _HESSIAN_TOL
    return 2 * (vectors[:, keep] / values[keep]) @ vectors[:, keep].T


def satterthwaite_table(m) -> pd.DataFrame:
    """lmerTest's ``coef(summary(m))``: estimate, se, df, t, p for each fixed effect."""
    # scipy.stats is imported where used: it takes ~0.4 s, and `import lmmcore` stays light
    from scipy import stats

    sens = varpar_sensitivity(m)
    rows = []
    for j in range(m.design.p):
        contrast = np.zeros(m.design.p)
        contrast[j] = 1.0
        variance, df = sens.contrast_df(contrast)
        estimate = float(sens.beta[j])
        t = estimate / np.sqrt(variance)
        rows.append((estimate, np.sqrt(variance), df, t, 2 * stats.t.sf(abs(t), df)))
    return pd.DataFrame(rows, index=list(m.design.fixed_names), columns=["estimate", "se", "df", "t", "p"])


def anova_table(m) -> pd.DataFrame:
    """lmerTest's type III ``anova(m)``: one F test per fixed term with Satterthwaite's DenDF.

    The hypothesis of a term is lmerTest's (:mod:`lmmcore.inference.type3`): for a model with a single
    term or a single column, the type I rows (the term's rows of the unit lower-triangular Doolittle
    factor of ``X'X``, transposed); otherwise the type III contrasts, e.g. ``A`` in ``A * B`` averaged over
    ``B``'s levels.  A multi-df term is tested as lmerTest's ``contestMD``: eigen-decompose ``L V L'``,
    one Satterthwaite df per eigen-direction, combined into DenDF.
    """
    sens = varpar_sensitivity(m)
    hypotheses = _term_hypotheses(m.design)
    rows = [_f_test(L, sens, float(m.solution.sigma)) for L in hypotheses.values()]
    return pd.DataFrame(
        rows, index=list(hypotheses), columns=["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F", "p"]
    )


def term_columns(design) -> dict[str, list[int]]:
    """Columns of X of each fixed term that has any (R's ``assign``), by term label."""
    return {
        label: cols.tolist()
        for label, cols in zip(design.fixed_terms, type3.term_columns(design))
        if cols.size
    }


def _term_hypotheses(design) -> dict[str, np.ndarray]:
    if len(design.fixed_terms) > 1 and design.p > 1:
        return type3.type3_hypotheses(design)
    columns = term_columns(design)
    if design.p <= 1:
        return {label: np.ones((1, 1)) for label in columns}
    factor = np.linalg.cholesky(design.X.T @ design.X)
    upper = (factor / np.diag(factor)).T
    return {label: upper[cols] for label, cols in columns.items()}


def _f_test(L: np.ndarray, sens: VarparSensitivity, sigma: float) -> tuple[float, ...]:
    from scipy import stats

    vlv = L @ sens.vcov_beta @ L.T
    values, vectors = np.linalg.eigh(vlv)
    values, vectors = values[::-1], vectors[:, ::-1]
    rank = int(np.sum(values > max(_RANK_EPS * values[0], 0.0)))
    directions = vectors[:, :rank].T @ L
    t2 = (directions @ sens.beta) ** 2 / values[:rank]
    dfs = np.array([sens.contrast_df(c)[1] for c in directions])
    f_value = float(np.sum(t2) / rank)
    den_df = _combined_df(dfs)
    mean_sq = f_value * sigma**2
    return (mean_sq * rank, mean_sq, rank, den_df, f_value, float(stats.f.sf(f_value, rank, den_df)))


def _combined_df(nu: np.ndarray) -> float:
    """lmerTest's ``get_Fstat_ddf``: DenDF of a mean of squared t statistics with ``nu`` df each."""
    if nu.size == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < 1e-8):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    e = np.sum(nu / (nu - 2))
    return float(2 * e / (e - nu.size))
