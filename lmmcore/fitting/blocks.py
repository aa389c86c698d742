"""Block kernels of the blocked Cholesky factor (MixedModels.jl's ``BlockedSparse``/``UniformBlockDiagonal``).

The system matrix, with ``R = [Z_2 .. Z_T, X, y]`` the columns after the first random-effects term, is::

    [ L1'Z1'Z1 L1 + I     L1'Z1'R Lr      ]      L1 = Lambda of term 1 (block diagonal, one k x k
    [ Lr'R'Z1 L1          Lr'R'R Lr + P   ]      block T1 per level), Lr = diag(Lambda_2.., I_p, 1),
                                                 P = identity on the random-effect part of R.

The first block is block diagonal, so its factor is a batch of ``nlevels`` small Cholesky factors
``A_j = T1' G_j T1 + I`` (``G_j = sum over level j of z z'``).  Eliminating it leaves the Schur complement
``Lr' (R'R - C M C') Lr + P`` with ``C = R'Z1`` (precomputed) and ``M = blockdiag_j(T1 A_j^{-1} T1')``;
this module holds the y-free and y-dependent cross-products and the kernels computing ``log det A``,
``M`` and ``C M C'``.  ``M`` is passed around as its unique entries, an array ``(k(k+1)/2, nlevels)``
in theta's (column-major lower triangle) order.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dpotrf, dpotri


def lower_pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a k x k lower triangle in theta's order (column by column)."""
    cols, rows = np.triu_indices(k)
    return rows, cols


def level_gram(refs: np.ndarray, z: np.ndarray, nlevels: int) -> np.ndarray:
    """Unique entries of ``G_j = sum_{i in level j} z_i z_i'``, shape ``(k(k+1)/2, nlevels)``."""
    rows, cols = lower_pairs(z.shape[1])
    return np.stack([np.bincount(refs, z[:, r] * z[:, c], nlevels) for r, c in zip(rows, cols)])


def level_cross(refs: np.ndarray, z: np.ndarray, nlevels: int, dense: np.ndarray) -> np.ndarray:
    """``C[s, a, j] = sum_{i in level j} dense[i, a] z[i, s]``, shape ``(k, ncol, nlevels)``."""
    k, ncol = z.shape[1], dense.shape[1]
    out = np.empty((k, ncol, nlevels))
    for s in range(k):
        for a in range(ncol):
            out[s, a] = np.bincount(refs, dense[:, a] * z[:, s], nlevels)
    return out


def full_from_unique(mu: np.ndarray, k: int) -> np.ndarray:
    """Symmetric ``(k, k, nlevels)`` array from unique lower-triangle entries ``(k(k+1)/2, nlevels)``."""
    rows, cols = lower_pairs(k)
    out = np.empty((k, k, mu.shape[1]))
    out[rows, cols] = mu
    out[cols, rows] = mu
    return out


# --- first block: log det A and M = T A^{-1} T' per level -------------------------------------------


def first_block_k1(t: np.ndarray, gu: np.ndarray) -> tuple[float, np.ndarray]:
    """Scalar term: ``a_j = t^2 g_j + 1``, ``m_j = t^2 / a_j``."""
    t2 = t[0, 0] * t[0, 0]
    a = gu[0] * t2 + 1.0
    return float(np.log(a).sum()), (t2 / a)[None, :]


def first_block_k2(t: np.ndarray, gu: np.ndarray) -> tuple[float, np.ndarray]:
    """Two columns: closed forms for ``A = T'GT + I`` (2 x 2), its determinant and ``T A^{-1} T'``."""
    t0, t1, t2 = t[0, 0], t[1, 0], t[1, 1]
    to_a = np.array([[t0 * t0, 2 * t0 * t1, t1 * t1], [0.0, t0 * t2, t1 * t2], [0.0, 0.0, t2 * t2]])
    a = to_a @ gu
    a[0] += 1.0
    a[2] += 1.0
    det = a[0] * a[2] - a[1] * a[1]
    # entries of A^{-1} are (a22, -a21, a11) / det; M = T A^{-1} T' is linear in them
    to_m = np.array([[0.0, 0.0, t0 * t0], [0.0, -t0 * t2, t0 * t1], [t2 * t2, -2 * t1 * t2, t1 * t1]])
    return float(np.log(det).sum()), to_m @ (a / det)


def first_block_general(t: np.ndarray, gu: np.ndarray) -> tuple[float, np.ndarray]:
    """Any k: batched ``numpy.linalg`` on the stacked ``(nlevels, k, k)`` blocks."""
    logdet, _, m = factor_first_block(t, gu)
    rows, cols = lower_pairs(t.shape[0])
    return logdet, m[:, rows, cols].T


def factor_first_block(t: np.ndarray, gu: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``log det A``, ``A^{-1}`` (nlevels, k, k) and ``M = T A^{-1} T'`` (nlevels, k, k)."""
    k = t.shape[0]
    g = np.moveaxis(full_from_unique(gu, k), 2, 0)
    a = t.T @ g @ t + np.eye(k)
    chol = np.linalg.cholesky(a)
    logdet = 2.0 * float(np.log(np.diagonal(chol, axis1=1, axis2=2)).sum())
    a_inv = np.linalg.inv(a)
    return logdet, a_inv, t @ a_inv @ t.T


def first_block_kernel(k: int):
    """The fastest kernel ``(T, G unique) -> (log det A, M unique)`` for a first term with k columns."""
    return {1: first_block_k1, 2: first_block_k2}.get(k, first_block_general)


# --- the Schur update C M C' ----------------------------------------------------------------------------


class DenseCross:
    """``C = R'Z1`` held dense as ``(k, m, nlevels)``; for small trailing blocks or a single term.

    The last of the m rows belongs to y.
    """

    def __init__(self, c: np.ndarray):
        self.c = c
        self.k = c.shape[0]

    def with_y_row(self, cy: np.ndarray) -> DenseCross:
        c = self.c.copy()
        c[:, -1, :] = cy
        return DenseCross(c)

    def schur(self, a22: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """``R'R - C M C'`` (m x m, full)."""
        return a22 - self.update(mu)

    def update(self, mu: np.ndarray) -> np.ndarray:
        """``C M C'`` (m x m, full)."""
        c = self.c
        if self.k == 1:
            return (c[0] * mu[0]) @ c[0].T
        if self.k == 2:
            w0 = c[0] * mu[0] + c[1] * mu[1]
            w1 = c[0] * mu[1] + c[1] * mu[2]
            return w0 @ c[0].T + w1 @ c[1].T
        m = full_from_unique(mu, self.k)
        cm = np.einsum("tmj,stj->smj", c, m)
        return np.einsum("smj,snj->mn", cm, c)

    def rmatvec(self, x: np.ndarray) -> np.ndarray:
        """``C_rx' x`` for the rows before y, shaped ``(k, nlevels)``."""
        return np.einsum("smj,m->sj", self.c[:, :-1, :], x)

    def y_row(self) -> np.ndarray:
        return self.c[:, -1, :]

    def re_rows(self, qr: int) -> np.ndarray:
        """``Z_r'Z1`` for the random-effect rows, dense ``(qr, k * nlevels)``, column ``s * nlevels + j``."""
        return self.c[:, :qr, :].transpose(1, 0, 2).reshape(qr, -1)


class SparseCross:
    """``C = R'Z1`` for a large crossed design: the rows before y sparse, the Schur update a sparse matvec.

    ``C M C'`` restricted to the rows before y is linear in the unique entries of M, so it is a fixed sparse
    matrix ``W`` (rows: the lower-triangle positions ``positions`` of the m x m result that C's sparsity
    can reach, columns: entries of M) applied to M; ``W`` is built once.  The y row needs one sparse matvec.
    """

    def __init__(self, crx: sp.csr_matrix, w: sp.csr_matrix, positions: np.ndarray, cy: np.ndarray):
        self.crx = crx
        self.crx_t = crx.T.tocsr()
        self.w = w
        self.positions = positions
        self.cy = cy
        self.k = cy.shape[0]
        self.m = crx.shape[0] + 1

    @classmethod
    def build(cls, keys_level: np.ndarray, keys_row: np.ndarray, vals: np.ndarray, nrows: int, nlevels: int):
        """From (level, row, values per first-term column) triples, duplicates summed; y row set later."""
        k = vals.shape[1]
        key = keys_level.astype(np.int64) * nrows + keys_row
        uniq, inv = np.unique(key, return_inverse=True)
        v = np.stack([np.bincount(inv, vals[:, s], len(uniq)) for s in range(k)], axis=1)
        level, row = uniq // nrows, uniq % nrows
        crx = sp.csr_matrix(
            (
                v.T.ravel(),
                (np.tile(row, k), (np.arange(k)[:, None] * nlevels + level[None, :]).ravel()),
            ),
            shape=(nrows, k * nlevels),
        )
        w, positions = _schur_map(level, row, v, nrows + 1, nlevels)
        return cls(crx, w, positions, np.zeros((k, nlevels)))

    def with_y_row(self, cy: np.ndarray) -> SparseCross:
        return SparseCross(self.crx, self.w, self.positions, cy)

    def schur(self, a22: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """``R'R - C M C'``, valid in the lower triangle (the upper one keeps ``R'R``)."""
        out = a22.copy()
        flat = out.reshape(-1)
        flat[self.positions] -= self.w @ mu.ravel()
        v = np.einsum("stj,tj->sj", full_from_unique(mu, self.k), self.cy)
        out[-1, :-1] -= self.crx @ v.ravel()
        out[-1, -1] -= float((v * self.cy).sum())
        return out

    def rmatvec(self, x: np.ndarray) -> np.ndarray:
        return (self.crx_t @ x).reshape(self.k, -1)

    def y_row(self) -> np.ndarray:
        return self.cy

    def re_rows(self, qr: int) -> sp.csr_matrix:
        return self.crx[:qr]


def _schur_map(level, row, v, m, nlevels) -> tuple[sp.csr_matrix, np.ndarray]:
    """The sparse map from M's unique entries to the lower triangle of ``C M C'`` (see SparseCross).

    Entries are sorted by level, then row; for level j with entries e (rows a_e, values V_e), every pair
    ``e1 >= e2`` contributes ``sum_{s,t} V[e1,s] M_j[s,t] V[e2,t]`` to position ``(a_e1, a_e2)`` of the
    m x m result.  Returns the map, one row per reachable position, and those positions (``a * m + b``).
    """
    k = v.shape[1]
    counts = np.bincount(level, minlength=nlevels)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = np.arange(len(level)) - starts[level]
    e1 = np.repeat(np.arange(len(level)), local + 1)
    first_pair = np.concatenate([[0], np.cumsum(local + 1)[:-1]])
    e2 = starts[level[e1]] + (np.arange(len(e1)) - first_pair[e1])
    position = row[e1].astype(np.int64) * m + row[e2]
    rows, cols = lower_pairs(k)
    data, col_index = [], []
    for u, (s, t) in enumerate(zip(rows, cols)):
        coef = v[e1, s] * v[e2, t]
        if s != t:
            coef = coef + v[e1, t] * v[e2, s]
        data.append(coef)
        col_index.append(u * nlevels + level[e1])
    w = sp.csr_matrix(
        (np.concatenate(data), (np.tile(position, len(rows)), np.concatenate(col_index))),
        shape=(m * m, len(rows) * nlevels),
    )
    # keep only the reachable rows: a CSR matvec pays for every row, empty or not
    reachable = np.flatnonzero(np.diff(w.indptr))
    compact = sp.csr_matrix(
        (w.data, w.indices, np.append(w.indptr[reachable], w.nnz)), shape=(len(reachable), w.shape[1])
    )
    return compact, reachable


# --- analytic gradient for a single random-effects term ---------------------------------------------------


class SingleTermGradient:
    """Value and analytic gradient of the profiled criterion when there is one random-effects term.

    With ``Omega`` the full system matrix (random effects, X, y) and ``Lt = diag(Lambda, I)``::

        REML:  f = log det Omega + (n - p - 1) log pwrss + const
        ML:    f = sum_j log det A_j + n log pwrss + const
        d log det Omega / d theta_i = 2 sum_j [Omega^{-1} Lt' (Z X y)'(Z X y)]_jj [c, r]
        d log det A_j  / d theta_i = 2 [A_j^{-1} T' G_j] [c, r]
        d pwrss / d theta_i        = -2 sum_j (Z_j' resid)[r] u_j[c]

    for theta_i at position (r, c) of T; the (j, j) blocks are ``Omega^{-1}_jj T'G_j + Omega^{-1}_jR C_j``
    with ``Omega^{-1}_jj = A_j^{-1} + K_j S^{-1} K_j'``, ``Omega^{-1}_jR = -K_j S^{-1}``,
    ``K_j = A_j^{-1} T' C_j'`` and S the Schur complement of the X, y block (p + 1 square).
    """

    def __init__(self, gu: np.ndarray, c: np.ndarray, a22: np.ndarray, n: int, reml: bool):
        k, m = c.shape[0], c.shape[1]
        self.k, self.m, self.p = k, m, m - 1
        self.g = np.ascontiguousarray(np.moveaxis(full_from_unique(gu, k), 2, 0))  # (nlevels, k, k)
        self.c = np.ascontiguousarray(c.transpose(2, 1, 0))  # (nlevels, m, k)
        self.c_x = np.ascontiguousarray(self.c[:, :-1, :])
        self.c_y = np.ascontiguousarray(self.c[:, -1, :])
        self.a22 = a22
        self.n = n
        self.reml = reml
        self.rows, self.cols = lower_pairs(k)
        self.eye = np.eye(k)
        self.upper = np.triu_indices(m, 1)

    def with_response(self, c: np.ndarray, a22: np.ndarray) -> SingleTermGradient:
        """The same kernel for another response (new y row of C and of ``R'R``)."""
        other = copy.copy(self)
        other.c = np.ascontiguousarray(c.transpose(2, 1, 0))
        other.c_y = np.ascontiguousarray(other.c[:, -1, :])
        other.c_x = np.ascontiguousarray(other.c[:, :-1, :])
        other.a22 = a22
        return other

    def __call__(self, t: np.ndarray) -> tuple[float, np.ndarray, float]:
        """(log det Omega (REML) or sum_j log det A_j (ML), the gradient of f, pwrss) at factor ``t``."""
        g, c, p = self.g, self.c, self.p
        tg = t.T @ g
        a = tg @ t
        a += self.eye
        a_inv, logdet_a = _small_inverse(a)
        ct = c @ t
        k_mat = a_inv @ ct.transpose(0, 2, 1)
        m = self.m
        s = self.a22 - ct.transpose(1, 0, 2).reshape(m, -1) @ k_mat.reshape(-1, m)
        chol, info = dpotrf(s, lower=1, clean=0, overwrite_a=0)
        if info != 0:
            return math.inf, np.zeros(len(self.rows)), math.nan
        s_inv, _ = dpotri(chol, lower=1)
        s_inv[self.upper] = s_inv.T[self.upper]
        pwrss = chol[p, p] ** 2
        beta = -s_inv[:p, p] * pwrss
        # u_j = A_j^{-1} T'(Z_j'y - Z_j'X beta) and Z_j'(y - X beta - Z b)
        zty = self.c_y - beta @ self.c_x
        u = np.einsum("jab,jb->ja", a_inv, zty @ t)
        zr = zty - np.einsum("jab,jb->ja", g, u @ t.T)
        d_pwrss = -2.0 * np.einsum("ji,ji->i", zr[:, self.rows], u[:, self.cols])
        if self.reml:
            ks = k_mat @ s_inv
            blocks = (a_inv + ks @ k_mat.transpose(0, 2, 1)) @ tg - ks @ c
            d_logdet = 2.0 * blocks[:, self.cols, self.rows].sum(axis=0)
            logdet = logdet_a + 2.0 * float(np.log(np.diagonal(chol)).sum())
            weight = self.n - p - 1
        else:
            d_logdet = 2.0 * (a_inv @ tg)[:, self.cols, self.rows].sum(axis=0)
            logdet = logdet_a
            weight = self.n
        return logdet, d_logdet + (weight / pwrss) * d_pwrss, float(pwrss)


_ADJUGATE_SIGNS = np.array([[1.0, -1.0], [-1.0, 1.0]])


def _small_inverse(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Inverses of stacked symmetric positive-definite blocks and the sum of their log-determinants."""
    k = a.shape[1]
    if k == 1:
        return 1.0 / a, float(np.log(a).sum())
    if k == 2:
        det = a[:, 0, 0] * a[:, 1, 1] - a[:, 1, 0] * a[:, 1, 0]
        adjugate = a[:, ::-1, ::-1] * _ADJUGATE_SIGNS
        adjugate /= det[:, None, None]
        return adjugate, float(np.log(det).sum())
    return np.linalg.inv(a), float(np.linalg.slogdet(a)[1].sum())
