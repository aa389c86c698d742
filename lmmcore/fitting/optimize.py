"""Minimising the profiled criterion over theta, with lme4's convergence checks.

The criterion depends on each term's factor T only through ``T T'``, so it is even in the sign of every
column of T: the bounds ``diag(T) >= 0`` only pick one of equivalent optima.  The search is therefore an
unconstrained quasi-Newton (BFGS with a backtracking line search) on the criterion's gradient (analytic
for one term and for scalar terms after the first, differences otherwise), whose result is folded back
into lme4's region (columns with a negative diagonal negated); a diagonal entry ending within 1e-6 of 0 is
set to 0, lme4's bound, when that does not raise the criterion.  Evaluations cost microseconds to
milliseconds and the criterion is smooth, so a few gradient steps beat a derivative-free search, and a
small pure-numpy BFGS costs far less per step than a general bounded solver.  A callable without a design
(no term structure to fold) is minimised by scipy's bounded L-BFGS-B instead.

A fit ending with a zero diagonal entry is checked for a descent direction into the interior and
restarted there (lme4's ``restart_edge``).  Afterwards lme4's checks: singular fit (a diagonal theta below
1e-4), and the scaled gradient and Hessian by central differences at the optimum (on the parameters off
the boundary); when the gradient check fails, a Newton step with those derivatives polishes the optimum
first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.optimize import minimize

from lmmcore.errors import FitError
from lmmcore.fitting.blocks import lower_pairs
from lmmcore.fitting.singular import SINGULAR_MESSAGE, is_singular, on_boundary

GRAD_TOL = 2e-3  # lme4's check.conv.grad
HESS_TOL = 1e-6  # lme4's check.conv.hess
DERIV_STEP = 1e-4  # lme4's deriv12 step
# the criterion is +inf where the factorisation fails and overflows to nan on extreme scales
_NOT_FINITE = (
    "The criterion is not finite where the optimizer stopped: either the fixed effects reproduce the "
    "response exactly (zero residuals: remove the fixed effects that explain it), or the response or "
    "covariates are on an extreme scale (values near 1e200 or 1e-200: rescale them, e.g. I(y / 1e6))."
)


@dataclass(frozen=True)
class OptimizerReport:
    """What the optimizer did.

    Attributes
    ----------
    theta : ndarray
        The minimiser.
    objective : float
        The criterion at ``theta``.
    nfev : int
        Criterion evaluations, including those of the gradients and the convergence checks.
    converged : bool
        False when the optimizer stopped early or lme4's gradient/Hessian checks fail.
    optimizer : str
        Name of the method.
    messages : tuple of str
        lme4's convergence messages (singular fit, max|grad|, Hessian).
    singular : bool
        Some diagonal element of theta is below 1e-4 (lme4's ``isSingular``).
    """

    theta: np.ndarray
    objective: float
    nfev: int
    converged: bool
    optimizer: str
    messages: tuple[str, ...]
    singular: bool


#: Criterion evaluations one fit may spend (lme4's bobyqa ``maxfun`` default): bounds the time of a
#: fit whose random-effects structure has very many parameters (a 16-level factor as a correlated slope
#: has 136 and took 16,595 evaluations).
MAXFUN = 10_000


def optimize_theta(
    criterion,
    theta0=None,
    *,
    check_derivatives: bool = True,
    maxiter: int = 1000,
    maxfun: int = MAXFUN,
) -> OptimizerReport:
    """Minimise ``criterion`` over theta subject to ``theta >= criterion.lower``.

    Parameters
    ----------
    criterion : Criterion
        A :class:`~lmmcore.fitting.criterion.Criterion`, or any callable theta -> float with ``lower``
        and ``theta0`` (then the gradient is taken by forward differences).
    theta0 : array_like, optional
        Start; lme4's (1 on the diagonal, 0 below it) by default.
    check_derivatives : bool
        Compute lme4's gradient/Hessian convergence checks (``calc.derivs``, on by default as in lme4;
        they cost about ``2 ntheta^2`` evaluations).
    maxiter : int
        Iteration limit of the quasi-Newton search.
    maxfun : int
        Budget of criterion evaluations (gradients count as the evaluations they cost); when it runs out
        the best theta seen is returned with ``converged`` False and a message saying what to simplify.
    """
    lower = np.asarray(criterion.lower, dtype=float)
    x = np.array(criterion.theta0 if theta0 is None else theta0, dtype=float)
    x = np.maximum(x, lower)
    counter = _Counter(criterion, lower, maxfun)
    terms = getattr(getattr(criterion, "design", None), "reterms", None)
    try:
        return _optimize(counter, x, check_derivatives, maxiter, terms)
    except _BudgetSpent:
        return _out_of_budget(counter, terms, maxfun)


def _optimize(counter, x, check_derivatives: bool, maxiter: int, terms) -> OptimizerReport:
    lower = counter.lower
    if terms is None:
        name, search = "L-BFGS-B", _minimise
    else:
        name, search = "BFGS", partial(_minimise_folded, terms=terms)
    x, value, ok = search(counter, x, maxiter)
    restarted = _restart_off_boundary(counter, x, value)
    if restarted is not None:
        x, value, ok = search(counter, restarted, maxiter)
    if not math.isfinite(value):
        raise FitError(_NOT_FINITE)
    messages = [] if ok else ["Optimizer stopped before convergence (iteration limit)."]
    converged = ok
    if check_derivatives:
        x, value, derivative_messages = _check_and_polish(counter, x, value)
        if terms is not None and _not_a_minimum(derivative_messages):
            rescaled = _rescaled_search(counter, x, value, terms, maxiter)
            if rescaled is not None:
                x, value, derivative_messages = _check_and_polish(counter, *rescaled)
        messages.extend(derivative_messages)
        converged = ok and not any(m.startswith("Model failed") for m in derivative_messages)
    singular = is_singular(x, lower)
    if singular:
        messages.insert(0, SINGULAR_MESSAGE)
    return OptimizerReport(
        theta=x,
        objective=value,
        nfev=counter.nfev,
        converged=converged,
        optimizer=name,
        messages=tuple(messages),
        singular=singular,
    )


class _BudgetSpent(Exception):
    """The evaluation budget ran out (internal: ``optimize_theta`` turns it into a report)."""


def _out_of_budget(counter: _Counter, terms, maxfun: int) -> OptimizerReport:
    x, value = counter.best
    if not math.isfinite(value):
        raise FitError(_NOT_FINITE)
    if terms is not None:
        x = _fold_signs(x, terms)
    singular = is_singular(x, counter.lower)
    message = (
        f"Model failed to converge: the optimizer used its budget of {maxfun} criterion evaluations "
        f"({len(x)} covariance parameters); simplify the random effects, e.g. fewer slopes, "
        "uncorrelated terms (||) or a factor with fewer levels."
    )
    messages = ([SINGULAR_MESSAGE] if singular else []) + [message]
    return OptimizerReport(x, value, counter.nfev, False, "BFGS", tuple(messages), singular)


class _Counter:
    """The criterion with a count of evaluations (a gradient counts as the evaluations it costs), the
    best point seen, and a budget."""

    def __init__(self, criterion, lower, maxfun: int = MAXFUN):
        self.criterion = criterion
        self.lower = lower
        self.maxfun = maxfun
        self.nfev = 0
        self.best = (np.array(criterion.theta0, dtype=float), math.inf)

    def _record(self, x, value: float) -> None:
        if value < self.best[1]:
            self.best = (np.array(x, dtype=float), value)
        if self.nfev >= self.maxfun:
            raise _BudgetSpent

    def __call__(self, x) -> float:
        self.nfev += 1
        value = self.criterion(x)
        self._record(x, value)
        return value

    def value_and_gradient(self, x):
        if hasattr(self.criterion, "value_and_gradient"):
            before = self.criterion.nfev
            out = self.criterion.value_and_gradient(x)
            self.nfev += self.criterion.nfev - before
            self._record(x, out[0])
            return out
        value = self(x)
        grad = np.empty_like(x)
        for i in range(len(x)):
            step = x.copy()
            h = 1e-7 * max(abs(x[i]), 0.1)
            step[i] += h
            grad[i] = (self(step) - value) / h
        return value, grad


def _minimise(counter: _Counter, x0: np.ndarray, maxiter: int) -> tuple[np.ndarray, float, bool]:
    bounds = [(lo if math.isfinite(lo) else None, None) for lo in counter.lower]
    result = minimize(
        counter.value_and_gradient,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-10, "gtol": 1e-6, "maxiter": maxiter},
    )
    # a line search failing at the noise level of the difference gradient is a stop at the optimum; the
    # derivative checks judge it like any other stop
    ok = bool(result.success) or str(result.message).startswith("ABNORMAL")
    return np.asarray(result.x, dtype=float), float(result.fun), ok


def _minimise_folded(
    counter: _Counter, x0: np.ndarray, maxiter: int, terms
) -> tuple[np.ndarray, float, bool]:
    """Unconstrained BFGS, then the optimum folded into lme4's region and tiny diagonals set to 0."""
    x, value, ok = _bfgs(counter.value_and_gradient, x0, maxiter)
    x = _fold_signs(x, terms)
    diagonal = counter.lower == 0
    tiny = diagonal & (x < 1e-6) & (x != 0)
    if np.any(tiny):
        snapped = np.where(tiny, 0.0, x)
        snapped_value = counter(snapped)
        if snapped_value <= value + 1e-12 * abs(value):
            x, value = snapped, snapped_value
    return x, value, ok


def _bfgs(value_and_gradient, x: np.ndarray, maxiter: int, ftol: float = 1e-10, gtol: float = 1e-7):
    """BFGS on the inverse Hessian with an Armijo backtracking line search (quadratic interpolation).

    Stops when an iteration lowers f by at most ``ftol |f|``, when ``max |grad| <= gtol |f|``, or when the
    line search cannot make progress (the optimum, to the gradient's accuracy); returns (x, f, converged),
    converged False only when ``maxiter`` is reached or f is not finite.
    """
    f, g = value_and_gradient(x)
    n = len(x)
    h = np.eye(n)
    scaled = False
    for _ in range(maxiter):
        if not math.isfinite(f):
            return x, f, False
        direction = -(h @ g)
        slope = float(g @ direction)
        if slope >= 0:  # the inverse Hessian lost positive definiteness: restart from steepest descent
            h, direction, slope = np.eye(n), -g, -float(g @ g)
        if slope > -1e-300:
            return x, f, True
        # before the first update the step length is unknown: limit the first step to unit size
        step = 1.0 if scaled else min(1.0, 1.0 / max(float(np.abs(g).max()), 1e-12))
        while True:
            trial = x + step * direction
            f_trial, g_trial = value_and_gradient(trial)
            if f_trial <= f + 1e-4 * step * slope:
                break
            curvature = 2.0 * (f_trial - f - step * slope)
            proposal = -slope * step * step / curvature if curvature > 0 else 0.5 * step
            step = min(max(proposal, 0.1 * step), 0.5 * step)
            if step < 1e-12:
                return x, f, True
        s, y = trial - x, g_trial - g
        sy = float(s @ y)
        if sy > 1e-12 * math.sqrt(float(s @ s) * float(y @ y)):
            if not scaled:
                h = np.eye(n) * (sy / float(y @ y))
                scaled = True
            hy = h @ y
            h += ((sy + float(y @ hy)) / sy**2) * np.outer(s, s) - (np.outer(s, hy) + np.outer(hy, s)) / sy
        done = f - f_trial <= ftol * max(abs(f_trial), 1.0) or float(np.abs(g_trial).max()) <= gtol * max(
            abs(f_trial), 1.0
        )
        x, f, g = trial, f_trial, g_trial
        if done:
            return x, f, True
    return x, f, False


def _not_a_minimum(derivative_messages: list[str]) -> bool:
    failed = ("Model failed to converge", "unable to evaluate scaled gradient")
    return any(m.startswith(failed) for m in derivative_messages)


class _Rescaled:
    """The criterion in ``phi = s * theta``: each row of a term's factor T times its covariate's scale.

    ``Z T = (Z D^-1)(D T)`` with ``D`` the columns' root mean squares, so in phi every random-effects
    covariate has unit scale.  BFGS from lme4's start can stall on a covariate of scale 1e-3 (its theta
    near 250: the gradient at 1 is ~1e-6 of the others); in phi it is an ordinary problem.
    """

    def __init__(self, counter: _Counter, scale: np.ndarray):
        self.counter, self.scale = counter, scale
        self.lower = counter.lower * scale

    def __call__(self, phi) -> float:
        return self.counter(phi / self.scale)

    def value_and_gradient(self, phi):
        value, grad = self.counter.value_and_gradient(phi / self.scale)
        return value, grad / self.scale


def _covariate_scales(terms) -> np.ndarray:
    """Per theta entry, the root mean square of the covariate of its row of T (1 for an intercept)."""
    parts = []
    for term in terms:
        rms = np.sqrt(np.mean(np.square(term.z), axis=0))
        rows, _ = lower_pairs(term.k)
        parts.append(rms[rows])
    scale = np.concatenate(parts)
    return np.where(scale > 0, scale, 1.0)


def _rescaled_search(counter: _Counter, x: np.ndarray, value: float, terms, maxiter: int):
    """(theta, value) of a BFGS search in covariate units from ``x``, when it ends lower; else None.

    Only for fits that fail lme4's derivative checks, so well-scaled fits keep their path and numbers.
    """
    rescaled = _Rescaled(counter, _covariate_scales(terms))
    phi, found, _ = _minimise_folded(rescaled, x * rescaled.scale, maxiter, terms)
    if not found < value:
        return None
    return phi / rescaled.scale, found


def _fold_signs(theta: np.ndarray, terms) -> np.ndarray:
    """Negate every column of a term's factor whose diagonal is negative (same ``T T'``, lme4's region)."""
    theta = theta.copy()
    start = 0
    for term in terms:
        cols, rows = np.triu_indices(term.k)  # theta order: rows[i], cols[i] of the i-th entry
        for j in range(term.k):
            column = start + np.flatnonzero(cols == j)
            if theta[start + np.flatnonzero((rows == j) & (cols == j))[0]] < 0:
                theta[column] = -theta[column]
        start += term.ntheta
    return theta


def _restart_off_boundary(counter: _Counter, x: np.ndarray, value: float) -> np.ndarray | None:
    """A start just inside the boundary when moving a zero diagonal element off it lowers the criterion."""
    at_bound = np.flatnonzero((counter.lower == 0) & (x == 0))
    if len(at_bound) == 0:
        return None
    start = x.copy()
    for i in at_bound:
        trial = x.copy()
        trial[i] = 1e-3
        if counter(trial) < value:
            start[i] = 1e-3
    return None if np.array_equal(start, x) else start


def _check_and_polish(counter: _Counter, x: np.ndarray, value: float, attempts: int = 3):
    """lme4's checkConv on the parameters off the boundary: scaled gradient, then the Hessian.

    When the gradient check fails, the quasi-Newton search stopped short (its difference gradients are
    noisy on a large criterion); a Newton step with the check's own central-difference derivatives
    usually lands on the optimum, so take it while it lowers the criterion, then check again.
    """
    lower = counter.lower
    hess, previous_free = None, None
    for attempt in range(attempts):
        free = np.flatnonzero(~on_boundary(x, lower))
        if len(free) == 0:
            return x, value, []
        nearby = hess if np.array_equal(free, previous_free) else None
        grad, hess = _central_derivatives(counter, x, value, free, nearby)
        previous_free = free
        messages = _convergence_messages(grad, hess)
        failed = any(m.startswith("Model failed to converge with") for m in messages)
        if not failed or attempt == attempts - 1:
            break
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        trial = x.copy()
        trial[free] -= step
        trial = np.maximum(trial, lower)
        trial_value = counter(trial)
        if not trial_value < value:
            break
        x, value = trial, trial_value
    return x, value, messages


def _convergence_messages(grad: np.ndarray, hess: np.ndarray) -> list[str]:
    messages = []
    try:
        scaled = np.linalg.solve(np.linalg.cholesky(hess).T, grad)
        worst = float(np.max(np.minimum(np.abs(scaled), np.abs(grad))))
        if worst > GRAD_TOL:
            messages.append(
                f"Model failed to converge with max|grad| = {worst:.6g} (tol = {GRAD_TOL:g}, component 1)"
            )
    except np.linalg.LinAlgError:
        messages.append("unable to evaluate scaled gradient")
    messages.extend(_hessian_messages(hess))
    return messages


def _central_derivatives(counter: _Counter, x: np.ndarray, f0: float, free: np.ndarray, hess=None):
    """Gradient and Hessian by central differences with lme4's step, on the coordinates in ``free``.

    Given a Hessian from a nearby point (after a Newton step), only its diagonal is recomputed: the
    mixed differences cost ``ntheta (ntheta - 1)`` evaluations.
    """
    n = len(free)
    h = DERIV_STEP

    def at(*moves):
        point = x.copy()
        for i, d in moves:
            point[free[i]] += d
        return counter(point)

    up = np.array([at((i, h)) for i in range(n)])
    down = np.array([at((i, -h)) for i in range(n)])
    grad = (up - down) / (2 * h)
    reuse = hess is not None
    hess = hess.copy() if reuse else np.empty((n, n))
    hess[np.diag_indices(n)] = (up - 2 * f0 + down) / (h * h)
    for i in range(0 if reuse else n):
        for j in range(i):
            both_up, both_down = at((i, h), (j, h)), at((i, -h), (j, -h))
            mixed = both_up - up[i] - up[j] + 2 * f0 - down[i] - down[j] + both_down
            hess[i, j] = hess[j, i] = mixed / (2 * h * h)
    return grad, hess


def _hessian_messages(hess: np.ndarray) -> list[str]:
    """lme4's checkHess: negative or zero eigenvalues, very large eigenvalues or eigenvalue ratios."""
    ev = np.linalg.eigvalsh(hess)
    negative = int(np.sum(ev < -HESS_TOL))
    if negative:
        return [f"Model failed to converge: degenerate  Hessian with {negative} negative eigenvalues"]
    if np.any(np.abs(ev) < HESS_TOL):
        return ["Hessian is numerically singular: parameters are not uniquely determined"]
    messages = []
    if ev.max() * HESS_TOL > 1:
        messages.append("Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?")
    if ev.min() / ev.max() < HESS_TOL:
        messages.append("Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?")
    return messages
