"""Inverting a likelihood profile: lme4's ``interpSpline`` / ``backSpline`` / ``confint.thpr``.

The profile ``zeta(x)`` is sampled at a few points; a natural cubic spline interpolates ``zeta`` as a
function of ``x``.  Its inverse ``x(zeta)`` is the piecewise cubic Hermite interpolant of the same
knots with slopes ``1 / zeta'(x_k)`` (exactly what R's ``backSpline`` builds), evaluated only inside
the sampled range of zeta: beyond it the profile hit a bound, which the caller substitutes.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicHermiteSpline, CubicSpline

#: lme4's tolerance for calling raw profile points non-monotonic.
NON_MONOTONE_TOL = 1e-2


def invert_profile(values: np.ndarray, zetas: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Parameter values where the profile reaches each target zeta; NaN outside the sampled range.

    Parameters
    ----------
    values, zetas : ndarray
        Sampled profile points (any order; duplicates of ``values`` are dropped).
    targets : ndarray
        Zeta values to invert, e.g. ``[-1.96, 1.96]``.

    Returns
    -------
    ndarray
        One value per target.  When the spline's inverse does not exist (a slope <= 0) but the raw
        points increase, linear interpolation is used (lme4's fallback); a non-monotonic profile gives
        NaN.
    """
    targets = np.asarray(targets, dtype=float)
    ok = np.isfinite(values) & np.isfinite(zetas)
    x, index = np.unique(np.asarray(values, dtype=float)[ok], return_index=True)
    z = np.asarray(zetas, dtype=float)[ok][index]
    if x.size < 2:
        return np.full(targets.shape, np.nan)
    inside = (targets >= z.min()) & (targets <= z.max())
    out = np.full(targets.shape, np.nan)
    slopes = (
        CubicSpline(x, z, bc_type="natural")(x, 1)
        if x.size > 2
        else np.full(2, np.diff(z)[0] / np.diff(x)[0])
    )
    if np.all(slopes > 0) and np.all(np.diff(z) > 0):
        out[inside] = CubicHermiteSpline(z, x, 1.0 / slopes)(targets[inside])
    elif np.min(np.diff(z)) >= -NON_MONOTONE_TOL:
        order = np.argsort(z, kind="stable")
        out[inside] = np.interp(targets[inside], z[order], x[order])
    return out
