"""What the Predictions panel predicts over: the model's predictors read from its parsed formula, and the
new-data grids of the population curves and of the groups' curves.

A predictor is a data column of the fixed part or of a random slope. It is a factor when the formula wraps
it in ``factor()`` or when its column is not numeric (text, logical), as in the design stage; otherwise it
is continuous. Continuous predictors other than the one on the x axis are held at their mean over the used
rows; factors at chosen levels, each chosen combination giving its own curve.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

import lmmcore.formula as formula

GRID_POINTS = 50
MAX_CURVES = 12
MAX_GROUP_CURVES = 100
#: Separates a factor's name from a level in the values of the levels select (names never hold it).
LEVEL_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Predictor:
    """One predictor over the rows the model used.

    ``levels`` are a factor's labels in sorted order (its reference level first, as lme4's) and ``values``
    the data values behind them; a continuous predictor has ``mean``, ``low`` and ``high`` instead.
    """

    name: str
    numeric: bool
    levels: tuple[str, ...] = ()
    values: tuple = ()
    mean: float = float("nan")
    low: float = float("nan")
    high: float = float("nan")


@dataclass(frozen=True)
class ModelPredictors:
    """The predictors of a fit, the terms that join them, and its single-column grouping factors."""

    predictors: tuple[Predictor, ...]
    interactions: tuple[frozenset[str], ...]
    groups: tuple[str, ...]
    group_columns: tuple[str, ...]
    response: str

    def get(self, name: str) -> Predictor:
        return next(p for p in self.predictors if p.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.predictors)

    @property
    def factors(self) -> tuple[Predictor, ...]:
        return tuple(p for p in self.predictors if not p.numeric)

    def partners(self, name: str) -> tuple[str, ...]:
        """Factors that share an interaction term with ``name`` (each gets one curve per level)."""
        joined = set().union(*(term for term in self.interactions if name in term))
        return tuple(p.name for p in self.factors if p.name in joined and p.name != name)


def _variables(expr) -> set[str]:
    if isinstance(expr, formula.Variable):
        return {expr.name}
    if isinstance(expr, formula.Call):
        return set().union(*(_variables(a) for a in expr.args))
    if isinstance(expr, formula.BinaryOp):
        return _variables(expr.left) | _variables(expr.right)
    if isinstance(expr, formula.UnaryOp):
        return _variables(expr.operand)
    return set()


def _factor_wrapped(expr) -> set[str]:
    """Variables that appear inside ``factor()`` somewhere in ``expr``."""
    if isinstance(expr, formula.Call):
        inner = set().union(*(_factor_wrapped(a) for a in expr.args))
        return inner | (_variables(expr) if expr.func == "factor" else set())
    if isinstance(expr, formula.BinaryOp):
        return _factor_wrapped(expr.left) | _factor_wrapped(expr.right)
    if isinstance(expr, formula.UnaryOp):
        return _factor_wrapped(expr.operand)
    return set()


def _is_continuous(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _predictor(name: str, column: pd.Series, as_factor: bool) -> Predictor:
    if not as_factor and _is_continuous(column):
        values = column.astype(float)
        return Predictor(name, True, mean=values.mean(), low=values.min(), high=values.max())
    distinct = column.dropna().unique()
    pairs = sorted(((str(v), v) for v in distinct), key=lambda pair: _level_order(pair[1]))
    return Predictor(name, False, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def _level_order(value) -> tuple:
    # Numbers in factor() sort numerically, text alphabetically: R's factor() level order.
    return (0, float(value), "") if isinstance(value, (int, float, np.number)) else (1, 0.0, str(value))


def model_predictors(spec: formula.FormulaSpec, used: pd.DataFrame) -> ModelPredictors:
    """The predictors of ``spec`` over ``used``, the data rows the fit used.

    Parameters
    ----------
    spec : FormulaSpec
        The fit's parsed formula (``result.design.formula``).
    used : DataFrame
        The rows the model was fitted to (``data.loc[result.row_index]``).
    """
    fixed_terms = [term.factors for term in spec.fixed]
    slope_terms = [term.factors for bar in spec.random for term in bar.terms]
    group_vars = {name for bar in spec.random for name in bar.group}
    exprs = [e for factors in fixed_terms + slope_terms for e in factors]
    wrapped = set().union(*(_factor_wrapped(e) for e in exprs))
    names = list(dict.fromkeys(v for e in exprs for v in sorted(_variables(e)) if v in used.columns))
    # A grouping column that is also in the fixed part (``factor(Site) + (1 | Site)``) is a predictor too.
    predictors = tuple(_predictor(name, used[name], name in wrapped) for name in names)
    interactions = tuple(
        frozenset().union(*(_variables(e) for e in factors)) for factors in fixed_terms if len(factors) > 1
    )
    single_groups = tuple(dict.fromkeys(bar.group[0] for bar in spec.random if len(bar.group) == 1))
    return ModelPredictors(
        predictors=predictors,
        interactions=interactions,
        groups=tuple(g for g in single_groups if g in used.columns),
        group_columns=tuple(sorted(g for g in group_vars if g in used.columns)),
        response=formula.expr_label(spec.response),
    )


def level_choices(info: ModelPredictors) -> dict[str, dict[str, str]]:
    """The levels select's choices: per factor, ``value -> label`` (value: factor and level joined)."""
    return {p.name: {f"{p.name}{LEVEL_SEPARATOR}{level}": level for level in p.levels} for p in info.factors}


def default_levels(info: ModelPredictors, x: str) -> tuple[str, ...]:
    """Every level of the factors interacting with ``x`` (one curve each); the first level of the others."""
    partners = set(info.partners(x))
    chosen = []
    for p in info.factors:
        if p.name == x:
            continue
        levels = p.levels if p.name in partners else p.levels[:1]
        chosen += [f"{p.name}{LEVEL_SEPARATOR}{level}" for level in levels]
    return tuple(chosen)


@dataclass(frozen=True)
class Curves:
    """The held values of every curve: one row per curve (factor levels as data values, numeric means)."""

    held: pd.DataFrame
    labels: tuple[str, ...]
    note: str | None = None


def curves(info: ModelPredictors, x: str | None, chosen_levels: tuple[str, ...]) -> Curves:
    """Every combination of the chosen levels (a factor without a chosen level is held at its first);
    at most :data:`MAX_CURVES`, the rest named in ``note``."""
    picked: dict[str, list[str]] = {}
    for value in chosen_levels:
        name, _, level = value.partition(LEVEL_SEPARATOR)
        picked.setdefault(name, []).append(level)
    held_factors = [p for p in info.factors if p.name != x]
    options = []
    for p in held_factors:
        wanted = [level for level in p.levels if level in picked.get(p.name, ())] or list(p.levels[:1])
        options.append([(level, p.values[p.levels.index(level)]) for level in wanted])
    combos = list(itertools.product(*options))
    note = None
    if len(combos) > MAX_CURVES:
        note = f"{len(combos)} combinations of levels chosen: the first {MAX_CURVES} are drawn."
        combos = combos[:MAX_CURVES]
    rows = []
    for combo in combos:
        row = {p.name: value for p, (_, value) in zip(held_factors, combo)}
        row.update({p.name: p.mean for p in info.predictors if p.numeric and p.name != x})
        rows.append(row)
    labels = tuple(_curve_label(held_factors, options, combo) for combo in combos)
    return Curves(pd.DataFrame(rows, index=range(len(rows))), labels, note)


def _curve_label(factors: list[Predictor], options: list[list], combo: tuple) -> str:
    """Names only the factors with several chosen levels (the others are the same on every curve)."""
    parts = [f"{p.name} = {label}" for p, opts, (label, _) in zip(factors, options, combo) if len(opts) > 1]
    return ", ".join(parts)


def x_values(predictor: Predictor) -> tuple[list, list[str]]:
    """The x values of the grid (data values) and their labels: an even grid over a continuous range, or
    every level of a factor."""
    if predictor.numeric:
        grid = np.linspace(predictor.low, predictor.high, GRID_POINTS)
        return list(grid), [f"{v:.4g}" for v in grid]
    return list(predictor.values), list(predictor.levels)


def population_grid(info: ModelPredictors, x: str | None, held: Curves) -> pd.DataFrame:
    """New data of the population curves: every x value for every curve, with a ``curve`` column; one
    row per curve when the model has no predictor (``x`` None)."""
    values = x_values(info.get(x))[0] if x is not None else [None]
    frames = []
    for curve, (_, row) in enumerate(held.held.iterrows()):
        frame = pd.DataFrame({x: values}) if x is not None else pd.DataFrame(index=range(1))
        for name, value in row.items():
            frame[name] = value
        frame["curve"] = curve
        frames.append(frame)
    grid = pd.concat(frames, ignore_index=True)
    for column in set(info.group_columns) - set(info.names):
        grid[column] = None  # no group: random effects of 0 wherever the engine is asked for them
    return grid


def group_grid(population: pd.DataFrame, used: pd.DataFrame, group: str) -> tuple[pd.DataFrame, int]:
    """The first curve's grid once per level of ``group`` (at most :data:`MAX_GROUP_CURVES` levels); also
    returns the number of levels."""
    levels = pd.unique(used[group].dropna())
    shown = levels[:MAX_GROUP_CURVES]
    first = population[population["curve"] == 0].reset_index(drop=True)
    out = first.iloc[np.tile(np.arange(len(first)), len(shown))].reset_index(drop=True)
    out[group] = pd.Series(np.repeat(np.asarray(shown, dtype=object), len(first))).astype(used[group].dtype)
    return out, len(levels)


@dataclass(frozen=True)
class PredictionPlan:
    """Everything the band job and the figure need for one choice of x, levels and group.

    ``grid``: the population rows (``curve`` numbers the curves); ``group_grid``: the first curve's rows
    once per group level, or None; ``levels``: a factor x's values and labels in axis order; ``points``:
    the data (columns ``x``, ``y``: the response as the model saw it); ``notes``: what the user should know.
    """

    x: str | None
    grid: pd.DataFrame
    group_grid: pd.DataFrame | None
    curve_labels: tuple[str, ...]
    levels: tuple[tuple, tuple[str, ...]] | None
    points: pd.DataFrame
    notes: tuple[str, ...]


def plan(
    info: ModelPredictors,
    used: pd.DataFrame,
    response: np.ndarray,
    x: str | None,
    chosen_levels: tuple[str, ...],
    group: str | None,
) -> PredictionPlan:
    """The grids of predictor ``x`` (None: the model has none) with the chosen factor levels, and the
    curves of ``group``'s levels (None: no group curves)."""
    notes = []
    if not any(p.numeric for p in info.predictors):
        notes.append(
            "This model has no continuous predictor, so there is no curve to draw: "
            + (
                "each level of the factor gets a dot with its bootstrap whiskers."
                if info.predictors
                else "its fixed part is the intercept alone, drawn as one dot with its bootstrap whiskers."
            )
        )
    held = curves(info, x, chosen_levels)
    if held.note:
        notes.append(held.note)
    grid = population_grid(info, x, held)
    groups = None
    if group is not None:
        groups, count = group_grid(grid, used, group)
        if count > MAX_GROUP_CURVES:
            notes.append(f"{group} has {count} levels: the curves of the first {MAX_GROUP_CURVES} are drawn.")
        if len(held.labels) > 1:
            notes.append(f"The {group} curves are drawn at the first curve's levels ({held.labels[0]}).")
    predictor = info.get(x) if x is not None else None
    levels = None if predictor is None or predictor.numeric else (predictor.values, predictor.levels)
    x_data = used[x].to_numpy() if x is not None else np.zeros(len(used))
    points = pd.DataFrame({"x": x_data, "y": np.asarray(response, dtype=float)})
    return PredictionPlan(x, grid, groups, held.labels, levels, points, tuple(notes))
