"""Column types of a data set: what each column was read as, the user's overrides, and the frame the model
sees.

A column is ``numeric`` (a covariate), ``factor`` (categories; treatment contrasts as R's ``factor``) or
``date`` (days since the first date, a numeric time). Integer columns whose few values repeat, such as a
diet code 1-4 or a subject number, are flagged: fitted as numbers they give one linear slope, which is
rarely what a code means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

NUMERIC, FACTOR, DATE = "numeric", "factor", "date"
KINDS = (NUMERIC, FACTOR, DATE)
KIND_LABELS = {NUMERIC: "numeric", FACTOR: "factor", DATE: "date (days since the first)"}
CODE_NOTE = "looks like a code: treat as factor?"
# Name words of units and codes, and of times (a time is a covariate even when it is a whole number).
_CODE_TEXT = """id subject subj chick worker block plot batch herd rat animal patient site school class group
grp diet treatment trt cage litter tree person participant unit cluster family pair plate rep replicate
machine operator field farm item centre center hospital clinic variety cask mother sire dam pen tank"""
_TIME_TEXT = "time day days week weeks month months year years age hour hours dose minute"
_CODE_WORDS = frozenset(_CODE_TEXT.split())
_TIME_WORDS = frozenset(_TIME_TEXT.split())
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\Z")
MAX_OVERRIDES_TEXT = 200_000
DATE_SAMPLE = 200


class ColumnTypeError(ValueError):
    """A column type that cannot be applied; the message names the column and what to change."""


@dataclass(frozen=True)
class ColumnInfo:
    """What the reader found in one column."""

    name: str
    read_as: str
    distinct: int
    missing: int
    code_like: bool
    first: str

    @property
    def allowed(self) -> tuple[str, ...]:
        """The types this column may be given."""
        if self.read_as == DATE:
            return (DATE, FACTOR)
        if self.read_as == NUMERIC:
            return (NUMERIC, FACTOR)
        return (FACTOR, NUMERIC, DATE)


def name_words(name: str) -> set[str]:
    """Lower-case words of a column name (``ChickID`` -> chick, id; ``plot_no`` -> plot, no)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return {w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w}


@dataclass(frozen=True)
class _Counts:
    """Per-column summaries of a numeric column: distinct and missing values, range, whole numbers."""

    distinct: int
    missing: int
    low: float
    high: float
    whole: bool


def _numeric_counts(block: np.ndarray) -> list[_Counts]:
    """Summaries of the columns of a float block at once (a sort per column, vectorised across columns:
    a table of 10,000 columns is not 10,000 pandas calls)."""
    rows = block.shape[0]
    nan = np.isnan(block)
    missing = nan.sum(axis=0)
    ordered = np.sort(block, axis=0)  # NaN sort last
    present = ~np.isnan(ordered)
    changes = (np.diff(ordered, axis=0) != 0) & present[1:]
    distinct = present[0].astype(np.int64) + changes.sum(axis=0) if rows else np.zeros(block.shape[1], int)
    with np.errstate(invalid="ignore"):
        whole = np.all((block == np.round(block)) | nan, axis=0)
    last = np.maximum(rows - 1 - missing, 0)
    high = ordered[last, np.arange(block.shape[1])] if rows else np.full(block.shape[1], np.nan)
    low = ordered[0] if rows else high
    return [
        _Counts(int(d), int(m), float(lo), float(hi), bool(w))
        for d, m, lo, hi, w in zip(distinct, missing, low, high, whole, strict=True)
    ]


def looks_like_code(name: str, counts: _Counts, rows: int) -> bool:
    """An integer column whose few values repeat and that reads as a code: named like a unit or a code
    (``Subject``, ``Diet``), or numbered 1..k. A time (``Days``, ``age``) is never a code."""
    if not counts.whole or not 2 <= counts.distinct <= (rows - counts.missing) / 2:
        return False
    words = name_words(name)
    if words & _TIME_WORDS:
        return False
    return bool(words & _CODE_WORDS) or (counts.low == 1 and counts.high == counts.distinct)


def _looks_like_dates(column: pd.Series) -> bool:
    sample = column.dropna().head(DATE_SAMPLE).astype(str)
    return bool(len(sample)) and bool(sample.str.match(_ISO_DATE).all())


def parse_dates(column: pd.Series, name: str) -> pd.Series:
    """A text column of ISO dates (``2024-03-01``, optionally with a time) as datetimes."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column
    try:
        return pd.to_datetime(column, format="ISO8601")
    except (ValueError, TypeError) as err:
        raise ColumnTypeError(
            f"Column '{name}' does not hold dates written as 2024-03-01: keep it a factor or fix the values."
        ) from err


def _read_as(column: pd.Series) -> str:
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return DATE
    return DATE if _looks_like_dates(column) else FACTOR


def _first_values(values) -> str:
    shown = [v for v in values if not pd.isna(v)][:3]
    return ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in shown)


def _is_number_column(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


# Numeric columns are summarised in blocks of about this many cells (bounded memory, few pandas calls).
BLOCK_CELLS = 4_000_000


def describe_columns(frame: pd.DataFrame) -> tuple[ColumnInfo, ...]:
    """One :class:`ColumnInfo` per column (a pass over the data: run it off the event loop). Numeric
    columns are summarised in blocks; only text, logical and date columns are looked at one by one."""
    rows = len(frame)
    numeric = [i for i, dtype in enumerate(frame.dtypes) if _is_number_column(dtype)]
    counts: dict[int, _Counts] = {}
    width = max(1, BLOCK_CELLS // max(rows, 1))
    for start in range(0, len(numeric), width):
        chunk = numeric[start : start + width]
        block = frame.iloc[:, chunk].to_numpy(dtype=np.float64, na_value=np.nan)
        counts.update(zip(chunk, _numeric_counts(block), strict=True))
    head = frame.head(5).to_numpy(dtype=object)
    infos = []
    for i, name in enumerate(map(str, frame.columns)):
        first = _first_values(head[:, i])
        if i in counts:
            c = counts[i]
            code = looks_like_code(name, c, rows)
            infos.append(ColumnInfo(name, NUMERIC, c.distinct, c.missing, code, first))
            continue
        column = frame.iloc[:, i]
        distinct, missing = int(column.nunique()), int(column.isna().sum())
        infos.append(ColumnInfo(name, _read_as(column), distinct, missing, False, first))
    return tuple(infos)


def parse_overrides(text: str, infos: tuple[ColumnInfo, ...]) -> dict[str, str]:
    """The overrides field (JSON ``{"Diet": "factor"}``) checked against the columns; names the data lack
    are ignored (a field restored for another file), anything else malformed raises
    :class:`ColumnTypeError`."""
    if not text or not text.strip():
        return {}
    if len(text) > MAX_OVERRIDES_TEXT:
        raise ColumnTypeError(
            "Column types: too many settings; reset them and set only the columns you need."
        )
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ColumnTypeError("Column types: the settings are not readable; reset them.") from err
    if not isinstance(raw, dict):
        raise ColumnTypeError("Column types: the settings are not readable; reset them.")
    known = {info.name: info for info in infos}
    overrides = {}
    for name, kind in raw.items():
        if name not in known:
            continue
        if kind not in known[name].allowed:
            raise ColumnTypeError(
                f"Column '{name}' cannot be {kind!s:.20}: choose one of {', '.join(known[name].allowed)}."
            )
        if kind != known[name].read_as:
            overrides[name] = kind
    return overrides


def effective_kinds(infos: tuple[ColumnInfo, ...], overrides: Mapping[str, str]) -> dict[str, str]:
    """The type each column has in the model."""
    return {info.name: overrides.get(info.name, info.read_as) for info in infos}


def _as_factor(column: pd.Series, read_as: str, name: str) -> pd.Series:
    if read_as == DATE:
        dates = parse_dates(column, name)
        timed = bool((dates.dropna().dt.normalize() != dates.dropna()).any())
        labels = dates.dt.strftime("%Y-%m-%d %H:%M:%S" if timed else "%Y-%m-%d")
        return pd.Series(
            pd.Categorical(labels, categories=sorted(labels.dropna().unique())), index=column.index
        )
    if read_as == NUMERIC:
        return pd.Series(pd.Categorical(column), index=column.index)  # levels sorted numerically, as R
    return column


def _as_numeric(column: pd.Series, name: str) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna()
    if bad.any():
        example = str(column[bad].iloc[0])[:30]
        raise ColumnTypeError(
            f"Column '{name}' has values that are not numbers (such as '{example}'): keep it a factor, or "
            "give that value as a missing-value string."
        )
    return numbers.astype("float64")


def days_since_first(dates: pd.Series) -> pd.Series:
    """Numeric time of dates: days (with fractions for times) since the earliest date."""
    return (dates - dates.min()) / pd.Timedelta(days=1)


def apply_types(
    frame: pd.DataFrame, infos: tuple[ColumnInfo, ...], overrides: Mapping[str, str]
) -> pd.DataFrame:
    """The frame the model is fitted to: factors as categoricals (R's levels), dates as days since the
    first, text made numeric where asked; raises :class:`ColumnTypeError` for a type the values do not fit."""
    changes = {}
    for info in infos:
        kind = overrides.get(info.name, info.read_as)
        column = frame[info.name]
        if kind == FACTOR and info.read_as != FACTOR:
            changes[info.name] = _as_factor(column, info.read_as, info.name)
        elif kind == NUMERIC and info.read_as == FACTOR:
            changes[info.name] = _as_numeric(column, info.name)
        elif kind == DATE:
            changes[info.name] = days_since_first(parse_dates(column, info.name))
    if not changes:
        return frame
    typed = frame.copy(deep=False)
    for name, column in changes.items():
        typed[name] = column
    return typed
