"""Encoding new data exactly as the fitted data: same column kinds, factor levels, ``scale()`` constants.

Used by predict and simulate: ``encode_newdata(design, newdata)`` gives the rows of X for new data (lme4's
``predict(..., re.form = NA)``), and with ``re=True`` also each random term's level index and z columns;
a level unseen when fitting gets index ``-1`` (lme4 gives it a random effect of 0).  A missing value in
new data gives NaN in its row (R's ``na.pass``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.design.columns import Categorical
from lmmcore.design.evaluate import ColumnSource, Evaluator
from lmmcore.design.frame import variables_in
from lmmcore.design.modelmatrix import MatrixLayout, build_matrix
from lmmcore.design.random import RandomLayout
from lmmcore.design.types import Design
from lmmcore.errors import DataError
from lmmcore.formula.spec import Call, Expr, expr_label


@dataclass(frozen=True)
class Encoding:
    """The design stage's state for new data (opaque to other stages).

    Attributes
    ----------
    kinds : mapping
        ``"numeric"``/``"categorical"`` of each column read by an expression.
    scales : mapping
        ``scale()`` call -> (centre, SD) from the fitted data.
    levels : mapping
        Categorical expression -> its level labels in the fitted data.
    fixed : MatrixLayout
        Coding of the fixed part; ``fixed_keep`` are the columns kept after the rank check.
    random : tuple of RandomLayout
        Per term of ``Design.reterms`` (same order).
    """

    kinds: Mapping[str, str]
    scales: Mapping[Call, tuple[float, float]]
    levels: Mapping[Expr, tuple[str, ...]]
    fixed: MatrixLayout
    fixed_keep: np.ndarray
    random: tuple[RandomLayout, ...]


def encode_newdata(design: Design, newdata: pd.DataFrame, re: bool = False):
    """Encode ``newdata`` with the fitted design's rules.

    Parameters
    ----------
    design : Design
    newdata : DataFrame
        Columns of the fixed part (and, with ``re=True``, of the random terms); the response is not needed.
    re : bool
        Also encode the random-effects terms.

    Returns
    -------
    X : ndarray, shape (m, p)
        With ``re=False``.
    (X, terms) : tuple
        With ``re=True``; ``terms[i] = (refs, z)`` for ``design.reterms[i]``: level indices (``-1`` for a
        level not seen when fitting or missing) and the term's columns.

    Raises
    ------
    DataError
        Missing columns, a column of the wrong kind, or a fixed-effect factor level not seen when fitting.
    """
    if not isinstance(newdata, pd.DataFrame):
        raise DataError("newdata must be a pandas DataFrame with the model's columns")
    encoding: Encoding = design.encoding
    layouts = [encoding.fixed] + ([r.layout for r in encoding.random] if re else [])
    exprs = tuple(dict.fromkeys(e for layout in layouts for e in layout.variables))
    groups = tuple(dict.fromkeys(g for r in encoding.random for g in r.group)) if re else ()
    _check_columns(newdata, [*(n for e in exprs for n in variables_in(e)), *groups])

    evaluate = Evaluator(ColumnSource(newdata, encoding.kinds), encoding.scales)
    values = {e: _recode(evaluate(e), e, encoding.levels, len(newdata)) for e in exprs}
    X = build_matrix(encoding.fixed, values, len(newdata))[:, encoding.fixed_keep]
    if not re:
        return X
    source = evaluate.source
    terms = tuple(
        (_group_refs(r.group, block.levels, source), build_matrix(r.layout, values, len(newdata)))
        for r, block in zip(encoding.random, design.reterms)
    )
    return X, terms


def _check_columns(newdata: pd.DataFrame, needed: list[str]) -> None:
    absent = [n for n in dict.fromkeys(needed) if n not in newdata.columns]
    if absent:
        raise DataError(
            f"newdata lacks column(s) {', '.join(absent)} used by the model; add them "
            f"(newdata has: {', '.join(map(str, newdata.columns))})"
        )


def _recode(value, expr: Expr, levels: Mapping[Expr, tuple[str, ...]], n: int):
    """Map new data's factor onto the fitted levels; an unseen level is an error."""
    if not isinstance(value, Categorical):
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    fitted = levels[expr]
    codes = _codes_in(value, fitted)
    unseen = (codes < 0) & (value.codes >= 0)
    if unseen.any():
        new = sorted({value.labels[c] for c in value.codes[unseen]})
        raise DataError(
            f"'{expr_label(expr)}' has level(s) {', '.join(new)} not seen when fitting "
            f"(fitted levels: {', '.join(fitted)}); use only fitted levels"
        )
    return Categorical(codes, fitted)


def _codes_in(value: Categorical, fitted: tuple[str, ...]) -> np.ndarray:
    position = {label: i for i, label in enumerate(fitted)}
    lookup = np.array([position.get(label, -1) for label in value.labels] + [-1], dtype=np.int64)
    return lookup[value.codes]  # code -1 (missing) picks the trailing -1


def _group_refs(group: tuple[str, ...], levels: tuple[str, ...], source: ColumnSource) -> np.ndarray:
    """Index of each new row's group in the fitted levels (``-1``: unseen or missing)."""
    factors = [source.categorical(g) for g in group]
    combos, inverse = np.unique(np.column_stack([f.codes for f in factors]), axis=0, return_inverse=True)
    position = {label: i for i, label in enumerate(levels)}
    per_combo = np.array(
        [
            -1
            if (combo < 0).any()
            else position.get(":".join(f.labels[c] for f, c in zip(factors, combo)), -1)
            for combo in combos
        ],
        dtype=np.int64,
    )
    return per_combo[inverse.ravel()]
