"""Which rows a fit left out and why: per column of the model, how many of the dropped rows miss it (R's
``na.omit`` on the model frame drops a row missing any of them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formula_builder import formula_columns


@dataclass(frozen=True)
class DroppedRows:
    """Rows of the data and rows fitted; for each model column, the dropped rows missing it."""

    rows: int
    fitted: int
    by_column: tuple[tuple[str, int], ...]

    @property
    def dropped(self) -> int:
        return self.rows - self.fitted

    @property
    def message(self) -> str | None:
        """One line for the user, or None when every row was fitted."""
        if self.dropped <= 0:
            return None
        causes = ", ".join(f"{name} in {count}" for name, count in self.by_column)
        plural = "s" if self.dropped > 1 else ""
        return f"{self.dropped} of {self.rows} rows left out of the fit ({causes} row{plural} missing)."


def dropped_rows(frame: pd.DataFrame, formula: str, fitted_rows: np.ndarray) -> DroppedRows:
    """``fitted_rows``: positions of the rows the fit used (``result.design.rows``)."""
    used = formula_columns(formula) or set()
    columns = [str(c) for c in frame.columns if str(c) in used]
    dropped = np.ones(len(frame), dtype=bool)
    dropped[np.asarray(fitted_rows, dtype=np.int64)] = False
    by_column = []
    for name in columns:
        count = int(frame[name].isna().to_numpy()[dropped].sum())
        if count:
            by_column.append((name, count))
    return DroppedRows(len(frame), len(frame) - int(dropped.sum()), tuple(by_column))
