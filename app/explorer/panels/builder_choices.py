"""What each builder control may offer for a data set: only columns that fit the role.

- response: numeric columns;
- fixed effects: every column but the response;
- grouping factor and nested inner factor: factors or integer codes whose levels repeat (at least two rows
  per level on average), never a continuous covariate, a date, or the response;
- slopes: numeric covariates (not codes) and dates (days since the first), never the response or the
  slot's grouping factor.

Only the first ``MAX_BUILDER_COLUMNS`` columns are offered (a table of 10,000 columns would build 10,000
options per control on the event loop); the others are used by typing the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..upload.column_types import DATE, FACTOR, NUMERIC, ColumnInfo, describe_columns

MAX_BUILDER_COLUMNS = 500
MAX_GROUP_LEVELS = 100_000


@dataclass(frozen=True)
class Choices:
    """The columns each builder control may offer, and how many columns the data have."""

    responses: list[str]
    columns: list[str]
    groups: list[str]
    covariates: list[str]
    total: int = 0

    def predictors(self, response: str) -> list[str]:
        """Columns a fixed effect may use: all offered but the response."""
        return [c for c in self.columns if c != response]

    def grouping(self, response: str) -> list[str]:
        return [g for g in self.groups if g != response]

    def slopes(self, response: str, group: str) -> list[str]:
        return [c for c in self.covariates if c not in (response, group)]

    def inner(self, response: str, group: str) -> list[str]:
        return [g for g in self.groups if g not in (response, group)]

    @property
    def capped(self) -> bool:
        return self.total > len(self.columns)

    @staticmethod
    def from_columns(columns: tuple[ColumnInfo, ...], kinds: dict[str, str], nrows: int) -> Choices:
        offered = columns[:MAX_BUILDER_COLUMNS]
        numeric = [c.name for c in offered if kinds.get(c.name, c.read_as) == NUMERIC]
        covariates = [c.name for c in offered if _is_covariate(c, kinds.get(c.name, c.read_as))]
        groups = [c.name for c in offered if _groups_rows(c, kinds.get(c.name, c.read_as), nrows)]
        return Choices(numeric, [c.name for c in offered], groups, covariates, len(columns))

    @staticmethod
    def of(frame: pd.DataFrame) -> Choices:
        """Choices for a frame as read (no column types set)."""
        columns = describe_columns(frame)
        return Choices.from_columns(columns, {c.name: c.read_as for c in columns}, len(frame))

    @staticmethod
    def of_data(data) -> Choices:
        """Choices for a :class:`~explorer.datasets.Dataset` with its column types."""
        if not data.columns:
            return Choices.of(data.frame)
        return Choices.from_columns(data.columns, data.kinds, len(data.frame))


def _is_covariate(info: ColumnInfo, kind: str) -> bool:
    """A number that varies continuously: a numeric column that is no code, or a date (days since the
    first)."""
    return kind == DATE or (kind == NUMERIC and not info.code_like)


def _groups_rows(info: ColumnInfo, kind: str, nrows: int) -> bool:
    """A factor or code whose levels repeat: the unit of repeated measurements it may group."""
    categorical = kind == FACTOR or (kind == NUMERIC and info.code_like)
    observed = nrows - info.missing
    return categorical and 2 <= info.distinct <= min(observed / 2, MAX_GROUP_LEVELS)
