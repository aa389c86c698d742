"""Evaluation of the formula's whitelisted expressions on data columns, with numpy (never ``eval``).

Supported: a column, ``factor(x)``, ``log(x)``, ``exp(x)``, ``sqrt(x)``, ``scale(x)``, ``I(...)`` and the
arithmetic ``+ - * / ^`` and unary minus on numbers.  As in R's ``model.frame``, expressions are evaluated
on every row before rows with missing values are dropped, so ``scale(x)`` centres on all observed ``x``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from lmmcore.design.columns import (
    Categorical,
    categorical_values,
    is_categorical_dtype,
    numbers_as_factor,
    numeric_values,
)
from lmmcore.errors import DataError, FormulaError
from lmmcore.formula.spec import BinaryOp, Call, Expr, Number, UnaryOp, Variable, expr_label

Value = np.ndarray | Categorical | float

NUMERIC = "numeric"
CATEGORICAL = "categorical"
FUNCTIONS = ("factor", "log", "exp", "sqrt", "scale", "I")


class ColumnSource:
    """Typed, cached access to a data frame's columns.

    Parameters
    ----------
    data : DataFrame
    kinds : mapping of str to str, optional
        Kind (``"numeric"``/``"categorical"``) of each column when the model was fitted; new data are
        read with the same kinds whatever their dtypes.  Without it the dtype decides.
    """

    def __init__(self, data: pd.DataFrame, kinds: Mapping[str, str] | None = None):
        self.data = data
        self.kinds = kinds
        self._series: dict[str, pd.Series] = {}
        self._numeric: dict[str, np.ndarray] = {}
        self._categorical: dict[str, Categorical] = {}

    def series(self, name: str) -> pd.Series:
        if name not in self._series:
            self._series[name] = self.data[name]
        return self._series[name]

    def kind(self, name: str) -> str:
        if self.kinds is not None and name in self.kinds:
            return self.kinds[name]
        return CATEGORICAL if is_categorical_dtype(self.series(name).dtype) else NUMERIC

    def numeric(self, name: str) -> np.ndarray:
        if name not in self._numeric:
            self._numeric[name] = numeric_values(self.series(name), name)
        return self._numeric[name]

    def categorical(self, name: str) -> Categorical:
        if name not in self._categorical:
            self._categorical[name] = categorical_values(self.series(name))
        return self._categorical[name]

    def variable(self, name: str) -> np.ndarray | Categorical:
        return self.categorical(name) if self.kind(name) == CATEGORICAL else self.numeric(name)

    def missing(self, name: str) -> np.ndarray:
        """Rows where the column is missing (from whichever typed copy is already at hand)."""
        if name in self._numeric:
            return np.isnan(self._numeric[name])
        if name in self._categorical:
            return self._categorical[name].codes < 0
        return self.series(name).isna().to_numpy()


class Evaluator:
    """Evaluates expressions on one data frame, remembering each ``scale()``'s centre and SD.

    Parameters
    ----------
    source : ColumnSource
    scales : mapping of Call to (centre, sd), optional
        Stored ``scale()`` parameters (new data); without it they are computed from the data (fitting).
    """

    def __init__(self, source: ColumnSource, scales: Mapping[Call, tuple[float, float]] | None = None):
        self.source = source
        self.fitting = scales is None
        self.scales: dict[Call, tuple[float, float]] = dict(scales or {})
        self._cache: dict[Expr, Value] = {}

    def __call__(self, expr: Expr) -> Value:
        if expr not in self._cache:
            self._cache[expr] = self._evaluate(expr)
        return self._cache[expr]

    def _evaluate(self, expr: Expr) -> Value:
        if isinstance(expr, Variable):
            return self.source.variable(expr.name)
        if isinstance(expr, Number):
            return float(expr.value)
        if isinstance(expr, UnaryOp):
            operand = self._numeric(expr.operand, expr)
            return -operand if expr.op == "-" else operand
        if isinstance(expr, BinaryOp):
            return self._arithmetic(expr)
        if isinstance(expr, Call):
            return self._call(expr)
        raise FormulaError(f"cannot evaluate {expr!r} in a formula")

    def _numeric(self, expr: Expr, within: Expr) -> np.ndarray | float:
        value = self(expr)
        if isinstance(value, Categorical):
            raise DataError(
                f"'{expr_label(expr)}' is categorical, so '{expr_label(within)}' cannot be computed; "
                "use a numeric column there"
            )
        return value

    def _arithmetic(self, expr: BinaryOp) -> np.ndarray | float:
        left = self._numeric(expr.left, expr)
        right = self._numeric(expr.right, expr)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if expr.op == "+":
                return np.add(left, right)
            if expr.op == "-":
                return np.subtract(left, right)
            if expr.op == "*":
                return np.multiply(left, right)
            if expr.op == "/":
                return np.divide(left, right)
            if expr.op == "^":
                return np.power(left, right)
        raise FormulaError(f"unsupported operator '{expr.op}' in '{expr_label(expr)}'; use + - * / ^")

    def _call(self, expr: Call) -> Value:
        arity_ok = len(expr.args) == 1 or (expr.func == "log" and len(expr.args) == 2)
        if expr.func not in FUNCTIONS or not arity_ok:
            raise FormulaError(
                f"'{expr_label(expr)}' is not supported; use one of {', '.join(f + '(x)' for f in FUNCTIONS)}"
                " or log(x, base)"
            )
        arg = expr.args[0]
        if expr.func == "factor":
            value = self(arg)
            if isinstance(value, Categorical):
                return value.as_factor()
            return numbers_as_factor(np.broadcast_to(value, (len(self.source.data),)))
        x = self._numeric(arg, expr)
        if expr.func == "I":
            return x
        if expr.func == "scale":
            return self._scale(expr, x)
        bad = (x <= 0) if expr.func == "log" else (x < 0) if expr.func == "sqrt" else None
        if bad is not None and np.any(bad):
            what = "zero or negative" if expr.func == "log" else "negative"
            raise DataError(
                f"{expr_label(expr)}: {int(np.sum(bad))} value(s) of {expr_label(arg)} are {what}; "
                f"remove or shift those rows, or drop {expr.func}()"
            )
        with np.errstate(over="ignore", divide="ignore"):
            if expr.func == "log" and len(expr.args) == 2:
                return np.log(x) / np.log(self._numeric(expr.args[1], expr))
            return {"log": np.log, "exp": np.exp, "sqrt": np.sqrt}[expr.func](x)

    def _scale(self, expr: Call, x: np.ndarray | float) -> np.ndarray:
        """R's ``scale(x)``: ``(x - mean) / sd`` with the SD's ``n - 1`` divisor, missing values ignored."""
        if self.fitting and expr not in self.scales:
            observed = np.asarray(x)[~np.isnan(x)]
            sd = float(np.std(observed, ddof=1)) if observed.size > 1 else 0.0
            if not sd > 0:
                raise DataError(
                    f"{expr_label(expr)}: {expr_label(expr.args[0])} is constant, so it cannot be scaled; "
                    "remove scale() or use a varying column"
                )
            self.scales[expr] = (float(np.mean(observed)), sd)
        centre, sd = self.scales[expr]
        return (np.asarray(x, dtype=np.float64) - centre) / sd
