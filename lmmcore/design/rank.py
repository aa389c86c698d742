"""lme4's handling of a rank-deficient fixed-effects matrix: find dependent columns and drop them.

lme4 (``chkRank.drop.cols``) calls R's LINPACK ``qr(X, tol = 1e-7)`` (``dqrdc2``): columns are processed
left to right and a column whose norm, after removing its projection on the columns kept before it, falls
below ``tol`` times its original norm is moved to the end and dropped.  So among collinear columns the
later ones go, whatever their scale.  A Householder QR without pivoting gives exactly those residual
norms on its diagonal as long as no column is dependent; only then is the slower sequential search run.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

TOLERANCE = 1e-7


def independent_columns(X: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """Indices of the columns lme4 keeps, in their original order."""
    p = X.shape[1]
    if p == 0:
        return np.arange(0)
    norms = np.sqrt(np.einsum("ij,ij->j", X, X))
    reference = np.where(norms > 0, norms, 1.0) * tol
    if X.shape[0] >= p:
        packed, _, _, _ = lapack.dgeqrf(X)  # LAPACK directly: numpy's qr costs ten times more for small X
        if np.all(np.abs(np.diag(packed[:p, :p])) >= reference):
            return np.arange(p)
    return _sequential_search(X, reference)


def _sequential_search(X: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Gram-Schmidt, orthogonalising twice for stability, over the columns kept so far."""
    basis = np.empty((X.shape[0], 0))
    kept = []
    for j in range(X.shape[1]):
        residual = X[:, j].astype(np.float64, copy=True)
        for _ in range(2):
            residual -= basis @ (basis.T @ residual)
        norm = np.linalg.norm(residual)
        if norm >= reference[j]:
            basis = np.column_stack([basis, residual / norm])
            kept.append(j)
    return np.array(kept, dtype=np.intp)


def rank_message(dropped: tuple[str, ...]) -> str:
    """lme4's message, with the dropped names appended."""
    k = len(dropped)
    what = "column / coefficient" if k == 1 else "columns / coefficients"
    return f"fixed-effect model matrix is rank deficient so dropping {k} {what}: {', '.join(dropped)}"
