"""The work of the Pooling, Recovery and Model comparison panels, as picklable module-level functions run in
a worker process by the compute layer.

Each job takes a request (a frozen dataclass: its compared fields say what the result depends on, the
payload it carries, a data frame or fitted models, is left out of equality and hashing) and returns either
its result or a :class:`StudyFailure` whose message says what to change; an engine error never crashes
the worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import lmmcore

from .compute import replicate_executor

Progress = Callable[[int, int], object]

# What a job catches from the engine: its own errors and the numerical failures of an unusual model.
_ENGINE_FAILURES = (lmmcore.LmmError, ArithmeticError, ValueError, IndexError, np.linalg.LinAlgError)
METHODS = ("complete", "none", "partial")


@dataclass(frozen=True)
class StudyFailure:
    """What a study could not compute, in words for the panel."""

    message: str


def _failure(what: str, err: Exception) -> StudyFailure:
    detail = str(err) if isinstance(err, lmmcore.LmmError) else f"{type(err).__name__}: {err}"
    return StudyFailure(f"{what}: {detail}")


# --- pooling ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolingRequest:
    """Complete, no and partial pooling of the fit of ``formula`` by ``reml`` to the data ``data_key``
    names, per level of ``group``; the payload is that fit (``model``) and the data (``frame``)."""

    data_key: tuple
    formula: str
    reml: bool
    group: str
    model: Any = field(default=None, compare=False, hash=False, repr=False)
    frame: pd.DataFrame | None = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class PoolingView:
    """What the pooling figures draw.

    Attributes
    ----------
    group : str
        The grouping factor compared on.
    levels : tuple of str
        Its levels, in the model's order.
    estimates : DataFrame
        ``lmmcore.pooling``'s tidy table (group, level, term, estimate, method, n, note).
    population : dict
        The mixed model's fixed effects (the population estimates the partial ones shrink towards).
    random_terms : tuple of str
        The columns with a random effect per level of ``group`` (``"(Intercept)"``, ``"Temp"``).
    lines : DataFrame
        One straight line per (predictor, level, method), columns ``predictor, level, method, intercept,
        slope``: the fitted coefficients with every other column of the fixed part held at the level's
        mean (see :func:`pooling_lines`).
    points : DataFrame
        The rows the model used: ``level``, the response (model scale) as ``y``, every line predictor and,
        for each, the response adjusted for its line (column :func:`adjusted`).
    response : str
        The response's name.
    """

    group: str
    levels: tuple[str, ...]
    estimates: pd.DataFrame
    population: dict[str, float]
    random_terms: tuple[str, ...]
    lines: pd.DataFrame
    points: pd.DataFrame
    response: str

    @property
    def predictors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.lines["predictor"]))


def line_predictors(fixed_names, frame: pd.DataFrame) -> tuple[str, ...]:
    """The numeric data columns a pooling line can be drawn over: columns of the fixed part by their own
    name, that no other column uses except as a factor of a product (``x:z``). A predictor inside a
    function (``I(x^2)``, ``log(x)``) would make the line a curve, so it is left out."""
    names = list(fixed_names)
    out = []
    for x in names:
        if x == "(Intercept)" or x not in frame.columns or not pd.api.types.is_numeric_dtype(frame[x]):
            continue
        word = re.compile(rf"(?<![\w.]){re.escape(x)}(?![\w.])")
        curved = any(word.search(n) and x not in n.split(":") for n in names if n != x)
        if not curved:
            out.append(x)
    return tuple(out)


def pooling_lines(
    estimates: pd.DataFrame, X: np.ndarray, fixed_names, level_of_row: np.ndarray, predictors
) -> pd.DataFrame:
    """Per predictor ``x``, level and method, the line ``intercept + slope * x`` of the fitted coefficients.

    With coefficients ``c_j`` of the fixed part's columns ``X_j`` and the level's rows ``L``:
    ``slope = sum_{j involves x} c_j mean_L(X_j / x)`` over the columns that are ``x`` or a product with
    it (``x:z`` contributes ``c mean_L(z)``), and ``intercept = sum_{other j} c_j mean_L(X_j)``: every other
    predictor is held at the level's mean.  For a model with one predictor these are the coefficients.
    """
    names = list(fixed_names)
    levels = list(dict.fromkeys(estimates["level"]))
    means = pd.DataFrame(X).groupby(level_of_row).mean().reindex(levels).to_numpy()
    frames = []
    for x in predictors:
        k = names.index(x)
        involves = np.array([x in n.split(":") for n in names])
        ratio = _mean_ratio(X, k, level_of_row, levels)
        for method in METHODS:
            chosen = estimates[estimates["method"] == method]
            c = (
                chosen.pivot(index="level", columns="term", values="estimate")
                .reindex(levels)[names]
                .to_numpy()
            )
            slope = (c[:, involves] * ratio[:, involves]).sum(axis=1)
            intercept = (c[:, ~involves] * means[:, ~involves]).sum(axis=1)
            frames.append(
                pd.DataFrame(
                    {
                        "predictor": x,
                        "level": levels,
                        "method": method,
                        "intercept": intercept,
                        "slope": slope,
                    }
                )
            )
    columns = ["predictor", "level", "method", "intercept", "slope"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _mean_ratio(X: np.ndarray, k: int, level_of_row: np.ndarray, levels: list) -> np.ndarray:
    """Per level and column, the mean of ``X_j / X_k`` over the level's rows with ``X_k != 0`` (the other
    factor of a product with column k); 0 for a level without such rows."""
    nonzero = X[:, k] != 0
    ratio = pd.DataFrame(X[nonzero] / X[nonzero, k : k + 1]).groupby(level_of_row[nonzero]).mean()
    return ratio.reindex(levels).fillna(0.0).to_numpy()


def adjusted(x: str) -> str:
    """The column of :attr:`PoolingView.points` holding the response adjusted for the line over ``x``."""
    return f"adjusted for {x}"


def adjusted_response(estimates, lines, design, level_of_row, x: str, x_values) -> np.ndarray:
    """The response with the other predictors moved to their group's mean, as the lines hold them: each
    row's partial-pooling residual added to its group's partial-pooling line,
    ``y - X_i c_L + (intercept_L + slope_L x_i)``; the response itself when ``x`` is the only predictor."""
    partial = estimates[estimates["method"] == "partial"]
    coefficients = partial.pivot(index="level", columns="term", values="estimate")[list(design.fixed_names)]
    per_row = coefficients.reindex(level_of_row).to_numpy()
    line = lines[(lines["predictor"] == x) & (lines["method"] == "partial")].set_index("level")
    at_x = (
        line["intercept"].reindex(level_of_row).to_numpy()
        + line["slope"].reindex(level_of_row).to_numpy() * x_values
    )
    return design.y - np.einsum("ij,ij->i", design.X, per_row) + at_x


def pooling_job(request: PoolingRequest) -> PoolingView | StudyFailure:
    """``lmmcore.pooling`` of the fitted model on ``request.group`` (no refit), and the lines of every
    predictor."""
    m = request.model
    try:
        estimates = lmmcore.pooling(m, group=request.group)
    except _ENGINE_FAILURES as err:
        return _failure("Pooling could not be computed for this model", err)
    design = m.design
    terms = [t for t in design.reterms if t.group == request.group]
    term = terms[0]
    level_of_row = np.asarray(term.levels, dtype=object)[term.refs]
    used = request.frame.iloc[design.rows]
    predictors = line_predictors(design.fixed_names, used)
    lines = pooling_lines(estimates, design.X, design.fixed_names, level_of_row, predictors)
    points = pd.DataFrame({"level": level_of_row, "y": design.y})
    for x in predictors:
        points[x] = used[x].to_numpy(dtype=float)
        points[adjusted(x)] = adjusted_response(estimates, lines, design, level_of_row, x, points[x])
    return PoolingView(
        group=request.group,
        levels=tuple(str(v) for v in term.levels),
        estimates=estimates,
        population={k: float(v) for k, v in m.fixef.items()},
        random_terms=tuple(dict.fromkeys(name for t in terms for name in t.names)),
        lines=lines,
        points=points,
        response=str(design.response_name),
    )


# --- recovery --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecoveryRequest:
    """A recovery study: ``source`` "simulation" (the seed design's parameters ``params``, fitting
    ``formula``) or "fitted" (the fitted model ``model`` as the truth, named by ``fit_tag``)."""

    source: str
    formula: str
    reml: bool
    fit_tag: str
    params: tuple[tuple[str, Any], ...]
    nrep: int
    seed: int
    level: float
    model: Any = field(default=None, compare=False, hash=False, repr=False)


def recovery_job(request: RecoveryRequest, progress: Progress | None = None):
    """``lmmcore.recovery`` of the request, replicates on the configured cluster if any."""
    options = {
        "nrep": request.nrep,
        "seed": request.seed,
        "level": request.level,
        "progress": progress,
        "executor": replicate_executor(),
    }
    try:
        if request.source == "fitted":
            return lmmcore.recovery(request.model, **options)
        return lmmcore.recovery(dict(request.params), request.formula, reml=request.reml, **options)
    except _ENGINE_FAILURES as err:
        return _failure("The recovery study could not run", err)


# --- model comparison ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComparisonRequest:
    """Likelihood-ratio tests of the pinned models ``pins`` (their ids), rows labelled ``labels``; ``specs``
    (formula, criterion, data key of each) say what the models are."""

    pins: tuple[int, ...]
    labels: tuple[str, ...]
    specs: tuple = ()
    models: tuple = field(default=(), compare=False, hash=False, repr=False)


def comparison_job(request: ComparisonRequest) -> pd.DataFrame | StudyFailure:
    """lme4's ``anova`` of the models (REML fits refitted by ML), rows labelled as the user named them."""
    try:
        return lmmcore.anova(**dict(zip(request.labels, request.models)))
    except _ENGINE_FAILURES as err:
        return _failure("These models cannot be compared", err)
