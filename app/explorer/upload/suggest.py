"""A first model a statistician would write for a table, with one line saying why.

- The response is the outcome measurement: a numeric column that is neither a code, an ID (every value
  distinct whole numbers), nor a design variable with a few set values (``nitro`` 0, 0.2, 0.4, 0.6); among
  those, the one with the most distinct values (ties: a column named y, response or outcome, else the
  later column, where outcomes usually are).
- The grouping factor is the unit of repeated measurement: a factor or code whose levels repeat (at least
  two rows per level on average), never a continuous covariate or a date; the one with the most levels.
  Another factor of at least ``UNIT_LEVELS`` levels is a second unit (crossed, or the grouping nested in
  it); when the grouping is exactly the combination of such a unit and a small factor, the model says so
  with lme4's nesting (``(1 | batch/cask)``).
- Every other usable column is a fixed effect (codes as ``factor(x)``), with a random intercept per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..formula_builder import quote
from .column_types import DATE, FACTOR, NUMERIC, ColumnInfo, name_words

UNIT_LEVELS = 10
MAX_UNITS = 3
MAX_FIXED = 10
DESIGN_VALUES = 20
_OUTCOME_WORDS = frozenset(("y", "response", "outcome"))


@dataclass(frozen=True)
class Suggestion:
    """A formula and the one line of reasoning shown with it."""

    formula: str
    reason: str


def _is_id(info: ColumnInfo, n: int) -> bool:
    return info.distinct >= n - info.missing and info.distinct > 2


def _response(infos: list[ColumnInfo], kinds: dict[str, str], n: int) -> ColumnInfo | None:
    numeric = [i for i in infos if kinds[i.name] == NUMERIC and not i.code_like and i.distinct > 1]
    measured = [i for i in numeric if not (_is_id(i, n) and "id" in name_words(i.name))]
    outcomes = [i for i in measured if i.distinct > max(2, min(DESIGN_VALUES, n / 5))]
    pool = outcomes or measured or numeric
    if not pool:
        return None
    # ties: a column named like an outcome (y, response), else the later column
    return max(reversed(pool), key=lambda i: (i.distinct, bool(name_words(i.name) & _OUTCOME_WORDS)))


def _grouping_candidates(infos: list[ColumnInfo], kinds: dict[str, str], n: int) -> list[ColumnInfo]:
    usable = []
    for info in infos:
        categorical = kinds[info.name] == FACTOR or (kinds[info.name] == NUMERIC and info.code_like)
        if categorical and 2 <= info.distinct <= (n - info.missing) / 2:
            usable.append(info)
    return sorted(usable, key=lambda i: -i.distinct)


def _nesting(frame: pd.DataFrame, group: str, units: list[str], small: list[str]) -> tuple[str, str] | None:
    """(outer, inner) when ``group``'s levels are exactly the combinations of a unit and a small factor
    (Pastes: sample = batch:cask), so ``(1 | outer/inner)`` says the same model more plainly."""
    levels = frame[group].nunique()
    for outer in units:
        for inner in small:
            pairs = len(frame[[outer, inner]].drop_duplicates())
            if pairs == levels and len(frame[[group, outer, inner]].drop_duplicates()) == levels:
                return outer, inner
    return None


def _term(info: ColumnInfo, kinds: dict[str, str]) -> str:
    code = kinds[info.name] == NUMERIC and info.code_like
    return f"factor({quote(info.name)})" if code else quote(info.name)


def _fixed_candidates(infos, kinds, n, used) -> list[ColumnInfo]:
    fixed = []
    for info in infos:
        if info.name in used or info.distinct < 2:
            continue
        kind = kinds[info.name]
        if kind == FACTOR and info.distinct > (n - info.missing) / 2:
            continue  # an ID or free text
        if kind == NUMERIC and _is_id(info, n) and info.code_like:
            continue
        if kind == FACTOR and info.distinct >= UNIT_LEVELS:
            continue  # a unit left over beyond MAX_UNITS: too many levels for a fixed effect
        fixed.append(info)
    return fixed


def suggest_model(frame: pd.DataFrame, infos: tuple[ColumnInfo, ...], kinds: dict[str, str]) -> Suggestion:
    """The suggested first model of ``frame`` (typed as ``kinds``: numeric, factor or date)."""
    n = len(frame)
    columns = list(infos)
    response = _response(columns, kinds, n)
    if response is None:
        return Suggestion("", "No numeric column can be the response: set a column's type to numeric.")
    candidates = [c for c in _grouping_candidates(columns, kinds, n) if c.name != response.name]
    if not candidates:
        return Suggestion(
            "",
            f"{response.name} looks like the outcome, but no factor or code repeats its levels: a mixed "
            "model needs a grouping column (set one's type to factor).",
        )
    group = candidates[0]
    units = [c.name for c in candidates[1:] if c.distinct >= UNIT_LEVELS][: MAX_UNITS - 1]
    small = [c.name for c in candidates[1:] if c.distinct < UNIT_LEVELS]
    nested = _nesting(frame, group.name, units, small)
    if nested:
        random = [f"(1 | {quote(nested[0])}/{quote(nested[1])})"]
        used = {response.name, group.name, *nested}
        units = [u for u in units if u != nested[0]]
    else:
        random, used = [f"(1 | {quote(group.name)})"], {response.name, group.name}
    random += [f"(1 | {quote(u)})" for u in units]
    used |= set(units)
    fixed = _fixed_candidates(columns, kinds, n, used)
    terms = [_term(i, kinds) for i in fixed[:MAX_FIXED]] or ["1"]
    formula = f"{quote(response.name)} ~ {' + '.join(terms + random)}"
    return Suggestion(formula, _reason(response, group, nested, units, fixed, n))


def _reason(response, group, nested, units, fixed, n) -> str:
    per_level = n / group.distinct
    where = f"{nested[0]}/{nested[1]}" if nested else group.name
    text = (
        f"{response.name} is the measured outcome ({response.distinct} distinct values); rows repeat within "
        f"{where} ({group.distinct} levels, about {per_level:.0f} rows each): random intercept"
    )
    if units:
        text += f", also for {', '.join(units)}"
    if fixed:
        shown = ", ".join(i.name for i in fixed[:MAX_FIXED])
        more = f" (first {MAX_FIXED} of {len(fixed)})" if len(fixed) > MAX_FIXED else ""
        text += f"; fixed effects: {shown}{more}"
    return text + "."


__all__ = ["DATE", "Suggestion", "suggest_model"]
