"""Parametric bootstrap of a fitted model: lme4's ``bootMer(type = "parametric", use.u = FALSE)``.

Each replicate draws a response from the fitted model with *new* random effects,

.. math::  y^* = X\\hat\\beta + Z \\Lambda_{\\hat\\theta} u^* + \\varepsilon^*, \\qquad
           u^* \\sim N(0, \\hat\\sigma^2 I_q), \\quad \\varepsilon^* \\sim N(0, \\hat\\sigma^2 I_n),

and refits the model to it.  Only y-dependent work is repeated: the design and every y-free cross-product
stay in the criterion (``Criterion.with_response``), and the optimizer starts at the fitted theta.

Percentile intervals follow ``confint(m, method = "boot", boot.type = "perc")``: boot's ``norm.inter``
order-statistic interpolation on the normal scale, per parameter, over the finite draws.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.errors import LmmError
from lmmcore.fitting import criterion_for
from lmmcore.fitting.optimize import OptimizerReport, optimize_theta
from lmmcore.fitting.singular import SINGULAR_MESSAGE, is_singular
from lmmcore.inference import batchfit
from lmmcore.inference.executors import (
    ProgressCallback,
    check_count,
    map_replicates,
    seed_entropy,
)
from lmmcore.inference.levels import interval_columns, validate_level
from lmmcore.inference.percentile import norm_inter
from lmmcore.simulate import simulate_responses
from lmmcore.varcomp import sdcor_names, theta_to_sdcor

_CACHE_SIZE = 8
_cache: OrderedDict[tuple, BootstrapResult] = OrderedDict()


@dataclass(frozen=True)
class BootstrapResult:
    """Draws of a parametric bootstrap.

    Attributes
    ----------
    draws : DataFrame
        One row per successful refit (index: replicate number); columns lme4's parameter names,
        SDs/correlations and ``sigma`` first, then the fixed effects.
    theta : DataFrame
        The refits' theta (same rows).
    ranef : ndarray, shape (rows, q)
        The refits' conditional modes, each term's ``b`` (levels x columns) flattened, terms in order.
    statistic : DataFrame or None
        ``statistic(refit)`` per successful refit, when a statistic was given.
    fixed_names : tuple of str
        The fixed-effect columns of ``draws``.
    nsim : int
        Replicates requested.
    completed : int
        Replicates run (fewer than ``nsim`` when cancelled), failed refits included.
    failed : int
        Refits that did not converge to finite estimates (left out of ``draws``).
    singular : int
        Refits on the boundary (a standard deviation's theta below lme4's 1e-4).
    seed : int
        The seed that reproduces these draws.
    """

    draws: pd.DataFrame
    theta: pd.DataFrame
    ranef: np.ndarray
    statistic: pd.DataFrame | None
    fixed_names: tuple[str, ...]
    nsim: int
    completed: int
    failed: int
    singular: int
    seed: int

    @property
    def beta(self) -> np.ndarray:
        """Fixed-effect draws, shape (rows, p): predictions without random effects are ``beta @ X.T``."""
        return self.draws.loc[:, list(self.fixed_names)].to_numpy()

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Percentile intervals, lme4's ``confint(method = "boot", boot.type = "perc")`` layout.

        Rows are the parameters (then the statistic's columns, if any); columns ``"2.5 %"`` and
        ``"97.5 %"`` (for ``level = 0.95``).
        """
        level = validate_level(level)
        frame = self.draws if self.statistic is None else pd.concat([self.draws, self.statistic], axis=1)
        alpha = (1 - level) / 2
        columns = interval_columns(level)
        rows = [norm_inter(frame[name].to_numpy(), np.array([alpha, 1 - alpha])) for name in frame.columns]
        return pd.DataFrame(rows, index=list(frame.columns), columns=columns)


def bootstrap(
    m,
    statistic: Callable | None = None,
    nsim: int = 1000,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    use_u: bool = False,
) -> BootstrapResult:
    """Parametric bootstrap of a fitted model (lme4's ``bootMer``, ``use.u = FALSE`` by default).

    Parameters
    ----------
    m : LmmResult
        The fitted model.
    statistic : callable, optional
        ``statistic(refit) -> float or 1-D array-like (a Series names its values)``, ``refit`` being the
        model refitted to one simulated response (an ``LmmResult``).  Must be picklable to run on a
        process pool; its exceptions propagate.
    nsim : int
        Replicates (>= 1).
    seed : int or None
        Same seed, same draws, whatever the executor.  None draws a fresh seed (``result.seed``).
    executor : concurrent.futures.Executor, optional
        Where to run chunks of replicates (see :mod:`lmmcore.inference.executors`).
    progress : callable, optional
        ``progress(done, nsim)``; return False (or raise ``Cancelled``) to stop early.
    use_u : bool
        lme4's ``use.u``: False draws new random effects for every response (inference about the
        population); True keeps the fitted conditional modes, ``y* = X beta + Z b + e*`` (inference
        conditional on the observed groups, e.g. their predicted curves).

    Returns
    -------
    BootstrapResult
        Cached: the same model, nsim and seed (without a statistic) return the earlier result.
    """
    nsim = check_count("nsim", nsim)
    entropy = seed_entropy(seed)
    cacheable = statistic is None and seed is not None
    key = (id(m), model_fingerprint(m), nsim, entropy, bool(use_u)) if cacheable else None
    if key in _cache:
        _cache.move_to_end(key)
        if progress is not None:
            progress(nsim, nsim)
        return _cache[key]
    run = map_replicates(
        _Refitter(m, statistic, bool(use_u)), nsim, entropy, executor, progress, batched=True
    )
    result = _collect(m, run.results, run.indices, nsim, entropy, statistic is not None)
    if key is not None and not run.cancelled:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def clear_cache() -> None:
    """Forget the cached bootstrap results (they hold every draw; the cache keeps the last 8)."""
    _cache.clear()


def model_fingerprint(m) -> str:
    """A digest of what the bootstrap depends on (guards the cache against a reused ``id``)."""
    digest = hashlib.blake2b(digest_size=16)
    for array in (m.design.y, m.design.X, m.solution.theta, m.solution.beta, [m.solution.sigma, m.reml]):
        digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
    return digest.hexdigest()


def simulate_response(m, rng: np.random.Generator, use_u: bool = False) -> np.ndarray:
    """One response from the fitted model: with new random effects (``simulate(m, use.u = FALSE)``), or
    around the fitted values, conditional modes included (``use.u = TRUE``)."""
    design, sol = m.design, m.solution
    if use_u:
        return sol.fitted + sol.sigma * rng.standard_normal(design.nobs)
    return simulate_responses(design, sol.beta, sol.theta, sol.sigma, 1, rng)[:, 0]


@dataclass(frozen=True)
class _Refitter:
    """A chunk of bootstrap replicates: picklable, so a process pool receives the model once per chunk.

    A one-term model refits the whole chunk at once (:mod:`lmmcore.inference.batchfit`); a replicate it
    leaves unconverged, and every replicate of other models, goes through the criterion and optimizer
    one by one.  Either way a replicate's result depends only on its own generator.
    """

    model: object
    statistic: Callable | None
    use_u: bool = False

    def __call__(self, rngs: list[np.random.Generator]) -> list[tuple | None]:
        m = self.model
        responses = np.array([simulate_response(m, rng, self.use_u) for rng in rngs])
        criterion = criterion_for(m)
        if not batchfit.batchable(m.design):
            return [self._refit_one(criterion, y, m.solution.theta) for y in responses]
        fits = batchfit.fit_responses(m.design, responses, m.reml, m.solution.theta)
        out = []
        for i, y in enumerate(responses):
            if not fits.converged[i]:
                out.append(self._refit_one(criterion, y, fits.theta[i]))
            elif self.statistic is None:
                out.append(self._row(fits.theta[i], fits.sigma[i], fits.beta[i], fits.b[i].ravel(), None))
            else:
                report = _batch_report(fits, i)
                out.append(self._finish(criterion.with_response(y).solve(report.theta), report, y))
        return out

    def _refit_one(self, criterion, y: np.ndarray, theta0: np.ndarray) -> tuple | None:
        try:
            refit_criterion = criterion.with_response(y)
            report = optimize_theta(refit_criterion, theta0=theta0, check_derivatives=False)
            solution = refit_criterion.solve(report.theta)
        except (LmmError, np.linalg.LinAlgError, ArithmeticError, ValueError):
            return None
        return self._finish(solution, report, y)

    def _finish(self, solution, report, y: np.ndarray) -> tuple | None:
        value = None
        if self.statistic is not None:
            m = self.model
            design = m.design.with_response(y)
            value = self.statistic(dataclasses.replace(m, design=design, solution=solution, optimizer=report))
        ranef = np.concatenate([b.ravel() for b in solution.b])
        return self._row(solution.theta, solution.sigma, solution.beta, ranef, value)

    def _row(self, theta, sigma, beta, ranef, value) -> tuple | None:
        if not (np.all(np.isfinite(beta)) and np.isfinite(sigma)):
            return None
        sdcor = theta_to_sdcor(theta, sigma, self.model.design.reterms)
        return np.concatenate([sdcor, beta]), np.asarray(theta, dtype=float), ranef, value


def _batch_report(fits: batchfit.BatchFit, i: int) -> OptimizerReport:
    singular = bool(fits.singular[i])
    return OptimizerReport(
        theta=fits.theta[i],
        objective=float(fits.objective[i]),
        nfev=0,
        converged=True,
        optimizer="batched Newton",
        messages=(SINGULAR_MESSAGE,) if singular else (),
        singular=singular,
    )


def _collect(m, results: list, indices: np.ndarray, nsim: int, entropy: int, has_statistic: bool):
    design = m.design
    ok = [i for i, r in enumerate(results) if r is not None]
    index = pd.Index(indices[ok], name="replicate")
    names = sdcor_names(design.reterms) + list(design.fixed_names)
    q = sum(t.nlevels * t.k for t in design.reterms)

    def stack(pos: int, width: int) -> np.ndarray:
        return np.array([results[i][pos] for i in ok]).reshape(len(ok), width)

    draws = pd.DataFrame(stack(0, len(names)), index=index, columns=names)
    theta = pd.DataFrame(stack(1, design.ntheta), index=index, columns=list(design.theta_names))
    stat = _statistic_frame([results[i][3] for i in ok], index) if has_statistic else None
    singular = int(np.sum(is_singular(theta.to_numpy(), design.theta_lower)))
    return BootstrapResult(
        draws=draws,
        theta=theta,
        ranef=stack(2, q),
        statistic=stat,
        fixed_names=tuple(design.fixed_names),
        nsim=nsim,
        completed=len(results),
        failed=len(results) - len(ok),
        singular=singular,
        seed=entropy,
    )


def _statistic_frame(values: list, index: pd.Index) -> pd.DataFrame:
    if not values:
        return pd.DataFrame(index=index)
    first = values[0]
    names = list(first.index) if isinstance(first, pd.Series) else None
    rows = np.array([np.atleast_1d(np.asarray(v, dtype=float)) for v in values])
    if names is None:
        names = [f"t{j + 1}" for j in range(rows.shape[1])]
    return pd.DataFrame(rows, index=index, columns=names)
