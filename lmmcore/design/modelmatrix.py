"""R's ``model.matrix`` with treatment contrasts, shared by the fixed part and each random term's lhs.

Coding rule (Chambers & Heiberger, *Statistical Models in S* p. 38, R's ``TermCode``): within a term, a
categorical factor ``f`` is coded by contrasts (all levels but the first) when the term without ``f`` is
empty or contained in a preceding term, and by full indicators otherwise.  Without an intercept, the
first categorical factor found in the first term that has one is coded by full indicators.  Columns of an
interaction are products, the term's first factor varying fastest; names join the pieces with ``:``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from lmmcore.design.columns import Categorical
from lmmcore.errors import DataError
from lmmcore.formula.spec import Expr, Term, expr_label

NUMERIC = "numeric"
CONTRASTS = "contrasts"
INDICATORS = "indicators"


@dataclass(frozen=True)
class MatrixLayout:
    """How each term's factors are coded: ``terms[j]`` pairs each expression with its coding."""

    intercept: bool
    terms: tuple[tuple[tuple[Expr, str], ...], ...]

    @property
    def variables(self) -> tuple[Expr, ...]:
        """The distinct expressions used, in order of first appearance."""
        return tuple(dict.fromkeys(e for term in self.terms for e, _ in term))


def plan_layout(
    intercept: bool, terms: tuple[Term, ...], is_categorical: Callable[[Expr], bool]
) -> MatrixLayout:
    """Decide contrasts or indicators for every categorical factor of every term (R's rule above)."""
    variable_sets = [frozenset(t.factors) for t in terms]
    planned = []
    for j, term in enumerate(terms):
        coded = []
        for expr in term.factors:
            if not is_categorical(expr):
                coded.append((expr, NUMERIC))
                continue
            margin = variable_sets[j] - {expr}
            has_margin = not margin or any(margin <= earlier for earlier in variable_sets[:j])
            coded.append((expr, CONTRASTS if has_margin else INDICATORS))
        planned.append(coded)
    if not intercept:
        _first_factor_as_indicators(planned)
    return MatrixLayout(intercept, tuple(tuple(coded) for coded in planned))


def _first_factor_as_indicators(planned: list[list[tuple[Expr, str]]]) -> None:
    order = list(dict.fromkeys(e for coded in planned for e, _ in coded))
    for coded in planned:
        factors = [e for e, how in coded if how != NUMERIC]
        if factors:
            first = min(factors, key=order.index)
            coded[[e for e, _ in coded].index(first)] = (first, INDICATORS)
            return


def column_names(layout: MatrixLayout, levels: Mapping[Expr, tuple[str, ...]]) -> tuple[str, ...]:
    """R's column names: ``(Intercept)``, ``Days``, ``recipeB``, ``recipeB:factor(temp)185``."""
    names = ["(Intercept)"] if layout.intercept else []
    for term in layout.terms:
        pieces = [""]
        for expr, how in term:
            label = expr_label(expr)
            if how == NUMERIC:
                own = [label]
            else:
                kept = levels[expr][1:] if how == CONTRASTS else levels[expr]
                own = [label + lev for lev in kept]
            pieces = [f"{p}:{o}" if p else o for o in own for p in pieces]
        names.extend(pieces)
    return tuple(names)


MAX_CELLS = 250_000_000  # 2 GB of float64: beyond this a dense column block is a mistake, not a model


def check_size(n: int, names: tuple[str, ...], what: str) -> None:
    """Refuse a dense matrix too large to hold (a many-level factor among the fixed effects)."""
    if n * len(names) > MAX_CELLS:
        raise DataError(
            f"the {what} would have {len(names)} columns x {n} rows ({n * len(names) * 8 / 1e9:.0f} GB); "
            "a factor with many levels belongs in a random-effects term such as (1 | factor), not here"
        )


def build_matrix(layout: MatrixLayout, values: Mapping[Expr, np.ndarray | Categorical], n: int) -> np.ndarray:
    """The model matrix, shape (n, ncol): products of each term's factor codings."""
    blocks = [np.ones((n, 1))] if layout.intercept else []
    for term in layout.terms:
        block = None
        for expr, how in term:
            own = _factor_block(values[expr], how, expr)
            block = own if block is None else (block[:, None, :] * own[:, :, None]).reshape(n, -1)
        blocks.append(block)
    if not blocks:
        return np.empty((n, 0))
    return np.ascontiguousarray(np.hstack(blocks)) if len(blocks) > 1 else np.ascontiguousarray(blocks[0])


def _factor_block(value: np.ndarray | Categorical, how: str, expr: Expr) -> np.ndarray:
    if how == NUMERIC:
        return np.asarray(value, dtype=np.float64).reshape(-1, 1)
    if value.nlevels < 2:
        raise DataError(
            f"'{expr_label(expr)}' has a single level ({', '.join(value.labels) or 'none'}) in the rows "
            "used, so it has no contrasts; remove it from the formula or use data with at least two levels"
        )
    first = 1 if how == CONTRASTS else 0
    block = (value.codes[:, None] == np.arange(first, value.nlevels)).astype(np.float64)
    missing = value.codes < 0
    if missing.any():  # new data with a missing value: R's na.pass gives NA
        block[missing] = np.nan
    return block
