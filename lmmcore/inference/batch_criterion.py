"""The profiled criterion of many one-random-term models at once, as array operations.

Bootstrap refits and recovery studies fit hundreds of models with the same shape (one random-effects
term of ``k`` columns over ``m`` levels, ``p`` fixed effects); :mod:`lmmcore.inference.batchfit`
minimises them together with this criterion, so each step is a handful of array operations.

For one term the penalized system is block diagonal over levels.  With ``T`` the k x k factor of theta,
``G_j = Z_j'Z_j``, ``M_j = Z_j'[X y]`` (k x (p+1)) and ``A_j = T'G_jT + I``:

.. math::
    S = [X\\ y]'[X\\ y] - \\sum_j M_j' B_j M_j, \\qquad B_j = T A_j^{-1} T',

whose Cholesky factor ``[[R_X, 0], [r', r_y]]`` gives ``ldRX2 = 2 sum log diag R_X`` and
``pwrss = r_y^2``; ``ldL2 = sum_j log det A_j``.  Then lme4's criterion (Bates et al. 2015, eq. 34 and 41):
``ldL2 + ldRX2 + (n-p)(1 + log(2 pi pwrss/(n-p)))`` (REML) or ``ldL2 + n(1 + log(2 pi pwrss/n))`` (ML).
``sum_j M_j' B_j M_j`` is one matrix product of ``vec(B_j)`` with the precomputed outer products
``M_j[a,:] M_j[b,:]'`` for all j.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lmmcore.design.types import Design
from lmmcore.design.zmatrix import level_cross
from lmmcore.varcomp import lower_indices

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class BatchProblem:
    """Cross-products of R one-term models of equal shape (leading axis: replicate, or 1 when shared).

    Attributes
    ----------
    gram : ndarray (R or 1, m, k, k)
        ``Z_j'Z_j`` per level.
    m_blocks : ndarray (R, m, k, p + 1)
        ``Z_j'[X y]`` per level.
    outer : ndarray (R, m k k, (p + 1)^2)
        ``M_j[a, :] M_j[b, :]'`` for every level j and pair (a, b) of the term's columns.
    full : ndarray (R, p + 1, p + 1)
        ``[X y]'[X y]``.
    n, p, k : int
    reml : bool
    """

    gram: np.ndarray
    m_blocks: np.ndarray
    outer: np.ndarray
    full: np.ndarray
    n: int
    p: int
    k: int
    reml: bool

    @property
    def size(self) -> int:
        return self.m_blocks.shape[0]

    @property
    def ntheta(self) -> int:
        return self.k * (self.k + 1) // 2

    def take(self, rows: np.ndarray) -> BatchProblem:
        gram = self.gram if self.gram.shape[0] == 1 else self.gram[rows]
        return BatchProblem(
            gram, self.m_blocks[rows], self.outer[rows], self.full[rows], self.n, self.p, self.k, self.reml
        )


def shape_key(design: Design) -> tuple:
    """Designs with equal keys can share one :class:`BatchProblem`."""
    term = design.reterms[0]
    return design.nobs, design.p, term.k, term.nlevels


def problem_from_responses(design: Design, responses: np.ndarray, reml: bool) -> BatchProblem:
    """R responses on one design (bootstrap): y-free products are shared, only y's are per replicate."""
    term = design.reterms[0]
    responses = np.atleast_2d(np.asarray(responses, dtype=float))
    gram = level_cross(term, term.z)[None]
    zx = level_cross(term, design.X)
    # (R, m, k) in C order: matmul over a strided copy would block each replicate's sums by the batch's size
    zy = np.ascontiguousarray(level_cross(term, responses.T).transpose(2, 0, 1))
    m_blocks = np.concatenate([np.broadcast_to(zx, (len(responses), *zx.shape)), zy[..., None]], axis=-1)
    # einsum, not a matrix product: each replicate's sums then do not depend on the batch's size (BLAS
    # blocks a product by its shape), so a replicate's fit is the same in any chunking.
    xy = np.einsum("ri,ip->rp", responses, design.X)
    full = np.empty((len(responses), design.p + 1, design.p + 1))
    full[:, : design.p, : design.p] = design.X.T @ design.X
    full[:, : design.p, -1] = xy
    full[:, -1, : design.p] = xy
    full[:, -1, -1] = np.einsum("ri,ri->r", responses, responses)
    return _assemble(gram, m_blocks, full, design, reml)


def problem_from_designs(designs: list[Design], reml: bool) -> BatchProblem:
    """Designs of equal shape (recovery), every cross-product per replicate."""
    gram = np.stack([level_cross(d.reterms[0], d.reterms[0].z) for d in designs])
    m_blocks = np.stack([level_cross(d.reterms[0], np.column_stack([d.X, d.y])) for d in designs])
    full = np.stack([(lambda a: a.T @ a)(np.column_stack([d.X, d.y])) for d in designs])
    return _assemble(gram, m_blocks, full, designs[0], reml)


def objective(problem: BatchProblem, theta: np.ndarray) -> np.ndarray:
    """Criterion at theta of shape (R, S, ntheta): S points per replicate; inf where not positive definite."""
    return evaluate(problem, theta)[0]


def evaluate(problem: BatchProblem, theta: np.ndarray):
    """Criterion, Cholesky factor of the Schur complement ``S`` and level weights ``B_j`` at theta (R, S,
    ntheta); the factor and weights give the estimates at the optimum."""
    t = factors(theta, problem.k)  # (R, S, k, k)
    logdet, weights = _level_weights(t, problem.gram[:, None])  # (R, S, m), (R, S, m, k, k)
    r, s = theta.shape[:2]
    reduced = weights.reshape(r, s, -1) @ problem.outer  # (R, S, (p+1)^2)
    q = problem.p + 1
    schur = problem.full[:, None] - reduced.reshape(r, s, q, q)
    chol, ok = _cholesky(schur)
    diag = np.diagonal(chol, axis1=-2, axis2=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ld_rx = 2.0 * np.sum(np.log(diag[..., :-1]), axis=-1)
        pwrss = diag[..., -1] ** 2
        ld_l = logdet.sum(axis=-1)
        n, p = problem.n, problem.p
        if problem.reml:
            value = ld_l + ld_rx + (n - p) * (1.0 + _LOG_2PI + np.log(pwrss / (n - p)))
        else:
            value = ld_l + n * (1.0 + _LOG_2PI + np.log(pwrss / n))
    value = np.where(ok & (pwrss > 0), value, np.inf)
    return value, chol, weights


def factors(theta: np.ndarray, k: int) -> np.ndarray:
    """The k x k lower-triangular ``T`` of every theta (leading axes kept)."""
    out = np.zeros((*theta.shape[:-1], k, k))
    rows, cols = lower_indices(k)
    out[..., rows, cols] = theta
    return out


def _level_weights(t: np.ndarray, gram: np.ndarray):
    """``log det A_j`` and ``B_j = T A_j^{-1} T'`` for every level (closed forms for k = 1, 2)."""
    k = t.shape[-1]
    if k == 1:
        t2 = t[..., 0, 0][..., None] ** 2
        a = t2 * gram[..., 0, 0] + 1.0
        return np.log(a), (t2 / a)[..., None, None]
    if k == 2:
        t1, t2, t3 = (t[..., 0, 0][..., None], t[..., 1, 0][..., None], t[..., 1, 1][..., None])
        g11, g12, g22 = gram[..., 0, 0], gram[..., 0, 1], gram[..., 1, 1]
        a11 = t1 * t1 * g11 + 2 * t1 * t2 * g12 + t2 * t2 * g22 + 1.0
        a12 = (t1 * g12 + t2 * g22) * t3
        a22 = t3 * t3 * g22 + 1.0
        det = a11 * a22 - a12 * a12
        i11, i12, i22 = a22 / det, -a12 / det, a11 / det
        w = np.empty((*det.shape, 2, 2))
        w[..., 0, 0] = t1 * t1 * i11
        w[..., 0, 1] = w[..., 1, 0] = t1 * (t2 * i11 + t3 * i12)
        w[..., 1, 1] = t2 * t2 * i11 + 2 * t2 * t3 * i12 + t3 * t3 * i22
        return np.log(det), w
    tt = t[..., None, :, :]
    a = np.swapaxes(tt, -1, -2) @ gram @ tt + np.eye(k)
    _, logdet = np.linalg.slogdet(a)
    return logdet, tt @ np.linalg.inv(a) @ np.swapaxes(tt, -1, -2)


def _cholesky(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower Cholesky factors of a stack of small matrices, column by column; ok False where not PD."""
    q = a.shape[-1]
    chol = np.zeros_like(a)
    ok = np.ones(a.shape[:-2], dtype=bool)
    for j in range(q):
        pivot = a[..., j, j] - np.sum(chol[..., j, :j] ** 2, axis=-1)
        ok &= pivot > 0
        root = np.sqrt(np.where(pivot > 0, pivot, 1.0))
        chol[..., j, j] = root
        below = a[..., j + 1 :, j] - np.einsum("...ik,...k->...i", chol[..., j + 1 :, :j], chol[..., j, :j])
        chol[..., j + 1 :, j] = below / root[..., None]
    return chol, ok


def _assemble(gram, m_blocks, full, design: Design, reml: bool) -> BatchProblem:
    k, q = m_blocks.shape[-2], m_blocks.shape[-1]
    outer = np.einsum("rmka,rmlb->rmklab", m_blocks, m_blocks).reshape(len(m_blocks), -1, q * q)
    return BatchProblem(gram, m_blocks, outer, full, design.nobs, design.p, k, bool(reml))
