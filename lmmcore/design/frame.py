"""The model frame (R's ``model.frame``): the columns a formula uses, evaluated, complete rows only.

Every column the formula names (response, fixed effects, random-effects slopes, grouping factors) must
exist; a row with a missing value in any of them is dropped, as ``na.omit`` does in lme4.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lmmcore.design.columns import Categorical, describe_kind
from lmmcore.design.evaluate import CATEGORICAL, ColumnSource, Evaluator
from lmmcore.errors import DataError, FormulaError
from lmmcore.formula.spec import BinaryOp, Call, Expr, FormulaSpec, UnaryOp, Variable, expr_label


@dataclass(frozen=True)
class ModelFrame:
    """Evaluated variables on the complete rows.

    Attributes
    ----------
    rows : ndarray of int
        0-based positions of the data rows kept.
    values : dict
        Each expression of the formula (response, fixed factors, random-effects lhs factors) on the kept
        rows: a float array or a :class:`Categorical` with unused levels dropped.
    groups : dict
        Each grouping column as a :class:`Categorical` on the kept rows.
    kinds : dict
        ``"numeric"``/``"categorical"``: how each column named in an expression was read.
    scales : dict
        ``scale()`` centres and SDs.
    messages : tuple of str
    """

    rows: np.ndarray
    values: dict[Expr, np.ndarray | Categorical]
    groups: dict[str, Categorical]
    kinds: dict[str, str] = field(default_factory=dict)
    scales: dict = field(default_factory=dict)
    messages: tuple[str, ...] = ()

    @property
    def nobs(self) -> int:
        return self.rows.shape[0]


def variables_in(expr: Expr) -> Iterator[str]:
    """Names of the data columns an expression reads."""
    if isinstance(expr, Variable):
        yield expr.name
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from variables_in(arg)
    elif isinstance(expr, BinaryOp):
        yield from variables_in(expr.left)
        yield from variables_in(expr.right)
    elif isinstance(expr, UnaryOp):
        yield from variables_in(expr.operand)


def formula_expressions(spec: FormulaSpec) -> tuple[Expr, ...]:
    """The distinct expressions of the fixed part and of every random term's lhs, in formula order."""
    fixed = (e for term in spec.fixed for e in term.factors)
    random = (e for rt in spec.random for term in rt.terms for e in term.factors)
    return tuple(dict.fromkeys([*fixed, *random]))


def check_columns_exist(spec: FormulaSpec, names: list[str], data: pd.DataFrame) -> None:
    """Raise :class:`FormulaError` for the first name that is not a column, pointing at it (and
    :class:`DataError` for a name shared by several columns)."""
    unique = data.columns.is_unique
    for name in names:
        if name in data.columns:
            if not unique and not isinstance(data.columns.get_loc(name), int):
                raise DataError(
                    f"the data have several columns named '{name}'; rename them so each is unique"
                )
            continue
        columns = ", ".join(map(str, data.columns))
        close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise FormulaError(
            f"unknown column '{name}' in the formula; {hint}the data have columns: {columns}",
            formula=spec.text,
            position=_position_of(name, spec.text),
        )


def _position_of(name: str, text: str) -> int | None:
    match = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text)
    return match.start() if match else None


def model_frame(spec: FormulaSpec, data: pd.DataFrame) -> ModelFrame:
    """Evaluate the formula's variables on ``data`` and keep the rows with no missing value."""
    exprs = formula_expressions(spec)
    expr_columns = list(dict.fromkeys(n for e in (spec.response, *exprs) for n in variables_in(e)))
    group_columns = list(dict.fromkeys(g for rt in spec.random for g in rt.group))
    used = list(dict.fromkeys([*expr_columns, *group_columns]))
    check_columns_exist(spec, used, data)
    source = ColumnSource(data)
    _check_response_type(spec.response, source)
    _check_no_ordered_factors(exprs, source)

    evaluate = Evaluator(source)
    response = evaluate(spec.response)
    raw = {e: evaluate(e) for e in exprs}
    groups = {g: source.categorical(g).as_factor() for g in group_columns}  # lme4: factor(g)

    missing = {name: source.missing(name) for name in used}
    rows = np.flatnonzero(~np.logical_or.reduce(list(missing.values())))
    _check_rows_left(rows, used)
    take = None if rows.shape[0] == len(data) else rows
    messages = () if take is None else (_dropped_message(len(data) - rows.shape[0], missing),)

    values = {spec.response: _take(response, take, len(data), spec.response)}
    values.update({e: _take(v, take, len(data), e) for e, v in raw.items()})
    return ModelFrame(
        rows=rows,
        values=values,
        groups={g: col.take(take) for g, col in groups.items()},
        kinds={name: source.kind(name) for name in expr_columns},
        scales=dict(evaluate.scales),
        messages=messages,
    )


def _check_response_type(response: Expr, source: ColumnSource) -> None:
    if isinstance(response, Variable) and source.kind(response.name) == CATEGORICAL:
        kind = describe_kind(source.series(response.name))
        raise DataError(f"response '{response.name}' is {kind}; choose a numeric column")
    if isinstance(response, Call) and response.func == "factor":
        raise DataError(f"response '{expr_label(response)}' is categorical; choose a numeric column")


def _check_no_ordered_factors(exprs: tuple[Expr, ...], source: ColumnSource) -> None:
    """An ordered pandas categorical is R's ordered factor, which lme4 codes by polynomial contrasts
    (``f.L``, ``f.Q``); lmmcore has treatment contrasts only, so it refuses rather than differ silently."""
    for expr in exprs:
        inner = expr.args[0] if isinstance(expr, Call) and expr.func == "factor" and expr.args else expr
        if isinstance(inner, Variable):
            dtype = source.series(inner.name).dtype
            if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
                raise DataError(
                    f"column '{inner.name}' is an ordered categorical: lme4 would code it by polynomial "
                    f"contrasts ({inner.name}.L, {inner.name}.Q, ...), which lmmcore does not support; make "
                    f"it unordered (data['{inner.name}'].cat.as_unordered()) for treatment contrasts"
                )


def _dropped_message(count: int, missing: dict[str, np.ndarray]) -> str:
    with_na = ", ".join(name for name, m in missing.items() if m.any())
    return f"dropped {count} row{'s' if count > 1 else ''} with missing values (columns: {with_na})"


def _check_rows_left(rows: np.ndarray, used: list[str]) -> None:
    if rows.shape[0] == 0:
        raise DataError(
            f"no complete rows: every row has a missing value in one of {', '.join(used)}; "
            "fill in or remove missing values, or use other columns"
        )


def _take(value, rows: np.ndarray | None, n: int, expr: Expr):
    if isinstance(value, Categorical):
        return value.take(rows)
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    # an owned array: a column's values may be a read-only view into the caller's DataFrame
    array = array.copy() if rows is None else array[rows]
    finite = np.isfinite(array)
    if not finite.all():
        raise DataError(
            f"'{expr_label(expr)}' has {int(np.sum(~finite))} infinite value(s) in the rows used; "
            "remove those rows or change the expression"
        )
    return array
