"""Complete, no and partial pooling side by side (Gelman & Hill ch. 12): how a mixed model shrinks.

For each level of one grouping factor and each coefficient of the fixed part:

* ``complete``: one ordinary least-squares fit of the fixed part, ignoring the groups (every level gets
  the same estimate);
* ``none``: a separate least-squares fit of the fixed part within each level (NaN, with a note, when the
  level has fewer rows than coefficients or its columns are collinear there);
* ``partial``: the mixed model's per-level coefficients, lme4's ``coef(m)``: fixed effect plus the
  level's conditional mode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.errors import InferenceError
from lmmcore.fit import fit
from lmmcore.formula import parse_formula
from lmmcore.result import LmmResult

COLUMNS = ["group", "level", "term", "estimate", "method", "n", "note"]


def pooling(
    formula: str | LmmResult,
    data: pd.DataFrame | None = None,
    group: str | None = None,
    reml: bool = True,
) -> pd.DataFrame:
    """Estimates of every fixed-part coefficient per level under the three kinds of pooling.

    Parameters
    ----------
    formula : str or LmmResult
        A mixed-model formula, e.g. ``"Biomass ~ Temp + N + (1 + Temp | Site)"``, fitted to ``data``; or a
        fitted model, whose design and estimates are used as they are (no refit; ``data`` and ``reml``
        are then not needed).
    data : DataFrame, optional
        The data to fit ``formula`` to.
    group : str, optional
        The grouping factor to compare on (lme4's label, e.g. ``"Site"``); needed when the model has
        several.
    reml : bool
        Partial pooling from the REML fit (lme4's default) or the maximum-likelihood one.

    Returns
    -------
    DataFrame
        Tidy, columns ``group, level, term, estimate, method ("complete", "none", "partial"), n`` (rows
        of the level) and ``note`` (why a no-pooling estimate is missing; empty otherwise).
    """
    if isinstance(formula, LmmResult):
        m = formula
    else:
        if not parse_formula(formula).random:
            raise InferenceError(
                "pooling compares a mixed model with separate and pooled fits, but this formula has no "
                "random effects; add a term such as (1 | group)."
            )
        if data is None:
            raise InferenceError("pass data=, the data to fit the formula to.")
        m = fit(formula, data, reml=reml)
    design = m.design
    term_indices = _pick_terms(design.reterms, group)
    term = design.reterms[term_indices[0]]
    counts = np.bincount(term.refs, minlength=term.nlevels)
    complete = _least_squares(design.X, design.y)
    positions = [{v: i for i, v in enumerate(design.reterms[t].levels)} for t in term_indices]
    rows = []
    for level_index, level in enumerate(term.levels):
        n = int(counts[level_index])
        none, note = _within_level_fit(design, term.refs == level_index)
        partial = _level_coefficients(m, term_indices, positions, level)
        for j, name in enumerate(design.fixed_names):
            rows.append((term.group, level, name, complete[j], "complete", n, ""))
            rows.append((term.group, level, name, none[j], "none", n, note))
            rows.append((term.group, level, name, partial[name], "partial", n, ""))
    return pd.DataFrame(rows, columns=COLUMNS)


def _pick_terms(reterms, group: str | None) -> list[int]:
    """The random-effects terms of ``group`` (several for ``(1 | g) + (0 + x | g)``, lme4's ``||``)."""
    groups = [t.group for t in reterms]
    if group is None:
        if len(set(groups)) > 1:
            raise InferenceError(
                f"the model has several grouping factors ({', '.join(dict.fromkeys(groups))}); "
                "pass group= one of them."
            )
        group = groups[0]
    if group not in groups:
        raise InferenceError(f"group {group!r} is not a grouping factor of the model; use one of {groups}.")
    return [i for i, g in enumerate(groups) if g == group]


def _within_level_fit(design, rows: np.ndarray) -> tuple[np.ndarray, str]:
    """No pooling: least squares of the fixed part on one level's rows, or NaN with the reason."""
    X, y = design.X[rows], design.y[rows]
    p = design.p
    if X.shape[0] < p:
        return np.full(p, np.nan), f"{X.shape[0]} rows for {p} coefficients: too few for a separate fit"
    if np.linalg.matrix_rank(X) < p:
        return np.full(p, np.nan), "columns of the fixed part are collinear within this level"
    return _least_squares(X, y), ""


def _level_coefficients(m, term_indices: list[int], positions: list[dict], level: str) -> dict[str, float]:
    """lme4's ``coef(m)`` for one level: fixed effects plus that level's conditional modes, summed over
    the group's terms."""
    design = m.design
    out = dict(zip(design.fixed_names, m.solution.beta))
    for t, position in zip(term_indices, positions):
        for j, name in enumerate(design.reterms[t].names):
            out[name] = out.get(name, 0.0) + m.solution.b[t][position[level], j]
    return out


def _least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ordinary least squares of ``y`` on the full-rank ``X`` (numpy's SVD solver)."""
    return np.linalg.lstsq(X, y, rcond=None)[0]
