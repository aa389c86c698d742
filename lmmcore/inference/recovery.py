"""Parameter-recovery study: simulate data from known parameters, refit, compare the estimates.

Every replicate draws a new data set (new covariates, random effects and noise), fits the model and
records the fixed effects with their Wald standard errors and the variance parameters on lme4's SD /
correlation scale.  Per parameter the study reports

* ``truth``, ``mean`` of the estimates, ``bias = mean - truth``, ``mcse`` (Monte Carlo SE of the mean,
  ``sd / sqrt(R)``) and ``rmse = sqrt(mean((estimate - truth)^2))``;
* ``coverage``: share of replicates whose Wald interval ``beta +- z_{(1+level)/2} se`` holds the truth
  (fixed effects only: interval coverage of variance parameters would need a profile or a bootstrap per
  replicate, so it is NaN);
* ``power``: share of replicates whose Wald interval excludes 0, i.e. a two-sided Wald z test at
  ``1 - level`` (5 % by default), as lme4 users read ``t value`` against the normal (fixed effects only).

Fits on the boundary (lme4's ``isSingular``) are counted.

The truth is either a design with known parameters (the seed's ``simulate_biomass``, or any simulate
function) or a fitted model: its estimates are then taken as the truth, and every replicate is a response
drawn from it on the same design, ``y* = X beta + Z Lambda u* + e*`` with new random effects and noise
(lme4's ``simulate(m)``), refitted from lme4's start as a new study would be.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.datasets import simulate_biomass
from lmmcore.design import build_design
from lmmcore.errors import InferenceError, LmmError
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import optimize_theta
from lmmcore.fitting.singular import is_singular
from lmmcore.formula import deparse_formula, parse_formula
from lmmcore.inference import batch_criterion, batchfit
from lmmcore.inference.bootstrap import simulate_response
from lmmcore.inference.executors import (
    ProgressCallback,
    check_count,
    map_replicates,
    seed_entropy,
)
from lmmcore.inference.levels import validate_level
from lmmcore.result import LmmResult
from lmmcore.varcomp import sdcor_names, theta_to_sdcor

# lme4's parameter names of the seed model, and the simulate_biomass argument holding each one's truth.
_BIOMASS_TRUTH = {
    "(Intercept)": "intercept",
    "Temp": "temp_effect",
    "N": "n_effect",
    "sd_(Intercept)|Site": "sd_intercept",
    "cor_Temp.(Intercept)|Site": "cor",
    "sd_Temp|Site": "sd_slope",
    "sigma": "sigma",
}

TABLE_COLUMNS = ["truth", "mean", "bias", "mcse", "rmse", "coverage", "power"]


@dataclass(frozen=True)
class RecoveryResult:
    """Outcome of :func:`recovery`.

    Attributes
    ----------
    table : DataFrame
        One row per parameter (fixed effects, then SDs/correlations and ``sigma``), columns
        ``truth, mean, bias, mcse, rmse, coverage, power``.
    estimates : DataFrame
        Per successful replicate (index: replicate number) every parameter's estimate, then
        ``se_<name>`` for the fixed effects.
    nrep : int
        Replicates requested.
    completed : int
        Replicates run (fewer when cancelled), failed fits included.
    failed : int
        Replicates whose fit raised (left out of ``estimates``).
    singular : int
        Successful fits on the boundary.
    level : float
        Level of the Wald intervals.
    seed : int
        Reproduces the study.
    notes : tuple of str
    """

    table: pd.DataFrame
    estimates: pd.DataFrame
    nrep: int
    completed: int
    failed: int
    singular: int
    level: float
    seed: int
    notes: tuple[str, ...]


def recovery(
    simulate_params: Mapping[str, float]
    | Callable[[Mapping[str, float], np.random.Generator], pd.DataFrame]
    | LmmResult,
    formula: str | None = None,
    nrep: int = 200,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    level: float = 0.95,
    truth: Mapping[str, float] | None = None,
    reml: bool | None = None,
) -> RecoveryResult:
    """Simulate ``nrep`` data sets from known parameters, fit ``formula`` to each, summarise.

    Parameters
    ----------
    simulate_params : dict, callable or LmmResult
        A dict of :func:`lmmcore.datasets.simulate_biomass` keyword arguments (missing ones take its
        defaults; ``seed`` is set per replicate); the truth then follows from them.  For other designs, a
        callable ``simulate(truth, rng) -> DataFrame`` drawing one data set with the generator ``rng``
        (a module-level function to run on a process pool); ``truth`` is then required.  A fitted model
        is its own truth: responses are drawn from it on its design and refitted with its formula.
    formula : str, optional
        The model fitted to every data set; required with a dict or a callable, the model's own formula
        (the default) with a fitted model.
    nrep : int
        Replicates (>= 1).
    seed, executor, progress
        As for :func:`lmmcore.inference.bootstrap.bootstrap`.
    level : float
        Level of the Wald intervals (coverage) and ``1 - level`` the test size (power).
    truth : dict, optional
        True values by lme4 parameter name (``"(Intercept)"``, ``"sd_(Intercept)|Site"``, ``"sigma"``...);
        overrides what follows from a dict ``simulate_params``.  Parameters without a truth get NaN.
    reml : bool, optional
        REML or maximum likelihood fits; by default REML, or the fitted model's own criterion.
    """
    nrep = check_count("nrep", nrep)
    level = validate_level(level)
    entropy = seed_entropy(seed)
    if isinstance(simulate_params, LmmResult):
        replicates, known = _from_fit(simulate_params, formula, reml)
        formula = simulate_params.formula
    else:
        if formula is None:
            raise InferenceError("pass formula=, the model to fit to every simulated data set.")
        parse_formula(formula)  # a bad formula fails here, before any replicate runs
        simulate, known = _simulation(simulate_params, truth)
        replicates = _Replicates(simulate, dict(known), formula, True if reml is None else bool(reml))
    known.update(truth or {})
    run = map_replicates(replicates, nrep, entropy, executor, progress, batched=True)
    fits = [r for r in run.results if r is not None]
    index = run.indices[[i for i, r in enumerate(run.results) if r is not None]]
    if not fits:
        raise InferenceError(
            f"none of the {run.completed} simulated data sets could be fitted with {formula!r}."
        )
    estimates = pd.DataFrame([f[0] for f in fits], index=pd.Index(index, name="replicate"))
    fixed = list(fits[0][2])
    table = _summarise(estimates, fixed, known, level)
    notes = ["coverage of SDs, correlations and sigma is not computed (it needs a profile per replicate)."]
    notes += [f"no true value given for {name}." for name in table.index[table["truth"].isna()]]
    return RecoveryResult(
        table=table,
        estimates=estimates,
        nrep=nrep,
        completed=run.completed,
        failed=run.completed - len(fits),
        singular=int(sum(f[1] for f in fits)),
        level=level,
        seed=entropy,
        notes=tuple(notes),
    )


def _simulation(simulate_params, truth) -> tuple[Callable, dict[str, float]]:
    """The simulate function of a dict or callable ``simulate_params`` and the truth it implies."""
    if callable(simulate_params):
        if truth is None:
            raise InferenceError(
                "with a simulate function, pass truth= the true values by parameter name, "
                "e.g. {'(Intercept)': 10, 'sigma': 1}."
            )
        return simulate_params, dict(truth)
    return _Biomass(_biomass_arguments(simulate_params)), _biomass_truth(simulate_params)


def _from_fit(m: LmmResult, formula: str | None, reml: bool | None) -> tuple[_FromFit, dict[str, float]]:
    """Replicates drawn from a fitted model, and its estimates as the truth."""
    if formula is not None and deparse_formula(parse_formula(formula)) != deparse_formula(
        parse_formula(m.formula)
    ):
        raise InferenceError(
            f"a fitted model is refitted with its own formula ({m.formula}); to fit {formula!r} instead, "
            "simulate from parameters (a dict or a simulate function)."
        )
    sol, design = m.solution, m.design
    known = dict(zip(design.fixed_names, map(float, sol.beta)))
    known.update(
        zip(sdcor_names(design.reterms), map(float, theta_to_sdcor(sol.theta, sol.sigma, design.reterms)))
    )
    return _FromFit(m, m.reml if reml is None else bool(reml)), known


def _biomass_arguments(params: Mapping[str, float]) -> dict:
    allowed = set(inspect.signature(simulate_biomass).parameters) - {"seed"}
    unknown = set(params) - allowed
    if unknown:
        raise InferenceError(
            f"unknown simulate_biomass arguments {sorted(unknown)}; use some of {sorted(allowed)}."
        )
    return dict(params)


def _biomass_truth(params: Mapping[str, float]) -> dict[str, float]:
    defaults = {k: v.default for k, v in inspect.signature(simulate_biomass).parameters.items()}
    values = {**defaults, **params}
    return {name: float(values[arg]) for name, arg in _BIOMASS_TRUTH.items()}


@dataclass(frozen=True)
class _Biomass:
    """``simulate_biomass`` with fixed arguments and a per-replicate seed drawn from ``rng``."""

    arguments: dict

    def __call__(self, truth: Mapping[str, float], rng: np.random.Generator) -> pd.DataFrame:
        return simulate_biomass(**self.arguments, seed=int(rng.integers(2**63 - 1)))


@dataclass(frozen=True)
class _Replicates:
    """A chunk of replicates: draw each data set, build its design, fit; picklable for process pools.

    Designs with one random-effects term and equal shapes are fitted together
    (:mod:`lmmcore.inference.batchfit`, from lme4's start); the rest, and any replicate the batch leaves
    unconverged, go through the criterion and optimizer one by one.  Each replicate's result is
    ``(estimates by name, singular, fixed-effect names)`` or None when its design or fit fails.
    """

    simulate: Callable
    truth: dict
    formula: str
    reml: bool

    def __call__(self, rngs: list[np.random.Generator]) -> list[tuple | None]:
        spec = parse_formula(self.formula)
        return _fit_designs([self._design(spec, rng) for rng in rngs], self.reml)

    def _design(self, spec, rng: np.random.Generator):
        data = self.simulate(self.truth, rng)
        try:
            return build_design(spec, data)
        except LmmError:
            return None


@dataclass(frozen=True)
class _FromFit:
    """A chunk of replicates drawn from a fitted model on its own design; picklable like
    :class:`_Replicates`, whose fitting it shares."""

    model: LmmResult
    reml: bool

    def __call__(self, rngs: list[np.random.Generator]) -> list[tuple | None]:
        m = self.model
        return _fit_designs([m.design.with_response(simulate_response(m, rng)) for rng in rngs], self.reml)


def _fit_designs(designs: list, reml: bool) -> list[tuple | None]:
    """Fit every design (None: a data set that gave no design): batched where possible, else one by one."""
    out: list[tuple | None] = [None] * len(designs)
    batches: dict[tuple, list[int]] = {}
    for i, design in enumerate(designs):
        if design is not None and batchfit.batchable(design):
            batches.setdefault(batch_criterion.shape_key(design), []).append(i)
        elif design is not None:
            out[i] = _fit_one(design, reml)
    for members in batches.values():
        group = [designs[i] for i in members]
        start = np.where(group[0].theta_lower == 0, 1.0, 0.0)
        fits = batchfit.fit_designs(group, reml, start)
        for j, i in enumerate(members):
            if fits.converged[j]:
                out[i] = _record(group[j], fits.theta[j], fits.sigma[j], fits.beta[j], fits.unscaled_vcov[j])
            else:
                out[i] = _fit_one(group[j], reml)
    return out


def _fit_one(design, reml: bool) -> tuple | None:
    try:
        criterion = make_criterion(design, reml)
        report = optimize_theta(criterion, check_derivatives=False)
        sol = criterion.solve(report.theta)
    except (LmmError, np.linalg.LinAlgError, ArithmeticError):
        return None
    return _record(design, sol.theta, sol.sigma, sol.beta, sol.unscaled_vcov)


def _record(design, theta, sigma, beta, unscaled_vcov) -> tuple:
    values = dict(zip(design.fixed_names, beta))
    values.update(zip(sdcor_names(design.reterms), theta_to_sdcor(theta, sigma, design.reterms)))
    se = sigma * np.sqrt(np.diag(unscaled_vcov))
    values.update({f"se_{name}": s for name, s in zip(design.fixed_names, se)})
    singular = is_singular(np.asarray(theta), design.theta_lower)
    return values, singular, tuple(design.fixed_names)


def _summarise(
    estimates: pd.DataFrame, fixed: list[str], truth: Mapping[str, float], level: float
) -> pd.DataFrame:
    # scipy.stats is imported where used: it takes ~0.4 s, and `import lmmcore` stays light
    from scipy import stats

    z = stats.norm.ppf((1 + level) / 2)
    names = [c for c in estimates.columns if not c.startswith("se_")]
    rows = {}
    for name in names:
        values = estimates[name].to_numpy(dtype=float)
        true = float(truth.get(name, np.nan))
        values = values[np.isfinite(values)]
        mean = values.mean() if values.size else np.nan
        mcse = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else np.nan
        rmse = np.sqrt(np.mean((values - true) ** 2)) if values.size else np.nan
        coverage = power = np.nan
        if name in fixed:
            beta, se = estimates[name].to_numpy(), estimates[f"se_{name}"].to_numpy()
            coverage = np.mean(np.abs(beta - true) <= z * se) if np.isfinite(true) else np.nan
            power = np.mean(np.abs(beta) > z * se)
        rows[name] = (true, mean, mean - true, mcse, rmse, coverage, power)
    order = fixed + [n for n in names if n not in fixed]
    return pd.DataFrame.from_dict(rows, orient="index", columns=TABLE_COLUMNS).loc[order]
