"""The Data tab's column table: each column's type in the model, how it was read, and the code flag."""

from __future__ import annotations

import pandas as pd

from ..upload.column_types import CODE_NOTE, FACTOR, KIND_LABELS, NUMERIC

# Rows of the table (rendered on the event loop: 500 rows took 0.5 s on a loaded machine); the column
# select above it searches all columns.
MAX_ROWS = 200


def column_table(columns, kinds: dict[str, str], max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """One row per column (the first ``max_rows``): name, type used, type read, distinct and missing
    values, a note (a code fitted as a number; a type set by the user), first values."""
    rows = []
    for info in columns[:max_rows]:
        kind = kinds.get(info.name, info.read_as)
        if kind != info.read_as:
            note = f"set to {kind} (read as {info.read_as})"
        elif info.code_like and kind == NUMERIC:
            note = CODE_NOTE
        else:
            note = ""
        rows.append(
            {
                "column": info.name,
                "type": KIND_LABELS[kind],
                "distinct": info.distinct,
                "missing": info.missing,
                "note": note,
                "first values": info.first,
            }
        )
    return pd.DataFrame(rows, columns=["column", "type", "distinct", "missing", "note", "first values"])


def flagged_codes(columns, kinds: dict[str, str]) -> list[str]:
    """Columns flagged as codes that are still fitted as numbers."""
    return [c.name for c in columns if c.code_like and kinds.get(c.name, c.read_as) == NUMERIC]


__all__ = ["FACTOR", "column_table", "flagged_codes"]
