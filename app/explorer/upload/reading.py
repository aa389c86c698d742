"""One entry point for every uploaded file: CSV/TSV through :mod:`explorer.csv_upload`, Excel workbooks
through pandas' openpyxl reader (one sheet at a time), with the same size cap, missing-value strings and
messages."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import pandas as pd

from ..csv_upload import R_MISSING, UploadError, check_size, r_blanks, read_csv_upload

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
ACCEPTED = (*TEXT_SUFFIXES, *EXCEL_SUFFIXES)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls format
# A workbook is a zip archive: refuse one that would expand past this multiple of the upload cap.
MAX_EXPANSION = 20
MAX_MISSING_STRINGS = 20
MAX_MISSING_LENGTH = 40


class SheetError(UploadError):
    """A sheet that cannot be used; ``sheets`` lets the user pick another."""

    def __init__(self, message: str, sheets: tuple[str, ...]):
        super().__init__(message)
        self.sheets = sheets


@dataclass(frozen=True)
class ReadTable:
    """A table read from an upload: the frame, one line on how it was read, and the workbook's sheets
    (empty for text files) with the one read."""

    frame: pd.DataFrame
    how: str
    sheets: tuple[str, ...] = ()
    sheet: str = ""


def parse_missing(text: str) -> tuple[str, ...]:
    """The missing-value strings of the field (comma-separated, e.g. ``., -99, NULL``); ``NA`` always.

    Raises
    ------
    UploadError
        Too many strings or one too long.
    """
    extra = [part.strip() for part in re.split(r",", text or "") if part.strip()]
    if len(extra) > MAX_MISSING_STRINGS:
        raise UploadError(f"Missing-value strings: give at most {MAX_MISSING_STRINGS}, separated by commas.")
    if any(len(part) > MAX_MISSING_LENGTH for part in extra):
        raise UploadError(f"Missing-value strings: each may have at most {MAX_MISSING_LENGTH} characters.")
    return tuple(dict.fromkeys([*R_MISSING, *extra]))


def read_table(
    raw: bytes,
    filename: str,
    sheet: str = "",
    missing: tuple[str, ...] = R_MISSING,
    max_bytes: int | None = None,
) -> ReadTable:
    """Read an uploaded file by its name and content; raises :class:`UploadError` with what to change."""
    check_size(len(raw), max_bytes)
    name = filename.lower()
    if raw.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise UploadError("This is an old Excel (.xls) workbook: save it as .xlsx or CSV and upload again.")
    if name.endswith(EXCEL_SUFFIXES) or raw.startswith(_ZIP_MAGIC):
        return read_excel(raw, sheet, missing, max_bytes)
    parsed = read_csv_upload(raw, max_bytes, missing)
    return ReadTable(parsed.frame, parsed.how)


def _open_workbook(raw: bytes, max_bytes: int | None) -> pd.ExcelFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as err:
        raise UploadError(
            "This file is not a readable .xlsx workbook: save it again as .xlsx or CSV."
        ) from err
    limit = (max_bytes if max_bytes is not None else len(raw)) * MAX_EXPANSION
    if expanded > max(limit, 50 * 2**20):
        raise UploadError("This workbook expands to too much data: save the sheet you need as CSV.")
    try:
        return pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except Exception as err:  # openpyxl raises many types for a damaged workbook; all mean the same here
        raise UploadError(
            "This file is not a readable .xlsx workbook: save it again as .xlsx or CSV."
        ) from err


def read_excel(raw: bytes, sheet: str, missing: tuple[str, ...], max_bytes: int | None = None) -> ReadTable:
    """One sheet of a workbook: ``sheet``, or the first usable one when ``sheet`` is empty or unknown."""
    book = _open_workbook(raw, max_bytes)
    sheets = tuple(str(s) for s in book.sheet_names)
    if not sheets:
        raise UploadError("The workbook has no sheets.")
    tried = [sheet] if sheet in sheets else list(sheets)
    message = ""
    for chosen in tried:
        try:
            frame = _sheet_frame(book, chosen, missing)
        except UploadError as err:
            message = str(err)
            continue
        how = f"{len(frame)} rows x {frame.shape[1]} columns; sheet '{chosen}' of {len(sheets)}"
        return ReadTable(frame, how, sheets, chosen)
    raise SheetError(message if len(tried) == 1 else f"No sheet holds a usable table ({message})", sheets)


def _sheet_frame(book: pd.ExcelFile, sheet: str, missing: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_excel(book, sheet_name=sheet, keep_default_na=False, na_values=list(missing))
    except Exception as err:  # as above: a damaged sheet
        raise UploadError(f"Sheet '{sheet}' could not be read: save it as CSV and upload again.") from err
    frame = _numeric_missing(r_blanks(frame.dropna(how="all").dropna(axis=1, how="all")), missing)
    frame.columns = [str(c) for c in frame.columns]
    _check_frame(frame, sheet)
    return frame


def _numeric_missing(frame: pd.DataFrame, missing: tuple[str, ...]) -> pd.DataFrame:
    """Missing-value strings that are numbers (``-99``) also mark numeric cells: a workbook stores them
    as numbers, which pandas' ``na_values`` only matches in text."""
    numbers = []
    for text in missing:
        try:
            numbers.append(float(text))
        except ValueError:
            continue
    if numbers:
        for name in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[name].dtype) and not pd.api.types.is_bool_dtype(
                frame[name]
            ):
                frame[name] = frame[name].mask(frame[name].isin(numbers))
    return frame


def _check_frame(frame: pd.DataFrame, sheet: str) -> None:
    if frame.shape[1] < 2:
        raise UploadError(
            f"Sheet '{sheet}' has fewer than two columns: a model needs a response and a grouping column "
            "(pick another sheet)."
        )
    if frame.empty:
        raise UploadError(f"Sheet '{sheet}' has a header but no data rows (pick another sheet).")
    if not any(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns):
        raise UploadError(f"Sheet '{sheet}' has no numeric column: the response must be numeric.")
