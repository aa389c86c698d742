"""The variance decomposition behind R² and the ICC, as ``insight::get_variance`` computes it for lme4.

With fixed-effects model matrix ``X`` (rank-deficient columns dropped) and estimates ``beta``:

- fixed-effects variance ``var_f = var(X beta)`` (sample variance, denominator ``n - 1``);
- random-effects variance ``var_r = sum_g (1/n) sum_i z_gi' Sigma_g z_gi`` (Johnson 2014): for each
  grouping factor ``g`` the covariance ``Sigma_g`` of its first term, and for observation ``i`` the columns
  ``z_gi`` of ``X`` named like the term's columns (a column not in ``X`` is left out, the intercept is a
  column of ones).  As insight, a factor's later terms (``Subject.1`` of ``(Days || Subject)``) and
  factors with one level per observation are not counted;
- residual variance ``var_e = sigma^2``.

When some variance is on the boundary (a diagonal theta below 1e-5) insight reports no random-effects
variance; ``random`` is then None.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmmcore.fitting.singular import is_singular
from lmmcore.varcomp import term_covariances, term_labels

#: insight's tolerance for "some variance component equals zero".
INSIGHT_SINGULAR_TOL = 1e-5


@dataclass(frozen=True)
class VarianceParts:
    """``insight::get_variance``'s ``var.fixed``, ``var.random`` (None when singular), ``var.residual``."""

    fixed: float
    random: float | None
    residual: float


def variance_parts(m) -> VarianceParts:
    """The variance decomposition of a fitted model (see the module docstring)."""
    design = m.design
    linear = design.X @ m.solution.beta
    # exactly 0 for a constant X beta (intercept only), where rounding in the mean would leave ~1e-29
    fixed = float(np.var(linear, ddof=1)) if np.ptp(linear) > 0 else 0.0
    residual = m.sigma**2
    if is_singular(m.solution.theta, design.theta_lower, INSIGHT_SINGULAR_TOL):
        return VarianceParts(fixed, None, residual)
    return VarianceParts(fixed, _random_variance(m), residual)


def _random_variance(m) -> float:
    design = m.design
    columns = {name: j for j, name in enumerate(design.fixed_names)}
    covariances = term_covariances(m.solution.theta, m.sigma, design.reterms)
    total = 0.0
    for label, term, cov in zip(term_labels(design.reterms), design.reterms, covariances):
        if label != term.group or term.nlevels == design.nobs:
            continue
        keep = [j for j, name in enumerate(term.names) if name in columns or name == "(Intercept)"]
        if not keep:
            continue
        z = np.column_stack([_fixed_column(design, columns, term.names[j]) for j in keep])
        sigma_g = cov[np.ix_(keep, keep)]
        # sum_i z_i' S z_i = sum_jk S_jk (Z'Z)_jk: one k x k cross-product (BLAS) instead of a triple product
        # per row.
        total += float(np.sum(sigma_g * (z.T @ z))) / design.nobs
    return total


def _fixed_column(design, columns: dict[str, int], name: str) -> np.ndarray:
    if name in columns:
        return design.X[:, columns[name]]
    return np.ones(design.nobs)  # insight binds an intercept column when X has none
