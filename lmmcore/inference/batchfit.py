"""Many fits of one-random-term models at once: Newton's method on every replicate together.

Bootstrap refits and recovery studies fit hundreds of models with the same shape (one random-effects
term of ``k`` columns over ``m`` levels, ``p`` fixed effects).  Fitting them one by one costs an optimizer
run each; here all of them advance together on the vectorised criterion of
:mod:`lmmcore.inference.batch_criterion`.

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

from lmmcore.design.types import Design
from lmmcore.fitting.singular import is_singular
from lmmcore.inference.batch_criterion import (
    BatchProblem,
    evaluate,
    factors,
    objective,
    problem_from_designs,
    problem_from_responses,
)
from lmmcore.varcomp import lower_indices

_STEP = 1e-4  # finite-difference step, relative to max(|theta_i|, 0.1)
_MAX_ITER = 60
_TOL_STEP = 1e-7  # converged when the Newton step is below this (relative to max(|theta_i|, 0.1))
_TOL_DECREASE = 1e-11  # ... or the criterion decreases by less than this (relative)
_TOL_DECREMENT = 1e-6  # and then converged only if the Newton decrement (criterion units) is below this
# Replicates fitted together are limited so the per-level arrays stay below ~20M entries (160 MB).
_MAX_ENTRIES = 20_000_000


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
        return is_singular(self.theta, np.where(rows == cols, 0.0, -np.inf))


def batchable(design: Design) -> bool:
    """Whether :func:`fit_batch` handles this design (one random-effects term, some fixed effect)."""
    return len(design.reterms) == 1 and design.p > 0


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
    """:func:`fit_batch` of designs of equal :func:`~.batch_criterion.shape_key`, in batches small enough
    for memory."""
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
    _, chol, weights = evaluate(problem, x[:, None, :])
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


def _canonical_signs(x: np.ndarray, k: int) -> np.ndarray:
    """Flip columns of T so its diagonal is non-negative (T T' unchanged)."""
    t = factors(x, k)
    signs = np.where(np.diagonal(t, axis1=-2, axis2=-1) < 0, -1.0, 1.0)
    t = t * signs[:, None, :]
    rows, cols = lower_indices(k)
    return t[:, rows, cols]
