"""Accurate numerical derivatives: central differences refined by Richardson extrapolation.

``statsmodels.tools.numdiff`` offers single-step differences (``approx_fprime``, ``approx_hess3``) whose
truncation error is ``O(h^2)``; Satterthwaite's degrees of freedom need second derivatives of a deviance
of size ~1e3 to about 1e-7 relative, which a single step cannot give (a small step drowns in rounding,
a large one in truncation).  This is the scheme of R's ``numDeriv::genD`` (used by lmerTest): start
with a large relative step, halve it a few times, and cancel the ``h^2, h^4, ...`` error terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: numDeriv's defaults: relative step, absolute step near zero, and what counts as zero.
RELATIVE_STEP = 0.1
ZERO_STEP = 1e-4
ZERO_TOL = np.sqrt(np.finfo(float).eps / 7e-7)


@dataclass(frozen=True)
class Derivatives:
    """Value, first and second derivatives of a vector-valued function at one point.

    Attributes
    ----------
    value : ndarray, shape (m,)
    jacobian : ndarray, shape (m, k)
        ``jacobian[a, i] = d f_a / d x_i``.
    hessian : ndarray, shape (m, k, k)
        ``hessian[a, i, j] = d^2 f_a / d x_i d x_j``.
    """

    value: np.ndarray
    jacobian: np.ndarray
    hessian: np.ndarray


def richardson_derivatives(
    func: Callable[[np.ndarray], np.ndarray], x: np.ndarray, levels: int = 4, ratio: float = 2.0
) -> Derivatives:
    """Jacobian and Hessians of ``func`` at ``x`` (numDeriv's ``genD``).

    At each level ``l`` the steps are ``h_i = (0.1 |x_i| or 1e-4 near zero) / ratio^l`` and

    - ``f'_i ~ (f(x + h_i e_i) - f(x - h_i e_i)) / 2 h_i``,
    - ``f''_ii ~ (f(x + h_i e_i) - 2 f(x) + f(x - h_i e_i)) / h_i^2``,
    - ``f''_ij ~ (f(x + h_i e_i + h_j e_j) - 2 f(x) + f(x - h_i e_i - h_j e_j)
      - f''_ii h_i^2 - f''_jj h_j^2) / 2 h_i h_j``,

    whose errors are series in ``h^2``; Richardson's step ``A <- (ratio^(2m) A_fine - A_coarse) /
    (ratio^(2m) - 1)`` removes them order by order.  Costs ``1 + levels * k * (k + 1)`` evaluations.
    """
    x = np.asarray(x, dtype=float)
    k = x.size
    f0 = np.atleast_1d(np.asarray(func(x), dtype=float))
    base = RELATIVE_STEP * np.abs(x) + ZERO_STEP * (np.abs(x) < ZERO_TOL)
    first = np.empty((levels, f0.size, k))
    second = np.empty((levels, f0.size, k, k))
    for level in range(levels):
        h = base / ratio**level
        for i in range(k):
            step = np.zeros(k)
            step[i] = h[i]
            plus, minus = func(x + step), func(x - step)
            first[level, :, i] = (plus - minus) / (2 * h[i])
            second[level, :, i, i] = (plus - 2 * f0 + minus) / h[i] ** 2
        for i in range(k):
            for j in range(i):
                step = np.zeros(k)
                step[[i, j]] = h[[i, j]]
                both = func(x + step) - 2 * f0 + func(x - step)
                cross = both - second[level, :, i, i] * h[i] ** 2 - second[level, :, j, j] * h[j] ** 2
                second[level, :, i, j] = second[level, :, j, i] = cross / (2 * h[i] * h[j])
    return Derivatives(f0, _extrapolate(first, ratio), _extrapolate(second, ratio))


def _extrapolate(estimates: np.ndarray, ratio: float) -> np.ndarray:
    """Richardson's table over the first axis (coarse to fine), even error powers."""
    table = estimates
    for order in range(1, table.shape[0]):
        factor = ratio ** (2 * order)
        table = (factor * table[1:] - table[:-1]) / (factor - 1)
    return table[0]
