"""One point of a likelihood profile: hold one parameter, re-optimise the others, report zeta.

As lme4's ``profile.merMod``, the profiled function is always the ML deviance (a REML fit is refitted by
ML first) and the parameters are on lme4's scale: SDs and correlations of each random-effects term, the
residual SD ``sigma``, then the fixed effects.  With one parameter held at ``x``:

- an SD, a correlation or sigma: the deviance *not* profiled over sigma, beta at its conditional
  estimate, ``ldL2(theta) + pwrss(theta) / sigma^2 + n log(2 pi sigma^2)`` with theta the Cholesky
  factor of the SD/correlation matrix over sigma, minimised over the other SDs, correlations and sigma
  (lme4's ``devfun2``);
- a fixed effect ``beta_j``: the model without column j and response ``y - x_j beta_j``, its ML
  deviance (profiled over sigma and the other betas) minimised over theta;

and ``zeta(x) = sign(x - x_hat) sqrt(deviance(x) - deviance_min)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from lmmcore.errors import FitError, InferenceError
from lmmcore.fitting import criterion_for
from lmmcore.fitting.criterion import make_criterion
from lmmcore.inference.boxed_newton import hessian_at, minimize_boxed
from lmmcore.inference.deviance_parts import DevianceParts
from lmmcore.inference.refit import refit_ml
from lmmcore.varcomp import lower_indices, sdcor_names, sdcor_to_theta, theta_to_sdcor


@dataclass(frozen=True)
class Point:
    """Held value, zeta, the optimised other parameters and their Hessian (warm starts), every value."""

    x: float
    zeta: float
    others: np.ndarray
    row: np.ndarray
    hessian: np.ndarray


@dataclass(frozen=True)
class Profiler:
    """Everything needed to walk one parameter's profile.

    ``evaluate(x, start, hessian)`` optimises the other parameters from ``start`` (with that starting
    Hessian) and returns the :class:`Point`; ``shift`` is lme4's first step away from the optimum,
    ``spread`` the quadratic approximation's ``d x / d zeta`` (a standard error) for first guesses;
    ``low``/``high`` the parameter's bounds.
    """

    name: str
    optimum: Point
    shift: float
    spread: float
    low: float
    high: float
    evaluate: Callable[..., Point]
    zeroable: tuple[int, ...] = ()

    def settled(self, point: Point) -> Point:
        """The point, or a lower minimum on the boundary where one of the other SDs is 0.

        A warm start follows one local minimum; when a profile crosses to the boundary (a term's SD
        collapsing to 0, as for a correlation far from its estimate) the lower minimum sits there.
        """
        best = point
        for i in self.zeroable:
            if point.others[i] != 0:
                alternative = self.evaluate(point.x, point.others, point.hessian, zero=i)
                if abs(alternative.zeta) < abs(best.zeta) - 1e-9:
                    best = alternative
        return best


@dataclass(frozen=True)
class MLFit:
    """The ML fit a profile starts from, and the parameter layout."""

    design: object
    criterion: object
    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    se: np.ndarray
    deviance: float

    @classmethod
    def of(cls, m) -> MLFit:
        """``m`` itself when fitted by ML, else its ML refit (lme4's ``refitML``) from its theta."""
        if m.reml:
            criterion, report = refit_ml(m)
            solution = criterion.solve(np.asarray(report.theta, dtype=float))
        else:
            criterion, solution = criterion_for(m), m.solution
        se = np.sqrt(np.diag(solution.unscaled_vcov)) * solution.sigma
        return cls(
            m.design,
            criterion,
            np.asarray(solution.theta, dtype=float),
            np.asarray(solution.beta, dtype=float),
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
        """SDs, correlations, sigma; a correlation with an SD at 0 is undefined, taken as 0."""
        return np.nan_to_num(theta_to_sdcor(self.theta, self.sigma, self.design.reterms), nan=0.0)

    @property
    def estimates(self) -> np.ndarray:
        return np.concatenate([self.sdcor, self.beta])

    @property
    def is_correlation(self) -> np.ndarray:
        return np.append(np.isinf(self.design.theta_lower), False)

    @property
    def lower(self) -> np.ndarray:
        """Bounds of the variance parameters: SDs and sigma >= 0, correlations in [-1, 1]."""
        return np.where(self.is_correlation, -1.0, 0.0)

    @property
    def upper(self) -> np.ndarray:
        return np.where(self.is_correlation, 1.0, np.inf)


def profilers(fit: MLFit) -> list[Profiler]:
    """One :class:`Profiler` per parameter, in lme4's order (variance parameters, then fixed effects).

    The starting Hessians (of the deviance in the variance parameters, of the profiled deviance in
    theta) are computed once and shared: each profile's first re-optimisation starts from the relevant
    block.
    """
    space = _VarianceSpace.of(fit)
    variance_hessian = hessian_at(
        lambda y: space.deviance(y * space.scale), fit.sdcor / space.scale, space.lower, space.upper
    )
    out = [_variance_profiler(fit, space, w, variance_hessian) for w in range(fit.nvp)]
    if fit.design.p:
        scale = _theta_scale(fit.theta)
        lower = fit.design.theta_lower / scale
        unbounded = np.full(lower.shape, np.inf)
        theta_hessian = hessian_at(
            lambda y: _deviance(fit.criterion, y * scale), fit.theta / scale, lower, unbounded
        )
        out += [_fixed_profiler(fit, j, theta_hessian) for j in range(fit.design.p)]
    return out


@dataclass(frozen=True)
class _VarianceSpace:
    """The deviance on lme4's sd/cor/sigma scale; optimisation runs on that scale over ``scale``."""

    parts: DevianceParts
    reterms: tuple
    nobs: int
    scale: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def of(cls, fit: MLFit) -> _VarianceSpace:
        scale = np.where(fit.is_correlation, 1.0, np.maximum(fit.sdcor, 1e-3 * fit.sigma))
        lower = fit.lower.copy()
        lower[-1] = 1e-8 * fit.sigma
        parts = DevianceParts.of(fit.criterion)
        return cls(parts, fit.design.reterms, fit.design.nobs, scale, lower / scale, fit.upper / scale)

    def deviance(self, psi: np.ndarray) -> float:
        """``ldL2 + pwrss / sigma^2 + n log(2 pi sigma^2)`` at SDs/correlations/sigma ``psi``."""
        theta = sdcor_to_theta(psi[:-1], psi[-1], self.reterms)
        if theta is None:
            return np.inf
        try:
            ldl2, pwrss = self.parts(theta)
        except FitError:  # numerically singular at an extreme theta: not a candidate minimum
            return np.inf
        return ldl2 + pwrss / psi[-1] ** 2 + self.nobs * np.log(2 * np.pi * psi[-1] ** 2)

    def feasible(self, psi: np.ndarray, shrinkable: np.ndarray) -> np.ndarray:
        """``psi``, or with its ``shrinkable`` correlations scaled by the largest ``s`` < 1 that is feasible.

        Near a singular fit (a correlation matrix of rank < k) a step leaves the positive semi-definite
        matrices at once.  The correlation matrices ``R(s)`` are affine in ``s`` and feasible at 0 (the
        held correlation is in [-1, 1]), so their smallest eigenvalue is concave in ``s``: one root ``s*``.
        """
        if not np.isfinite(psi).all() or self._is_feasible(psi):
            return psi

        def shrunk(s: float) -> np.ndarray:
            return np.where(shrinkable, s * psi, psi)

        def smallest(s: float) -> float:
            return _smallest_eigenvalue(shrunk(s), self.reterms)

        if smallest(1.0) >= 0:  # infeasible only within the Cholesky's tolerance: back off from 1
            s = 1.0
        elif smallest(0.0) <= 0:  # the held correlation at -+1: only s = 0 is feasible
            s = 0.0
        else:
            s = optimize.brentq(smallest, 0.0, 1.0, xtol=1e-15)
        # the root is exact to rounding; the Cholesky's tolerance may need a step or a few more inside
        step = 1e-12
        while s > 0 and not self._is_feasible(shrunk(s)):
            s, step = max(s - step, 0.0), 2 * step
        return shrunk(s)

    def retracted_deviance(self, psi: np.ndarray, shrinkable: np.ndarray) -> float:
        """The deviance at :meth:`feasible` ``(psi)`` plus the squared distance moved.

        Finite everywhere and never lower outside the feasible set than at its retraction, so its
        minimum is the constrained one; unlike an infinite wall it lets the search slide along a
        curved boundary (coordinate steps off a rank-deficient correlation matrix are all infeasible).
        """
        inside = self.feasible(psi, shrinkable)
        return self.deviance(inside) + float(np.sum((psi - inside) ** 2))

    def _is_feasible(self, psi: np.ndarray) -> bool:
        return sdcor_to_theta(psi[:-1], psi[-1], self.reterms) is not None


def _smallest_eigenvalue(psi: np.ndarray, reterms: tuple) -> float:
    """Smallest eigenvalue over the terms' correlation matrices in sdcor vector ``psi``."""
    smallest, start = 1.0, 0
    for term in reterms:
        values = psi[start : start + term.ntheta]
        start += term.ntheta
        if term.k == 1:
            continue
        rows, cols = lower_indices(term.k)
        cor = np.eye(term.k)
        cor[rows, cols] = np.where(rows == cols, 1.0, values)
        cor[cols, rows] = cor[rows, cols]
        smallest = min(smallest, float(np.linalg.eigvalsh(cor)[0]))
    return smallest


def _variance_profiler(fit: MLFit, space: _VarianceSpace, w: int, hessian: np.ndarray) -> Profiler:
    estimate = fit.sdcor
    free = np.arange(fit.nvp) != w
    shrinkable = fit.is_correlation & free

    def evaluate(x: float, start: np.ndarray, start_hessian: np.ndarray, zero: int | None = None) -> Point:
        psi = estimate.copy()
        psi[w] = x

        def deviance(others: np.ndarray) -> float:
            psi[free] = others * space.scale[free]
            return space.retracted_deviance(psi, shrinkable)

        upper = space.upper[free].copy()
        if zero is not None:
            upper[zero] = 0.0
        found = minimize_boxed(deviance, start / space.scale[free], space.lower[free], upper, start_hessian)
        if not np.isfinite(found.value):
            raise InferenceError(
                f"The profile of {fit.names[w]} could not be evaluated at {x:.6g}: the deviance is not "
                "finite there. Use Wald or bootstrap intervals, or simplify the random effects."
            )
        psi[free] = found.x * space.scale[free]
        psi[:] = space.feasible(psi, shrinkable)
        beta = fit.criterion.solve(sdcor_to_theta(psi[:-1], psi[-1], fit.design.reterms)).beta
        zeta = np.sign(x - estimate[w]) * np.sqrt(max(found.value - fit.deviance, 0.0))
        return Point(x, zeta, psi[free], np.concatenate([psi, beta]), found.hessian)

    optimum = Point(estimate[w], 0.0, estimate[free], fit.estimates, hessian[np.ix_(free, free)])
    shift = estimate[w] * 1.01 if estimate[w] != 0 else 1e-3
    if fit.is_correlation[w]:
        shift = min(shift, (estimate[w] + 1) / 2)
    shift = min(max(shift, fit.lower[w]), fit.upper[w])
    if abs(shift - estimate[w]) < 1e-6:  # a correlation estimated at -+1: the first step goes inwards
        shift = estimate[w] - 1e-3 * np.sign(estimate[w])
    sds = np.flatnonzero(~fit.is_correlation[free][:-1])
    # zeta^2 ~ (x - x_hat)^2 / (2 [H^-1]_ww) for the deviance's Hessian H (scaled coordinates)
    spread = space.scale[w] * np.sqrt(2 * max(np.linalg.pinv(hessian)[w, w], 0.0))
    return Profiler(fit.names[w], optimum, shift, spread, fit.lower[w], fit.upper[w], evaluate, tuple(sds))


def _fixed_profiler(fit: MLFit, j: int, hessian: np.ndarray) -> Profiler:
    design = fit.design
    xj = design.X[:, j]
    reduced = dataclasses.replace(
        design,
        X=np.delete(design.X, j, axis=1),
        fixed_names=tuple(nm for i, nm in enumerate(design.fixed_names) if i != j),
    )
    base = make_criterion(reduced, reml=False)
    # without any other fixed effect there is no beta to report: pwrss alone, without a full solve
    parts = DevianceParts.of(base) if reduced.p == 0 else None
    scale = _theta_scale(fit.theta)
    lower = design.theta_lower / scale
    upper = np.full(lower.shape, np.inf)

    def evaluate(b: float, start: np.ndarray, start_hessian: np.ndarray, zero: int | None = None) -> Point:
        criterion = base.with_response(design.y - xj * b)
        top = upper.copy()
        if zero is not None:
            top[zero] = 0.0
        found = minimize_boxed(
            lambda y: _deviance(criterion, y * scale), start / scale, lower, top, start_hessian
        )
        theta = found.x * scale
        if parts is None:
            s = criterion.solve(theta)
            pwrss, beta = s.pwrss, s.beta
        else:
            pwrss, beta = dataclasses.replace(parts, criterion=criterion)(theta)[1], np.zeros(0)
        sigma = np.sqrt(pwrss / design.nobs)
        zeta = np.sign(b - fit.beta[j]) * np.sqrt(max(found.value - fit.deviance, 0.0))
        row = np.concatenate([theta_to_sdcor(theta, sigma, design.reterms), np.insert(beta, j, b)])
        return Point(b, zeta, theta, row, found.hessian)

    optimum = Point(fit.beta[j], 0.0, fit.theta, fit.estimates, hessian)
    # lme4 steps a fixed effect by delta standard errors; a tenth of one is as good a first step
    shift = fit.beta[j] + 0.1 * fit.se[j]
    diagonal = np.flatnonzero(design.theta_lower == 0)
    name = fit.names[fit.nvp + j]
    return Profiler(name, optimum, shift, fit.se[j], -np.inf, np.inf, evaluate, tuple(diagonal))


def _deviance(criterion, theta: np.ndarray) -> float:
    """The profiled ML deviance at ``theta``; infinite where the factorisation fails numerically (a theta
    far out along a profile of a singular fit), which no minimum can be."""
    try:
        return criterion(theta)
    except np.linalg.LinAlgError:
        return np.inf


def _theta_scale(theta: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(theta), 0.05)
