"""Reading and typing an upload off the event loop: the reading in a compute worker (a 50 MB parse never
holds the server's loop or its GIL), the typing in a thread (the frame is already here), the reading reused
when only the column types changed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .. import compute
from ..csv_upload import UploadError
from ..datasets import Dataset
from .column_types import ColumnTypeError
from .prepare import ReadUpload, read_upload, typed_dataset
from .reading import SheetError

READ_BUDGET_SECONDS = 60.0


@dataclass(frozen=True)
class UploadRequest:
    """Everything an upload's dataset is computed from (all validated input values)."""

    filename: str
    path: str
    sheet: str
    missing: tuple[str, ...]
    overrides: str

    @property
    def reading(self) -> tuple:
        return (self.filename, self.path, self.sheet, self.missing)

    def is_read_by(self, cached: tuple[tuple, ReadUpload] | None) -> bool:
        """Whether the session's last reading answers this request's file, sheet and missing values (the
        sheet the reader picked counts as asked for: the select then shows it)."""
        if cached is None:
            return False
        (filename, path, sheet, missing), read = cached
        same_file = (filename, path, missing) == (self.filename, self.path, self.missing)
        return same_file and self.sheet in (sheet, read.table.sheet)


@dataclass(frozen=True)
class ReadFailure:
    """Why a file could not be read, and the workbook's sheets when it has some."""

    message: str
    sheets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """The answer to one :class:`UploadRequest`: a dataset, or a message (with the reading when it
    succeeded, so a bad column type keeps the sheet list and the reading for the next try)."""

    request: UploadRequest
    read: ReadUpload | None = None
    dataset: Dataset | None = None
    error: str | None = None
    sheets: tuple[str, ...] = ()


def read_in_worker(
    filename: str, path: str, sheet: str, missing: tuple[str, ...]
) -> ReadUpload | ReadFailure:
    """Worker side: a file's reading, or the message saying what is wrong with it."""
    try:
        return read_upload(path, filename, sheet, missing)
    except SheetError as err:
        return ReadFailure(str(err), err.sheets)
    except (UploadError, OSError) as err:
        return ReadFailure(str(err))


async def prepare(request: UploadRequest, cached: tuple[tuple, ReadUpload] | None) -> Prepared:
    """The dataset of ``request``; ``cached`` is the session's last reading, reused when it matches."""
    if request.is_read_by(cached):
        read = cached[1]
    else:
        job = compute.submit(read_in_worker, *request.reading, lane="small", budget=READ_BUDGET_SECONDS)
        try:
            read = await job.result()  # a superseded request's cancel stops the worker's reading
        except compute.TaskError as err:
            return Prepared(request, error=str(err))
        if isinstance(read, ReadFailure):
            return Prepared(request, error=read.message, sheets=read.sheets)
    try:
        dataset = await asyncio.to_thread(typed_dataset, read, request.overrides)
    except ColumnTypeError as err:
        return Prepared(request, read, error=str(err), sheets=read.table.sheets)
    return Prepared(request, read, dataset, sheets=read.table.sheets)
