"""lme4's singular-fit test (``isSingular``), the one place it is written.

A fit is singular when some random-effects variance sits on the boundary: a diagonal element of the
relative covariance factor (a theta whose lower bound is 0) below a tolerance.  lme4 uses 1e-4;
``performance``/``insight`` use 1e-5 when deciding whether random-effect variances are usable.
"""

from __future__ import annotations

import numpy as np

SINGULAR_TOL = 1e-4  # lme4's isSingular tolerance
SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"


def on_boundary(theta: np.ndarray, lower: np.ndarray, tol: float = SINGULAR_TOL) -> np.ndarray:
    """Which entries of theta are diagonal elements of the factor below ``tol``.

    Parameters
    ----------
    theta : ndarray, shape (..., ntheta)
        One theta vector, or one per row.
    lower : ndarray, shape (ntheta,)
        lme4's lower bounds (0 on the diagonal of each factor, -inf below it).
    tol : float
        The boundary tolerance.
    """
    return (np.asarray(lower) == 0) & (np.asarray(theta) < tol)


def is_singular(theta: np.ndarray, lower: np.ndarray, tol: float = SINGULAR_TOL) -> bool | np.ndarray:
    """lme4's ``isSingular``: a bool for one theta vector, a bool array for one theta per row."""
    hit = on_boundary(theta, lower, tol).any(axis=-1)
    return bool(hit) if np.ndim(hit) == 0 else hit
