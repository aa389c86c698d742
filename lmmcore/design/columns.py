"""Typing of data columns as R types them: numeric covariates or categorical factors with R's levels.

A :class:`Categorical` is a factor: an integer code per row (``-1`` for a missing value) into a tuple of
level labels.  Level order and labels follow R, because users compare coefficient names such as
``factor(temp)185`` with lme4's digit by digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.design.collation import collation_key
from lmmcore.errors import DataError

BOOL_LEVELS = ("FALSE", "TRUE")


@dataclass(frozen=True)
class Categorical:
    """A factor: ``codes[i]`` indexes ``labels`` (``-1`` marks a missing value).

    ``fixed_levels`` marks R's logicals, which keep both levels FALSE/TRUE in a model matrix even when
    one of them is absent; every other factor drops the levels no used row has (lme4's
    ``drop.unused.levels = TRUE``).
    """

    codes: np.ndarray
    labels: tuple[str, ...]
    fixed_levels: bool = False

    @property
    def nlevels(self) -> int:
        return len(self.labels)

    def take(self, rows: np.ndarray | None) -> Categorical:
        """The factor on a subset of rows (``None``: all rows), unused levels dropped."""
        codes = self.codes if rows is None else self.codes[rows]
        if self.fixed_levels or codes.size == 0:
            return Categorical(codes, self.labels, self.fixed_levels)
        used = np.bincount(codes[codes >= 0], minlength=self.nlevels) > 0
        if used.all():
            return Categorical(codes, self.labels)
        new_index = np.cumsum(used) - 1
        recoded = np.where(codes >= 0, new_index[np.maximum(codes, 0)], -1)
        return Categorical(recoded, tuple(lab for lab, u in zip(self.labels, used) if u))

    def as_factor(self) -> Categorical:
        """R's ``factor(f)``: the same factor, but levels may now be dropped (also for logicals)."""
        return Categorical(self.codes, self.labels)


def r_number_label(value: float) -> str:
    """R's ``as.character`` of a number (15 significant digits, fixed unless scientific is shorter).

    ``185.0 -> "185"``, ``2.5 -> "2.5"``, ``1e5 -> "1e+05"``, ``0.0001 -> "1e-04"``, ``0.001 -> "0.001"``.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    v = float(value)
    if not np.isfinite(v):
        return "NaN" if np.isnan(v) else ("Inf" if v > 0 else "-Inf")
    if v == 0:
        return "0"
    mantissa, exponent = f"{abs(v):.14e}".split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    e = int(exponent)
    nsig = len(digits)
    decimals = max(0, nsig - 1 - e)
    fixed = f"{abs(v):.{decimals}f}"
    sci = digits[0] + ("." + digits[1:] if nsig > 1 else "") + f"e{'-' if e < 0 else '+'}{abs(e):02d}"
    sign = "-" if v < 0 else ""
    return sign + (fixed if len(fixed) <= len(sci) else sci)


def r_label(value: object) -> str:
    """R's label of one factor level: ``TRUE``/``FALSE`` for booleans, R's number format, text as is."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL_LEVELS[int(value)]
    if isinstance(value, (int, float, np.integer, np.floating)):
        return r_number_label(value)
    return str(value)


def is_categorical_dtype(dtype: object) -> bool:
    """True for columns R would treat as factors: text, object, bool and pandas categoricals.

    Dates, times and complex numbers are not factors in R either: they take the numeric path, which
    refuses them with a message (a date as 2-level-per-day factor would silently make a huge X)."""
    if isinstance(dtype, np.dtype):  # the common case, without pandas' slower type checks
        return dtype.kind not in "iufcmM"
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return False
    return not pd.api.types.is_numeric_dtype(dtype)


def describe_kind(series: pd.Series) -> str:
    """A word for a column's type in messages: numeric, text, TRUE/FALSE, categorical, complex numbers."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype):
        return "TRUE/FALSE"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "text"


def numeric_values(series: pd.Series, name: str) -> np.ndarray:
    """The column as float64 (missing values as NaN); text columns raise :class:`DataError`."""
    dtype = series.dtype
    if is_categorical_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        raise DataError(
            f"column '{name}' is {describe_kind(series)}, not numeric; use a numeric column here, "
            f"or factor({name}) to treat it as categorical"
        )
    if (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise DataError(f"column '{name}' holds dates or times; convert it to a number first")
    if isinstance(dtype, np.dtype):  # numpy ints and floats hold no pd.NA: skip pandas' NA scan
        return np.asarray(series.to_numpy(), dtype=np.float64)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def categorical_values(series: pd.Series) -> Categorical:
    """The column as a factor with R's levels.

    pandas categoricals keep their category order; booleans get R's logical levels FALSE, TRUE;
    numbers sort numerically with R's labels (``185``, ``2.5``); text sorts as R sorts it (ICU collation,
    ``control < drug_A < Drug-b < Placebo``).
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy(dtype=np.int64)
        return Categorical(codes, tuple(r_label(c) for c in dtype.categories))
    if pd.api.types.is_bool_dtype(dtype) or _object_booleans(series):
        values = series.astype("boolean").to_numpy(dtype=np.float64, na_value=np.nan)
        codes = np.where(np.isnan(values), -1, values).astype(np.int64)
        return Categorical(codes, BOOL_LEVELS, fixed_levels=True)
    if pd.api.types.is_numeric_dtype(dtype):
        return numbers_as_factor(series.to_numpy())
    values = series.to_numpy(dtype=object, na_value=None)  # faster to factorize than a string Series
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable values (lists, dicts): compare their text
        codes, uniques = pd.factorize(series.map(str, na_action="ignore").to_numpy(dtype=object))
    return _text_levels_sorted(codes.astype(np.int64), [str(u) for u in uniques])


def _text_levels_sorted(codes: np.ndarray, labels: list[str]) -> Categorical:
    """Levels in R's ``sort()`` order of text (ICU collation, see :mod:`lmmcore.design.collation`)."""
    order = sorted(range(len(labels)), key=lambda i: collation_key(labels[i]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    if labels:  # else every value is missing and every code is already -1
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return _unique_labels(codes, [labels[i] for i in order])


def _object_booleans(series: pd.Series) -> bool:
    """An object column of True/False with gaps (how read_csv gives a logical column with NA)."""
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "boolean"


def numbers_as_factor(values: np.ndarray) -> Categorical:
    """R's ``factor()`` of numbers: levels sorted numerically, labelled as R prints them."""
    codes, uniques = pd.factorize(values, sort=True)
    if _whole_numbers(uniques):
        uniques = uniques.astype(np.int64)
    return _unique_labels(codes.astype(np.int64), [r_label(u) for u in uniques])


def _whole_numbers(uniques: np.ndarray) -> bool:
    """Floats that are all whole numbers in R's integer range: labelled as integers (``100000``).

    R reads such a file column as integers; pandas reads it as floats as soon as one value is missing,
    and keeps floats in every subset (``dropna``, new data for predict), so the labels must not depend
    on the missing values.  (A double computed in R would print ``1e+05``.)
    """
    if uniques.dtype.kind != "f" or uniques.size == 0:
        return False
    return bool(np.all(uniques == np.round(uniques)) and np.abs(uniques).max() <= np.iinfo(np.int32).max)


def _unique_labels(codes: np.ndarray, labels: list[str]) -> Categorical:
    # Distinct values can print alike (two floats equal to 15 digits); R then merges them into one level.
    if len(set(labels)) == len(labels):
        return Categorical(codes, tuple(labels))
    merged: dict[str, int] = {}
    target = np.array([merged.setdefault(lab, len(merged)) for lab in labels], dtype=np.int64)
    return Categorical(np.where(codes >= 0, target[np.maximum(codes, 0)], -1), tuple(merged))
