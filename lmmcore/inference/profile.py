"""Likelihood profiles of every parameter (lme4's ``profile.merMod``) and profile intervals.

A profile holds one parameter at ``x``, re-optimises all the others and records
``zeta(x) = sign(x - x_hat) sqrt(deviance(x) - deviance_min)`` on the ML deviance, as lme4 does for
REML fits too (:mod:`.profile_points` says exactly what is re-optimised for each kind of parameter).

- :func:`profile` traces every profile as lme4 does (:class:`~.profile_walk.Walker`): steps of about
  ``cutoff / 8`` in zeta until ``|zeta| > cutoff = sqrt(qchisq(1 - alphamax, npar))`` (lme4 uses all
  ``npar`` parameters' degrees of freedom here, not 1), for zeta plots; :meth:`Profile.intervals`
  inverts those traces by splines, as lme4's ``confint.thpr``.
- :func:`profile_intervals`, behind ``confint(method="profile")``, only needs the two points of each
  profile where zeta reaches ``-+z``: a secant search finds them with a handful of re-optimisations per
  end instead of a whole trace (:func:`~.profile_walk.crossing`), and without spline error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.errors import InferenceError
from lmmcore.inference.levels import interval_columns, validate_level
from lmmcore.inference.profile_points import MLFit, profilers
from lmmcore.inference.profile_spline import invert_profile
from lmmcore.inference.profile_walk import Walker, crossing

#: lme4's default step of zeta, as a fraction of the cutoff.
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
        # scipy.stats is imported where used: it takes ~0.4 s, and `import lmmcore` stays light
        from scipy import stats

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
        Profiles extend to ``|zeta| > sqrt(qchisq(1 - alphamax, npar))`` (lme4's cutoff).
    maxpts : int
        At most this many points on each side of the optimum.
    delta : float, optional
        Target change of zeta per step; lme4's ``cutoff / 8`` by default.

    Raises
    ------
    InferenceError
        A model without random effects, or arguments out of range.
    """
    from scipy import stats

    _check_model(m)
    if not 0 < alphamax < 1:
        raise InferenceError(f"alphamax must be between 0 and 1 (like 0.01); got {alphamax!r}.")
    if int(maxpts) < 3:
        raise InferenceError(f"maxpts must be at least 3; got {maxpts!r}.")
    if delta is not None and not delta > 0:
        raise InferenceError(f"delta must be a positive step of zeta (like 0.5); got {delta!r}.")
    fit = MLFit.of(m)
    cutoff = float(np.sqrt(stats.chi2.ppf(1 - alphamax, fit.estimates.size)))
    walker = Walker(cutoff, cutoff * _DELTA_FRACTION if delta is None else float(delta), int(maxpts))
    frames = [_trace_frame(p.name, walker.trace(p), fit.names) for p in profilers(fit)]
    names = fit.names
    return Profile(
        traces=pd.concat(frames, ignore_index=True),
        estimates=pd.Series(fit.estimates, index=names),
        lower=pd.Series(fit.lower, index=names[: fit.nvp]),
        upper=pd.Series(fit.upper, index=names[: fit.nvp]),
        deviance=fit.deviance,
        cutoff=cutoff,
    )


def profile_intervals(m, level: float = 0.95) -> pd.DataFrame:
    """Profile-likelihood intervals, lme4's ``confint(m, method = "profile")``, without whole traces.

    Each end is where zeta reaches ``-+ qnorm((1 + level) / 2)``, found by a secant search over profile
    points (:func:`~lmmcore.inference.profile_walk.crossing`) rather than by splines through a full
    trace; an SD or correlation whose profile stops at its bound first gets the bound, as in lme4.
    """
    from scipy import stats

    _check_model(m)
    level = validate_level(level)
    z = float(stats.norm.ppf((1 + level) / 2))
    fit = MLFit.of(m)
    rows = [[crossing(p, -z), crossing(p, z)] for p in profilers(fit)]
    return pd.DataFrame(np.array(rows), index=fit.names, columns=interval_columns(level))


def _check_model(m) -> None:
    if not m.design.reterms:
        raise InferenceError(
            "Profiling needs random effects: add a (... | group) term to the formula, or use "
            "method='wald' for a model without them."
        )


def _trace_frame(name: str, points, names: list[str]) -> pd.DataFrame:
    unique = {p.x: p for p in points}
    rows = [np.concatenate([[p.zeta], p.row]) for p in sorted(unique.values(), key=lambda p: p.x)]
    frame = pd.DataFrame(np.array(rows), columns=["zeta", *names])
    frame.insert(0, "parameter", name)
    return frame
