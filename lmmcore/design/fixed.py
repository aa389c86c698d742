"""The fixed-effects model matrix X: R's ``model.matrix`` of the fixed part, then lme4's rank check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lmmcore.design.columns import Categorical
from lmmcore.design.frame import ModelFrame
from lmmcore.design.modelmatrix import (
    INDICATORS,
    NUMERIC,
    MatrixLayout,
    build_matrix,
    check_size,
    column_names,
    plan_layout,
)
from lmmcore.design.rank import independent_columns, rank_message
from lmmcore.design.types import Design
from lmmcore.formula.spec import Expr, FormulaSpec


@dataclass(frozen=True)
class FixedPart:
    """X with the dependent columns dropped; ``keep`` indexes the full matrix's columns, ``assign`` gives
    each kept column's term (1-based, 0 for the intercept), ``aliases`` each dropped column as a linear
    combination of the kept ones (shape ``(p, len(dropped))``)."""

    X: np.ndarray
    names: tuple[str, ...]
    assign: np.ndarray
    aliases: np.ndarray
    layout: MatrixLayout
    keep: np.ndarray
    dropped: tuple[str, ...]
    messages: tuple[str, ...]


def fixed_part(spec: FormulaSpec, frame: ModelFrame) -> FixedPart:
    """Build X as R's ``model.matrix`` and drop the columns lme4 drops for rank deficiency."""
    layout = plan_layout(spec.intercept, spec.fixed, lambda e: isinstance(frame.values[e], Categorical))
    levels = {e: v.labels for e, v in frame.values.items() if isinstance(v, Categorical)}
    names = column_names(layout, levels)
    check_size(frame.nobs, names, "fixed-effects matrix")
    X = build_matrix(layout, frame.values, frame.nobs)
    keep = independent_columns(X)
    assign = column_assign(layout, levels)[keep]
    if keep.shape[0] == X.shape[1]:
        return FixedPart(X, names, assign, np.zeros((X.shape[1], 0)), layout, keep, (), scale_messages(X))
    lost = np.setdiff1d(np.arange(X.shape[1]), keep)
    dropped = tuple(names[j] for j in lost)
    kept = np.ascontiguousarray(X[:, keep])
    # dropped columns lie in the kept ones' span (to lme4's 1e-7): the least-squares fit is their alias
    aliases = np.linalg.lstsq(kept, X[:, lost], rcond=None)[0]
    return FixedPart(
        kept,
        tuple(names[j] for j in keep),
        assign,
        aliases,
        layout,
        keep,
        dropped,
        (rank_message(dropped), *scale_messages(kept)),
    )


def column_assign(layout: MatrixLayout, levels: Mapping[Expr, tuple[str, ...]]) -> np.ndarray:
    """R's ``assign``: the term (1-based, 0 for the intercept) of each column of the layout's matrix."""
    widths = [
        math.prod(1 if how == NUMERIC else len(levels[e]) - (how != INDICATORS) for e, how in term)
        for term in layout.terms
    ]
    counts = ([1] if layout.intercept else []) + widths
    terms = ([0] if layout.intercept else []) + list(range(1, len(widths) + 1))
    return np.repeat(np.array(terms, dtype=np.intp), counts)


def scale_messages(X: np.ndarray, ratio: float = 1e3) -> tuple[str, ...]:
    """lme4's ``checkScaleX`` warning: a non-0/1 column with SD beyond ``[1/ratio, ratio]``, or two such
    columns whose SDs differ by more than ``ratio``."""
    continuous = [j for j in range(X.shape[1]) if not ((X[:, j] == 0) | (X[:, j] == 1)).all()]
    if not continuous or X.shape[0] < 2:
        return ()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_sd = np.log(np.std(X[:, continuous], axis=0, ddof=1))
        spread = np.abs(log_sd[:, None] - log_sd[None, :])
    if max(np.abs(log_sd).max(), spread.max()) > np.log(ratio):
        return ("Some predictor variables are on very different scales: consider rescaling",)
    return ()


@dataclass(frozen=True)
class DummyCodingSample:
    """The fixed part coded two ways on the same made-up rows (lmerTest's type III machinery).

    Attributes
    ----------
    X : ndarray, shape (m, r)
        R's coding (treatment contrasts), all its columns, before the rank check.
    keep : ndarray of int
        The columns of ``X`` the design kept (the others are ``Design.dropped_fixed``).
    full : ndarray, shape (m, q)
        Every categorical factor of every term coded by indicators of all its levels (lmerTest's
        "rank-deficient X": an intercept column, then ``model.matrix(~ 0 + term)`` of each term).
    names, assign : tuple of str, ndarray of int, length q
        R's names of ``full``'s columns and their terms (1-based, 0 for the intercept).
    numeric : frozenset of Expr
        The variables of the fixed part that are numeric (R's ``dataClasses`` ``"numeric"``).
    """

    X: np.ndarray
    keep: np.ndarray
    full: np.ndarray
    names: tuple[str, ...]
    assign: np.ndarray
    numeric: frozenset[Expr]


def dummy_coding_sample(design: Design, repeats: int = 3, seed: int = 0) -> DummyCodingSample:
    """Code made-up rows both ways: for each term, every cell of its factors ``repeats`` times over
    (the other factors at random levels), numeric variables standard normal.

    A linear relation between the columns of ``X`` and of ``full`` that holds on these rows holds for any
    data (each cell appears, the numbers are in general position), so coefficients found here are the
    data's as well; the design does not keep the data.
    """
    encoding = design.encoding
    layout, levels = encoding.fixed, encoding.levels
    indicator_layout = MatrixLayout(
        layout.intercept,
        tuple(tuple((e, how if how == NUMERIC else INDICATORS) for e, how in term) for term in layout.terms),
    )
    names = column_names(indicator_layout, levels)
    grids = [[e for e, how in term if how != NUMERIC] for term in layout.terms] or [[]]
    sizes = [repeats * math.prod(len(levels[e]) for e in factors) for factors in grids]
    check_size(sum(sizes), names, "indicator-coded matrix of the type III tests")
    values = _sample_values(layout.variables, levels, grids, repeats, np.random.default_rng(seed))
    return DummyCodingSample(
        X=build_matrix(layout, values, sum(sizes)),
        keep=encoding.fixed_keep,
        full=build_matrix(indicator_layout, values, sum(sizes)),
        names=names,
        assign=column_assign(indicator_layout, levels),
        numeric=frozenset(e for e in layout.variables if e not in levels),
    )


def _sample_values(
    variables, levels, grids: list[list[Expr]], repeats: int, rng: np.random.Generator
) -> dict:
    """One block of rows per grid: every cell of the grid's factors ``repeats`` times, the other factors
    at random levels; numeric variables standard normal."""
    blocks = []
    for factors in grids:
        shape = [len(levels[e]) for e in factors]
        cells = np.indices(shape).reshape(len(factors), -1) if factors else np.zeros((0, 1), dtype=np.intp)
        size = repeats * cells.shape[1]
        block = {e: rng.integers(len(levels[e]), size=size) for e in variables if e in levels}
        block.update({e: np.tile(cells[i], repeats) for i, e in enumerate(factors)})
        blocks.append((block, size))
    nrows = sum(size for _, size in blocks)
    return {
        e: Categorical(np.concatenate([b[e] for b, _ in blocks]), levels[e])
        if e in levels
        else rng.standard_normal(nrows)
        for e in variables
    }
