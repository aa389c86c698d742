"""An upload from bytes on disk to the :class:`~explorer.datasets.Dataset` the model is fitted to, in two
steps that run off the event loop: reading (file, sheet, missing-value strings) and typing (the user's
column types, then the suggested model). A change of types reuses the reading."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..csv_upload import check_size
from ..datasets import Dataset
from .column_types import ColumnInfo, apply_types, describe_columns, effective_kinds, parse_overrides
from .reading import ReadTable, read_table
from .suggest import suggest_model


@dataclass(frozen=True)
class ReadUpload:
    """A read file: its table, its columns as read, and what identifies the reading."""

    table: ReadTable
    columns: tuple[ColumnInfo, ...]
    origin: tuple


def read_upload(path: str, filename: str, sheet: str, missing: tuple[str, ...]) -> ReadUpload:
    """Read and describe an uploaded file (size checked before its bytes are loaded)."""
    file = Path(path)
    check_size(file.stat().st_size)
    raw = file.read_bytes()
    table = read_table(raw, filename, sheet, missing)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    origin = ("upload", filename, digest, table.sheet, missing)
    return ReadUpload(table, describe_columns(table.frame), origin)


def typed_dataset(read: ReadUpload, overrides_text: str) -> Dataset:
    """The data with the user's column types and the model suggested for them; raises
    :class:`~explorer.upload.column_types.ColumnTypeError` for a type the values do not fit."""
    overrides = parse_overrides(overrides_text, read.columns)
    frame = apply_types(read.table.frame, read.columns, overrides)
    suggestion = suggest_model(frame, read.columns, effective_kinds(read.columns, overrides))
    settings = tuple(sorted(overrides.items()))
    filename = read.origin[1]
    return Dataset(
        frame=frame,
        key=(*read.origin, settings),
        label=f"Uploaded {filename}: {read.table.how}",
        suggested_formula=suggestion.formula,
        columns=read.columns,
        overrides=settings,
        suggestion_reason=suggestion.reason,
    )
