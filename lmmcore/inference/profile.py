"""Likelihood profiles of every parameter, lme4's ``profile.merMod``, and their intervals.

As lme4, the profile is always of the ML deviance (a REML fit is refitted by ML first).  Parameters are
on lme4's scale: SDs and correlations of each random-effects term, the residual SD ``sigma``, and the
fixed effects.  For one parameter held at ``x`` the others are re-optimised and

    zeta(x) = sign(x - x_hat) * sqrt(deviance(x) - deviance_min),

stepping away from the optimum in both directions until ``|zeta|`` passes
``cutoff = sqrt(qchisq(1 - alphamax, number of parameters))``, with lme4's steps: the next value is
chosen so that zeta moves by about ``delta`` (secant on the last two points, at most 10 times the last
step), clipped to the parameter's bounds (SD >= 0, -1 <= correlation <= 1).

- SDs, correlations and sigma: the deviance not profiled over sigma, beta at its conditional
  estimate, ``ldL2(theta) + pwrss(theta) / sigma^2 + n log(2 pi sigma^2)``, with theta the Cholesky
  factor of the SD/correlation matrix over sigma; the other SDs, correlations and sigma are optimised.
- A fixed effect ``beta_j``: the model without column j, response ``y - x_j beta_j``, its ML deviance
  profiled over sigma and the other betas, optimised over theta.

Each point starts its optimisation from a linear extrapolation of the two previous points' solutions.
:meth:`Profile.intervals` inverts the sampled zeta by splines (:mod:`.profile_spline`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from lmmcore.errors import InferenceError
from lmmcore.fitting import criterion_for
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import optimize_theta
from lmmcore.inference.levels import interval_columns, validate_level
from lmmcore.inference.profile_spline import invert_profile
from lmmcore.varcomp import sdcor_names, theta_to_sdcor

#: lme4's stepping constants: largest growth of a step, smallest step, fraction of the cutoff per step.
_MAX_MULT = 10.0
_MIN_STEP = 1e-6
_DELTA_FRACTION = 1 / 8


@dataclass(frozen=True)
class Profile:
    """Sampled likelihood profiles (lme4's ``thpr``).

    Attributes
    ----------
    traces : DataFrame
        One row per evaluated point: ``parameter`` (the one held fixed), ``zeta``, then the value of
        every parameter at that point (columns named as :attr:`estimates`), sorted by parameter and value.
    estimates : Series
        ML estimates: SDs/correlations (``sdcor_names``), ``sigma``, fixed effects.
    lower, upper : Series
        Bounds of the variance parameters (0 / inf for SDs and sigma, -1 / 1 for correlations), used as
        interval ends when the profile reaches a bound before the requested zeta.
    deviance : float
        ML deviance at the optimum.
    cutoff : float
        The ``|zeta|`` each profile was extended to.
    """

    traces: pd.DataFrame
    estimates: pd.Series
    lower: pd.Series
    upper: pd.Series
    deviance: float
    cutoff: float

    @property
    def parameters(self) -> list[str]:
        return list(self.estimates.index)

    def trace(self, parameter: str) -> pd.DataFrame:
        """The points of one parameter's profile, by increasing value."""
        if parameter not in self.estimates.index:
            raise InferenceError(f"No profile for {parameter!r}; choose one of {', '.join(self.parameters)}.")
        rows = self.traces[self.traces["parameter"] == parameter]
        return rows.sort_values(parameter).reset_index(drop=True)

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Profile intervals (lme4's ``confint.thpr``): invert each zeta at ``-+ qnorm((1 + level) / 2)``.

        Where a profile stops at a bound before reaching the zeta (an SD at 0, a correlation at -+1) the
        bound is the interval's end; fixed effects have no bound and give NaN there.
        """
        level = validate_level(level)
        z = stats.norm.ppf([(1 - level) / 2, (1 + level) / 2])
        rows = []
        for name in self.parameters:
            trace = self.trace(name)
            ends = invert_profile(trace[name].to_numpy(), trace["zeta"].to_numpy(), z)
            if name in self.lower.index:
                ends = np.where(np.isnan(ends), [self.lower[name], self.upper[name]], ends)
            rows.append(ends)
        return pd.DataFrame(np.array(rows), index=self.parameters, columns=interval_columns(level))


def profile(m, alphamax: float = 0.01, maxpts: int = 100, delta: float | None = None) -> Profile:
    """Profile the ML deviance of a fit over every parameter (lme4's ``profile(m)``).

    Parameters
    ----------
    m : LmmResult
    alphamax : float
        Profiles extend to ``|zeta| > sqrt(qchisq(1 - alphamax, npar))``.
    maxpts : int
        At most this many points on each side of the optimum.
    delta : float, optional
        Target change of zeta per step; lme4's ``cutoff / 8`` by default.
    """
    if not m.design.reterms:
        raise InferenceError("Profiling needs random effects: add a (... | group) term to the formula.")
    if not 0 < alphamax < 1:
        raise InferenceError(f"alphamax must be between 0 and 1 (like 0.01); got {alphamax!r}.")
    if int(maxpts) < 3:
        raise InferenceError(f"maxpts must be at least 3; got {maxpts!r}.")
    fit = _MLFit.of(m)
    cutoff = float(np.sqrt(stats.chi2.ppf(1 - alphamax, fit.estimates.size)))
    walk = _Walker(cutoff, cutoff * _DELTA_FRACTION if delta is None else float(delta), int(maxpts))
    frames = [_profile_variance(fit, w, walk) for w in range(fit.nvp)]
    frames += [_profile_fixed(fit, j, walk) for j in range(fit.design.p)]
    names = list(fit.names)
    return Profile(
        traces=pd.concat(frames, ignore_index=True),
        estimates=pd.Series(fit.estimates, index=names),
        lower=pd.Series(fit.lower, index=names[: fit.nvp]),
        upper=pd.Series(fit.upper, index=names[: fit.nvp]),
        deviance=fit.deviance,
        cutoff=cutoff,
    )


@dataclass(frozen=True)
class _MLFit:
    """The ML refit a profile starts from, and the parameter layout."""

    design: object
    criterion: object
    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    se: np.ndarray
    deviance: float

    @classmethod
    def of(cls, m) -> _MLFit:
        if m.reml:
            criterion = make_criterion(m.design, reml=False)
            report = optimize_theta(criterion, theta0=np.asarray(m.solution.theta, dtype=float))
            solution = criterion.solve(np.asarray(report.theta, dtype=float))
        else:
            criterion, solution = criterion_for(m), m.solution
        se = np.sqrt(np.diag(solution.unscaled_vcov)) * solution.sigma
        return cls(
            m.design,
            criterion,
            np.asarray(solution.theta, dtype=float),
            np.asarray(solution.beta),
            float(solution.sigma),
            se,
            float(solution.objective),
        )

    @property
    def names(self) -> list[str]:
        return sdcor_names(self.design.reterms) + list(self.design.fixed_names)

    @property
    def nvp(self) -> int:
        return self.design.ntheta + 1

    @property
    def sdcor(self) -> np.ndarray:
        return theta_to_sdcor(self.theta, self.sigma, self.design.reterms)

    @property
    def estimates(self) -> np.ndarray:
        return np.concatenate([self.sdcor, self.beta])

    @property
    def is_correlation(self) -> np.ndarray:
        return np.append(np.isinf(self.design.theta_lower), False)

    @property
    def lower(self) -> np.ndarray:
        return np.where(self.is_correlation, -1.0, 0.0)

    @property
    def upper(self) -> np.ndarray:
        return np.where(self.is_correlation, 1.0, np.inf)


@dataclass(frozen=True)
class _Point:
    """One profile point: held value, zeta, the optimised others (warm starts), every parameter."""

    x: float
    zeta: float
    others: np.ndarray
    row: np.ndarray


@dataclass(frozen=True)
class _Walker:
    """lme4's ``fillmat``/``nextpar``: steps of about ``delta`` in zeta until ``|zeta| > cutoff``."""

    cutoff: float
    delta: float
    maxpts: int

    def both_sides(self, evaluate, optimum: _Point, shift: float, low: float, high: float) -> list[_Point]:
        first = evaluate(shift, optimum.others)
        points = self._extend([optimum, first], evaluate, low, high)
        if optimum.x > low:
            points += self._extend([first, optimum], evaluate, low, high)
        return points

    def _extend(self, points: list[_Point], evaluate, low: float, high: float) -> list[_Point]:
        points = list(points)
        while (
            len(points) < self.maxpts and low < points[-1].x < high and not abs(points[-1].zeta) > self.cutoff
        ):
            before, last = points[-2], points[-1]
            x = self._next_value(before, last, low, high)
            if x == last.x:
                break
            points.append(evaluate(x, _extrapolate(before, last, x)))
        return points

    def _next_value(self, before: _Point, last: _Point, low: float, high: float) -> float:
        run, rise = last.x - before.x, last.zeta - before.zeta
        step = self.delta * run / rise if np.isfinite(rise) and rise != 0 else _MIN_STEP
        step = min(step, _MAX_MULT * abs(run)) if step > 0 else _MIN_STEP
        return float(min(high, max(low, last.x + np.sign(run) * step)))


def _extrapolate(before: _Point, last: _Point, x: float) -> np.ndarray:
    """Warm start: the others' values continued linearly along the path."""
    if last.x == before.x:
        return last.others
    return last.others + (last.others - before.others) * (x - last.x) / (last.x - before.x)


def _profile_variance(fit: _MLFit, w: int, walk: _Walker) -> pd.DataFrame:
    """Profile of one SD, correlation or sigma: the others and sigma re-optimised on the sd/cor scale."""
    reterms, n = fit.design.reterms, fit.design.nobs
    estimate = fit.sdcor
    free = np.arange(fit.nvp) != w
    lower = np.where(fit.is_correlation, -1.0, 0.0)
    lower[-1] = fit.sigma * 1e-8
    upper = fit.upper
    scale = np.where(fit.is_correlation, 1.0, np.maximum(estimate, 1e-3 * fit.sigma))

    def solve_at(psi: np.ndarray):
        theta = sdcor_to_theta(psi[:-1], psi[-1], reterms)
        if theta is None:
            return None, np.inf
        s = fit.criterion.solve(theta)
        return s, s.ldL2 + s.pwrss / psi[-1] ** 2 + n * np.log(2 * np.pi * psi[-1] ** 2)

    def evaluate(x: float, start: np.ndarray) -> _Point:
        psi = estimate.copy()
        psi[w] = x

        def deviance(others: np.ndarray) -> float:
            psi[free] = others
            return solve_at(psi)[1]

        others, value = _minimize(deviance, start, lower[free], upper[free], scale[free])
        psi[free] = others
        solution, _ = solve_at(psi)
        zeta = np.sign(x - estimate[w]) * np.sqrt(max(value - fit.deviance, 0.0))
        return _Point(x, zeta, others, np.concatenate([psi, solution.beta]))

    optimum = _Point(estimate[w], 0.0, estimate[free], fit.estimates)
    shift = estimate[w] * 1.01 if estimate[w] != 0 else 1e-3
    shift = min(shift, (estimate[w] + upper[w]) / 2) if fit.is_correlation[w] else shift
    points = walk.both_sides(evaluate, optimum, shift, fit.lower[w], fit.upper[w])
    return _trace_frame(fit.names[w], points, fit.names)


def _profile_fixed(fit: _MLFit, j: int, walk: _Walker) -> pd.DataFrame:
    """Profile of one fixed effect: column j moved into the response, theta re-optimised (ML)."""
    design = fit.design
    xj = design.X[:, j]
    reduced = dataclasses.replace(
        design,
        X=np.delete(design.X, j, axis=1),
        fixed_names=tuple(nm for i, nm in enumerate(design.fixed_names) if i != j),
    )
    base = make_criterion(reduced, reml=False)
    lower = design.theta_lower
    upper = np.full(lower.shape, np.inf)
    scale = np.maximum(np.abs(fit.theta), 0.05)

    def evaluate(b: float, start: np.ndarray) -> _Point:
        criterion = base.with_response(design.y - xj * b)
        theta, value = _minimize(criterion, start, lower, upper, scale)
        s = criterion.solve(theta)
        sigma = np.sqrt(s.pwrss / design.nobs)
        zeta = np.sign(b - fit.beta[j]) * np.sqrt(max(value - fit.deviance, 0.0))
        row = np.concatenate([theta_to_sdcor(theta, sigma, design.reterms), np.insert(s.beta, j, b)])
        return _Point(b, zeta, theta, row)

    optimum = _Point(fit.beta[j], 0.0, fit.theta, fit.estimates)
    shift = fit.beta[j] + walk.delta * fit.se[j]
    points = walk.both_sides(evaluate, optimum, shift, -np.inf, np.inf)
    return _trace_frame(fit.names[fit.nvp + j], points, fit.names)


def _minimize(
    func: Callable[[np.ndarray], float],
    start: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    scale: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Bounded quasi-Newton minimum on a scale where every coordinate is of order one."""
    lo, hi = lower / scale, upper / scale
    y0 = np.clip(np.asarray(start, dtype=float) / scale, lo, hi)
    bounds = [(a if np.isfinite(a) else None, b if np.isfinite(b) else None) for a, b in zip(lo, hi)]
    result = optimize.minimize(
        lambda y: func(y * scale),
        y0,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-13, "gtol": 1e-7, "maxls": 40},
    )
    return result.x * scale, float(result.fun)


def _trace_frame(name: str, points: list[_Point], names: list[str]) -> pd.DataFrame:
    unique = {p.x: p for p in points}
    rows = [np.concatenate([[p.zeta], p.row]) for p in sorted(unique.values(), key=lambda p: p.x)]
    frame = pd.DataFrame(np.array(rows), columns=["zeta", *names])
    frame.insert(0, "parameter", name)
    return frame


def sdcor_to_theta(sdcor: np.ndarray, sigma: float, reterms) -> np.ndarray | None:
    """lme4's ``Sv_to_Cv``: theta from SDs and correlations (sdcor order, sigma excluded).

    Each term's covariance ``D R D`` is factored ``sigma^2 T T'`` (Cholesky, zero pivots allowed);
    None when a term's correlation matrix is not positive semi-definite.
    """
    out, start = [], 0
    for term in reterms:
        k = term.k
        pairs = [(i, j) for j in range(k) for i in range(j, k)]
        values = dict(zip(pairs, sdcor[start : start + term.ntheta]))
        start += term.ntheta
        sd = np.array([values[(i, i)] for i in range(k)])
        cor = np.eye(k)
        for (i, j), v in values.items():
            if i != j:
                cor[i, j] = cor[j, i] = v
        factor = _semidefinite_cholesky(cor * np.outer(sd, sd))
        if factor is None:
            return None
        out.extend(factor[i, j] / sigma for i, j in pairs)
    return np.array(out)


def _semidefinite_cholesky(cov: np.ndarray) -> np.ndarray | None:
    k = cov.shape[0]
    factor = np.zeros((k, k))
    tol = 1e-12 * max(float(np.max(np.diag(cov))), 1e-300)
    for j in range(k):
        pivot = cov[j, j] - factor[j, :j] @ factor[j, :j]
        if pivot < -tol:
            return None
        factor[j, j] = np.sqrt(max(pivot, 0.0))
        for i in range(j + 1, k):
            rest = cov[i, j] - factor[i, :j] @ factor[j, :j]
            if factor[j, j] > 0:
                factor[i, j] = rest / factor[j, j]
            elif abs(rest) > tol:
                return None
    return factor
