"""Where to evaluate a profile: lme4's walk for whole traces, a root search for interval ends.

:class:`Walker` is lme4's ``fillmat``/``nextpar``: from the optimum, steps chosen so that zeta moves by
about ``delta`` (secant on the last two points, at most 10 times the last step), clipped to the bounds,
until ``|zeta|`` passes the cutoff.  :func:`crossing` needs only the points where zeta reaches one
value (an interval end): a secant search from the quadratic approximation's guess, safeguarded by
bisection once bracketed, typically 3-5 points instead of a whole trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmmcore.inference.profile_points import Point, Profiler

#: lme4's stepping constants: largest growth of a step, smallest step.
MAX_MULT = 10.0
MIN_STEP = 1e-6
#: Relative change of zeta below which a profile counts as flat.
FLAT = 1e-9


@dataclass(frozen=True)
class Walker:
    """lme4's trace of one profile: steps of about ``delta`` in zeta until ``|zeta| > cutoff``."""

    cutoff: float
    delta: float
    maxpts: int

    def trace(self, profiler: Profiler) -> list[Point]:
        optimum = profiler.optimum
        first = profiler.evaluate(profiler.shift, optimum.others, optimum.hessian)
        points = self._extend([optimum, first], profiler)
        # an estimate within rounding of its lower bound (a correlation of -0.99999999999) is at it
        if optimum.x - profiler.low > 1e-8:
            points += self._extend([first, optimum], profiler)
        return points

    def _extend(self, points: list[Point], profiler: Profiler) -> list[Point]:
        points = list(points)
        low, high = profiler.low, profiler.high
        while (
            len(points) < self.maxpts and low < points[-1].x < high and not abs(points[-1].zeta) > self.cutoff
        ):
            before, last = points[-2], points[-1]
            x = self._next_value(before, last, low, high)
            if x == last.x:
                break
            points.append(profiler.evaluate(x, extrapolate(before, last, x), last.hessian))
        return points

    def _next_value(self, before: Point, last: Point, low: float, high: float) -> float:
        run, rise = last.x - before.x, last.zeta - before.zeta
        if abs(rise) <= FLAT * max(abs(last.zeta), 1.0):
            # A flat profile (the parameter has no effect once an SD reached 0) stays flat: lme4 would
            # creep on in steps of 1e-6 until maxpts; jump to the bound instead.
            bound = high if run > 0 else low
            step = abs(bound - last.x) if np.isfinite(bound) else MAX_MULT * abs(run)
        else:
            step = self.delta * run / rise if np.isfinite(rise) else MIN_STEP
            step = min(step, MAX_MULT * abs(run)) if step > 0 else MIN_STEP
        return float(min(high, max(low, last.x + np.sign(run) * step)))


def crossing(profiler: Profiler, target: float, tol: float = 1e-6, max_points: int = 40) -> float:
    """The parameter value where zeta equals ``target`` on that side of the optimum.

    Returns the bound when the profile reaches it first (an SD at 0, a correlation at -+1), NaN when the
    search fails (a non-monotonic profile).
    """
    optimum = profiler.optimum
    direction = 1.0 if target > 0 else -1.0
    bound = profiler.high if direction > 0 else profiler.low
    if optimum.x == bound:
        return float(bound)
    # first guess from the quadratic approximation (lme4's tiny first shift when it is unusable)
    step = abs(target) * profiler.spread
    if not (np.isfinite(step) and step > 0):
        step = abs(profiler.shift - optimum.x)
    x = _clip(optimum.x + direction * step, profiler)
    points = [optimum, profiler.evaluate(x, optimum.others, optimum.hessian)]
    inner, outer = optimum, None
    for _ in range(max_points):
        last = points[-1]
        converged = abs(last.zeta - target) <= tol or (
            outer is not None and abs(outer.x - inner.x) <= 1e-12 * (1 + abs(inner.x))
        )
        if converged:
            settled = profiler.settled(last)
            if settled is last:
                return float(last.x)
            # a lower minimum elsewhere: this value is not yet reached, search on beyond it
            last = points[-1] = settled
            outer = None
        if (last.zeta - target) * direction < 0:
            inner = last
        else:
            outer = last
        if outer is None and inner.x == bound:
            return float(bound)
        x = _next_guess(points[-2], last, target, direction, inner, outer, profiler)
        points.append(_lower(profiler, x, extrapolate(points[-2], last, x), last.hessian, inner, target))
    return float("nan")


def _lower(profiler: Profiler, x: float, start, hessian, inner: Point, target: float) -> Point:
    """The point at ``x`` from the extrapolated start, re-optimised from the inner bracket's point when
    it lands beyond ``target``: a warm start extrapolated from a far guess can stall in a higher local
    minimum (seen on singular fits), and a spurious point beyond the target would wrongly bracket it."""
    point = profiler.evaluate(x, start, hessian)
    if abs(point.zeta) < abs(target):
        return point
    again = profiler.evaluate(x, inner.others, inner.hessian)
    return again if abs(again.zeta) < abs(point.zeta) else point


def _next_guess(before, last, target, direction, inner, outer, profiler) -> float:
    run, rise = last.x - before.x, last.zeta - before.zeta
    slope = rise / run if run != 0 else np.nan
    if np.isfinite(slope) and slope > 0:
        x = last.x + (target - last.zeta) / slope
        x = last.x + np.clip(x - last.x, -MAX_MULT * abs(run), MAX_MULT * abs(run))
    else:
        x = last.x + direction * 2 * abs(run)
    if outer is not None:
        low, high = sorted((inner.x, outer.x))
        if not low < x < high:
            x = (inner.x + outer.x) / 2
    return _clip(x, profiler)


def _clip(x: float, profiler: Profiler) -> float:
    return float(min(profiler.high, max(profiler.low, x)))


def extrapolate(before: Point, last: Point, x: float) -> np.ndarray:
    """Warm start: the other parameters' values continued linearly along the path."""
    if last.x == before.x:
        return last.others
    return last.others + (last.others - before.others) * (x - last.x) / (last.x - before.x)
