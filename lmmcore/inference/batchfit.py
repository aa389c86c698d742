"""Many fits of one-random-term models at once: the profiled criterion vectorised across replicates.

Bootstrap refits and recovery studies fit hundreds of models with the same shape (one random-effects
term of ``k`` columns over ``m`` levels, ``p`` fixed effects).  Fitting them one by one costs an optimizer
run each; here all of them advance together, so each step is a handful of array operations.

For one term the penalized system is block diagonal over levels.  With ``T`` the k x k factor of theta,
``G_j = Z_j'Z_j``, ``M_j = Z_j'[X y]`` (k x (p+1)) and ``A_j = T'G_jT + I``:

.. math::
    S = [X\\ y]'[X\\ y] - \\sum_j M_j' B_j M_j, \\qquad B_j = T A_j^{-1} T',

whose Cholesky factor ``[[R_X, 0], [r', r_y]]`` gives ``ldRX2 = 2 sum log diag R_X`` and
``pwrss = r_y^2``; ``ldL2 = sum_j log det A_j``.  Then lme4's criterion (Bates et al. 2015, eq. 34 and 41):
``ldL2 + ldRX2 + (n-p)(1 + log(2 pi pwrss/(n-p)))`` (REML) or ``ldL2 + n(1 + log(2 pi pwrss/n))`` (ML).
``sum_j M_j' B_j M_j`` is one matrix product of ``vec(B_j)`` with the precomputed outer products
``M_j[a,:] M_j[b,:]'`` for all j.

Optimisation is Newton's method on theta without bounds, with central-difference gradients,
forward-difference Hessians (eigenvalues made positive) and a backtracking line search, every replicate
on its own trajectory.  No bounds are needed: the criterion depends on theta only through ``T T'``, and
flipping the sign of a column of ``T`` leaves ``T T'`` unchanged, so any minimiser maps to one with a
non-negative diagonal (lme4's constraint) by those flips.  Replicates that do not converge are reported,
for the caller to refit with the ordinary optimizer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lmmcore.design.types import Design
from lmmcore.fitting.optimize import SINGULAR_TOL
from lmmcore.varcomp import lower_indices

_STEP = 1e-4  # finite-difference step, relative to max(|theta_i|, 0.1)
_MAX_ITER = 60
_TOL_STEP = 1e-7  # converged when the Newton step is below this (relative to max(|theta_i|, 0.1))
_TOL_DECREASE = 1e-11  # ... or the criterion decreases by less than this (relative)
_TOL_DECREMENT = 1e-6  # and then converged only if the Newton decrement (criterion units) is below this
_LOG_2PI = math.log(2.0 * math.pi)
# Replicates fitted together are limited so the per-level arrays stay below ~20M entries (160 MB).
_MAX_ENTRIES = 20_000_000


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


@dataclass(frozen=True)
class BatchFit:
    """Estimates of every replicate (leading axis R).

    ``theta`` has lme4's sign convention (non-negative diagonal); ``unscaled_vcov`` is
    ``(R_X'R_X)^{-1}``; ``b`` the conditional modes (R, m, k); ``converged`` False where Newton's method
    stopped without meeting its tolerance (those rows are still the best point found).
    """

    theta: np.ndarray
    objective: np.ndarray
    beta: np.ndarray
    sigma: np.ndarray
    unscaled_vcov: np.ndarray
    b: np.ndarray
    converged: np.ndarray

    @property
    def singular(self) -> np.ndarray:
        k = int(round((math.sqrt(8 * self.theta.shape[1] + 1) - 1) / 2))
        rows, cols = lower_indices(k)
        return np.any(self.theta[:, rows == cols] < SINGULAR_TOL, axis=1)


def batchable(design: Design) -> bool:
    """Whether :func:`fit_batch` handles this design (one random-effects term, some fixed effect)."""
    return len(design.reterms) == 1 and design.p > 0


def problem_from_responses(design: Design, responses: np.ndarray, reml: bool) -> BatchProblem:
    """R responses on one design (bootstrap): y-free products are shared, only y's are per replicate."""
    term = design.reterms[0]
    responses = np.atleast_2d(np.asarray(responses, dtype=float))
    gram = _level_gram(term)[None]
    indicator = _level_indicator(term)
    zx = _level_cross(term, design.X)
    zy = np.stack([(indicator @ (term.z[:, [c]] * responses.T)).T for c in range(term.k)], axis=-1)
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
    gram = np.stack([_level_gram(d.reterms[0]) for d in designs])
    m_blocks = np.stack([_level_cross(d.reterms[0], np.column_stack([d.X, d.y])) for d in designs])
    full = np.stack([(lambda a: a.T @ a)(np.column_stack([d.X, d.y])) for d in designs])
    return _assemble(gram, m_blocks, full, designs[0], reml)


def fit_responses(design: Design, responses: np.ndarray, reml: bool, theta0: np.ndarray) -> BatchFit:
    """:func:`fit_batch` of many responses on one design, in batches small enough for memory."""
    size = _batch_size(design)
    return _concatenate(
        [
            fit_batch(problem_from_responses(design, responses[start : start + size], reml), theta0)
            for start in range(0, len(responses), size)
        ]
    )


def fit_designs(designs: list[Design], reml: bool, theta0: np.ndarray) -> BatchFit:
    """:func:`fit_batch` of designs of equal :func:`shape_key`, in batches small enough for memory."""
    size = _batch_size(designs[0])
    return _concatenate(
        [
            fit_batch(problem_from_designs(designs[start : start + size], reml), theta0)
            for start in range(0, len(designs), size)
        ]
    )


def _batch_size(design: Design) -> int:
    """Replicates per batch: the outer products and the Newton stencil's level weights per replicate."""
    term = design.reterms[0]
    d = term.ntheta
    stencil = 1 + 2 * d + d * (d - 1) // 2
    per_replicate = term.nlevels * term.k**2 * ((design.p + 1) ** 2 + stencil)
    return max(1, _MAX_ENTRIES // per_replicate)


def _concatenate(fits: list[BatchFit]) -> BatchFit:
    return BatchFit(
        *(np.concatenate([getattr(f, name) for f in fits]) for name in BatchFit.__dataclass_fields__)
    )


def shape_key(design: Design) -> tuple:
    """Designs with equal keys can share one :class:`BatchProblem`."""
    term = design.reterms[0]
    return design.nobs, design.p, term.k, term.nlevels


def fit_batch(problem: BatchProblem, theta0: np.ndarray) -> BatchFit:
    """Minimise every replicate's criterion from ``theta0`` (shape (ntheta,) or (R, ntheta))."""
    x = np.array(np.broadcast_to(theta0, (problem.size, problem.ntheta)), dtype=float)
    value = objective(problem, x[:, None, :])[:, 0]
    converged = np.zeros(problem.size, dtype=bool)
    active = np.flatnonzero(np.isfinite(value))
    for _ in range(_MAX_ITER):
        if active.size == 0:
            break
        sub = problem.take(active)
        step, slope = _newton_direction(sub, x[active], value[active])
        new_x, new_value = _line_search(sub, x[active], value[active], step, slope)
        scale = np.maximum(np.abs(x[active]), 0.1)
        small_step = np.max(np.abs(new_x - x[active]) / scale, axis=1) < _TOL_STEP
        small_gain = value[active] - new_value <= _TOL_DECREASE * np.abs(value[active])
        x[active], value[active] = new_x, new_value
        # Newton decrement g'H^-1 g: the criterion's predicted distance to the minimum
        stationary = -slope <= _TOL_DECREMENT
        done = small_step | small_gain
        converged[active[done & stationary]] = True
        active = active[~done]
    x = _canonical_signs(x, problem.k)
    return _estimates(problem, x, value, converged)


def objective(problem: BatchProblem, theta: np.ndarray) -> np.ndarray:
    """Criterion at theta of shape (R, S, ntheta): S points per replicate; inf where not positive definite."""
    return _evaluate(problem, theta)[0]


def _evaluate(problem: BatchProblem, theta: np.ndarray):
    factors = _factors(theta, problem.k)  # (R, S, k, k)
    logdet, weights = _level_weights(factors, problem.gram[:, None])  # (R, S, m), (R, S, m, k, k)
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


def _newton_direction(problem: BatchProblem, x: np.ndarray, f0: np.ndarray):
    """Newton step from finite differences, Hessian eigenvalues made positive; also the slope g'step."""
    r, d = x.shape
    h = _STEP * np.maximum(np.abs(x), 0.1)
    eye = np.eye(d)
    plus = x[:, None, :] + h[:, None, :] * eye
    minus = x[:, None, :] - h[:, None, :] * eye
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
    both = np.stack([x + h * (eye[i] + eye[j]) for i, j in pairs], axis=1) if pairs else np.empty((r, 0, d))
    values = objective(problem, np.concatenate([plus, minus, both], axis=1))
    fp, fm, fb = values[:, :d], values[:, d : 2 * d], values[:, 2 * d :]
    grad = (fp - fm) / (2 * h)
    hess = np.empty((r, d, d))
    hess[:, range(d), range(d)] = (fp - 2 * f0[:, None] + fm) / h**2
    for c, (i, j) in enumerate(pairs):
        hess[:, i, j] = hess[:, j, i] = (fb[:, c] - fp[:, i] - fp[:, j] + f0) / (h[:, i] * h[:, j])
    hess = np.where(np.isfinite(hess), hess, 0.0)
    grad = np.where(np.isfinite(grad), grad, 0.0)
    eigval, eigvec = np.linalg.eigh(hess)
    floor = np.maximum(1e-8, 1e-6 * np.max(np.abs(eigval), axis=1, keepdims=True))
    eigval = np.maximum(np.abs(eigval), floor)
    step = -np.einsum("rij,rj,rkj,rk->ri", eigvec, 1.0 / eigval, eigvec, grad)
    return step, np.einsum("ri,ri->r", grad, step)


def _line_search(problem, x, f0, step, slope, tries: int = 12):
    """Backtracking (Armijo) per replicate; a replicate with no decrease keeps its point."""
    new_x, new_value = x.copy(), f0.copy()
    alpha = np.ones(len(x))
    pending = np.arange(len(x))
    for _ in range(tries):
        trial = x[pending] + alpha[pending, None] * step[pending]
        value = objective(problem.take(pending), trial[:, None, :])[:, 0]
        accept = value <= f0[pending] + 1e-4 * alpha[pending] * slope[pending]
        accept &= np.isfinite(value)
        new_x[pending[accept]] = trial[accept]
        new_value[pending[accept]] = value[accept]
        pending = pending[~accept]
        if pending.size == 0:
            break
        alpha[pending] *= 0.25
    return new_x, new_value


def _estimates(problem: BatchProblem, x: np.ndarray, value: np.ndarray, converged: np.ndarray) -> BatchFit:
    """beta, sigma, (R_X'R_X)^-1 and conditional modes at each replicate's theta."""
    _, chol, weights = _evaluate(problem, x[:, None, :])
    chol, weights = chol[:, 0], weights[:, 0]
    p = problem.p
    rx = chol[:, :p, :p]
    r_xy = chol[:, p, :p]
    beta = np.linalg.solve(np.swapaxes(rx, 1, 2), r_xy[..., None])[..., 0]
    inv_rx = np.linalg.inv(rx)
    unscaled = np.swapaxes(inv_rx, 1, 2) @ inv_rx
    pwrss = chol[:, p, p] ** 2
    sigma = np.sqrt(pwrss / (problem.n - p if problem.reml else problem.n))
    coefs = np.concatenate([-beta, np.ones((len(beta), 1))], axis=1)
    residual_cross = problem.m_blocks @ coefs[:, None, :, None]  # (R, m, k, 1)
    b = (weights @ residual_cross)[..., 0]
    return BatchFit(x, value, beta, sigma, unscaled, b, converged)


def _factors(theta: np.ndarray, k: int) -> np.ndarray:
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


def _canonical_signs(x: np.ndarray, k: int) -> np.ndarray:
    """Flip columns of T so its diagonal is non-negative (T T' unchanged)."""
    t = _factors(x, k)
    signs = np.where(np.diagonal(t, axis1=-2, axis2=-1) < 0, -1.0, 1.0)
    t = t * signs[:, None, :]
    rows, cols = lower_indices(k)
    return t[:, rows, cols]


def _level_indicator(term) -> sp.csr_matrix:
    n = len(term.refs)
    return sp.csr_matrix((np.ones(n), (term.refs, np.arange(n))), shape=(term.nlevels, n))


def _level_gram(term) -> np.ndarray:
    """``Z_j'Z_j`` per level, (m, k, k)."""
    out = np.zeros((term.nlevels, term.k, term.k))
    np.add.at(out, term.refs, term.z[:, :, None] * term.z[:, None, :])
    return out


def _level_cross(term, columns: np.ndarray) -> np.ndarray:
    """``Z_j' C`` per level, (m, k, ncol)."""
    out = np.zeros((term.nlevels, term.k, columns.shape[1]))
    np.add.at(out, term.refs, term.z[:, :, None] * columns[:, None, :])
    return out


def _assemble(gram, m_blocks, full, design: Design, reml: bool) -> BatchProblem:
    k, q = m_blocks.shape[-2], m_blocks.shape[-1]
    outer = np.einsum("rmka,rmlb->rmklab", m_blocks, m_blocks).reshape(len(m_blocks), -1, q * q)
    return BatchProblem(gram, m_blocks, outer, full, design.nobs, design.p, k, bool(reml))
