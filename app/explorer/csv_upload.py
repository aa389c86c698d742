"""Reading a user's CSV file: size cap, encoding, delimiter and decimal sniffing, R's missing values, and
messages that say what is wrong.

Missing values follow R's ``read.csv``: only the strings in ``missing`` (``NA`` by default) and empty cells
of numeric or logical columns are missing; a level such as ``None`` or ``NaN`` in a text column stays a
level (pandas' defaults would turn it into a missing value and drop its rows from the fit).

Pure functions of the uploaded bytes, so every failure mode is tested without a browser.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_UPLOAD_ENV = "LMM_MAX_UPLOAD_MB"
R_MISSING = ("NA",)
_LOGICAL = {"TRUE": True, "FALSE": False, "True": True, "False": False, "true": True, "false": False}
DEFAULT_MAX_UPLOAD_MB = 50.0
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class UploadError(ValueError):
    """A file that cannot be used as data; the message says what to change."""


@dataclass(frozen=True)
class ParsedCsv:
    """A successfully read upload and how it was read."""

    frame: pd.DataFrame
    delimiter: str
    decimal: str
    encoding: str

    @property
    def how(self) -> str:
        """One line for the user: what the reader detected."""
        return (
            f"{len(self.frame)} rows x {self.frame.shape[1]} columns; "
            f"{_DELIMITER_NAMES[self.delimiter]}-separated, decimal '{self.decimal}', {self.encoding}"
        )


def max_upload_bytes() -> int:
    """The size cap: ``LMM_MAX_UPLOAD_MB`` megabytes (default 50)."""
    raw = os.environ.get(MAX_UPLOAD_ENV, "")
    try:
        megabytes = float(raw) if raw.strip() else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        megabytes = DEFAULT_MAX_UPLOAD_MB
    return int(megabytes * 1024 * 1024)


def check_size(nbytes: int, max_bytes: int | None = None) -> None:
    """Raise :class:`UploadError` when a file of ``nbytes`` is over the cap (checked before reading it)."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if nbytes > limit:
        raise UploadError(
            f"The file is too big: {nbytes / 2**20:.1f} MB, the limit is {limit / 2**20:.0f} MB "
            f"(set {MAX_UPLOAD_ENV} to raise it)."
        )


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), else Latin-1 (which never fails)."""
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


def _candidate_delimiters(text: str) -> list[str]:
    """The sniffed delimiter first, then the fallbacks ``, ; tab``."""
    sample = text[:20_000]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    return [sniffed] * (sniffed is not None) + [d for d in DELIMITERS if d != sniffed]


def _numeric_count(frame: pd.DataFrame) -> int:
    return sum(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)


SNIFF_CHARS = 64_000


def _read(text: str, delimiter: str, decimal: str, missing: tuple[str, ...]) -> pd.DataFrame | None:
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            decimal=decimal,
            skipinitialspace=True,
            keep_default_na=False,
            na_values=list(missing),
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    return r_blanks(frame, decimal)


def r_blanks(frame: pd.DataFrame, decimal: str = ".") -> pd.DataFrame:
    """R's rule for empty cells: missing in a column whose other values are numbers or logicals (which
    become that type), an empty level in a text column."""
    text = [i for i, dtype in enumerate(frame.dtypes) if not _numeric_or_logical(dtype)]
    if not text or frame.empty:
        return frame
    # blanks of spaces are "" too (skipinitialspace); one vectorised test over all text columns
    with_blanks = frame.iloc[:, text].eq("").any(axis=0).to_numpy()
    for position in np.asarray(text)[with_blanks]:
        column = frame.iloc[:, position]
        converted = _numbers_or_logicals(column.mask(column.eq("").fillna(False)), decimal)
        if converted is not None:
            frame[frame.columns[position]] = converted
    return frame


def _numeric_or_logical(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _numbers_or_logicals(column: pd.Series, decimal: str) -> pd.Series | None:
    present = column.dropna()
    if present.empty:
        return pd.Series(np.nan, index=column.index)  # R: an all-empty column is logical NA
    if present.isin(list(_LOGICAL)).all():
        return column.map(_LOGICAL).astype("boolean")
    text = present.astype(str).str.replace(decimal, ".", regex=False) if decimal != "." else present
    try:
        pd.to_numeric(text)
    except (ValueError, TypeError):
        return None
    values = column.astype("string").str.replace(decimal, ".", regex=False) if decimal != "." else column
    return pd.to_numeric(values).astype("float64")


SNIFF_LINES = 20
MAX_LINE_CHARS = 4_000_000


def _sample(text: str) -> str:
    """The first ``SNIFF_CHARS`` characters, or the header and ``SNIFF_LINES`` rows if that is longer (a
    wide table's header alone can fill the characters), cut at a line end."""
    if len(text) <= SNIFF_CHARS:
        return text
    end = 0
    for line in range(1, SNIFF_LINES + 2):
        start, end = end, text.find("\n", end, end + MAX_LINE_CHARS) + 1
        if end == 0 and len(text) - start > MAX_LINE_CHARS:
            raise UploadError(
                f"Line {line} is longer than {MAX_LINE_CHARS // 10**6} million characters: check the file "
                "is a table with one row per line."
            )
        if end == 0:
            return text
    end = max(end, text.rfind("\n", 0, SNIFF_CHARS) + 1)
    return text if end >= len(text) else text[:end]


def ragged_line(text: str, delimiter: str) -> tuple[int, int, int] | None:
    """The first line whose number of fields differs from the header's: (line, fields, expected), or
    None when every non-blank line has the header's count (quoted delimiters are not counted)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    expected = None
    for row in reader:
        if not row or all(not field.strip() for field in row):
            continue
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            return reader.line_num, len(row), expected
    return None


def _check_rows(text: str, delimiters: list[str]) -> None:
    """Raise :class:`UploadError` for uneven rows under the first delimiter that splits the header."""
    for delimiter in delimiters:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        if len(header) < 2:
            continue
        ragged = ragged_line(text, delimiter)
        if ragged is not None:
            line, fields, expected = ragged
            raise UploadError(
                f"Rows have different numbers of fields (line {line} has {fields}, expected {expected}): "
                f"give every row one value per column ({_DELIMITER_NAMES[delimiter]}-separated)."
            )
        return


def _header_fields(sample: str, delimiter: str) -> int:
    return len(next(csv.reader(io.StringIO(sample), delimiter=delimiter), []))


def _best_reading(text: str, missing: tuple[str, ...]) -> tuple[pd.DataFrame, str, str] | None:
    """Among the delimiters that split the header into most columns, try '.' then ',' as decimal mark on
    the first lines; keep the reading with most numeric columns (a ';' file with decimal commas reads as
    text under '.'); then read the whole text once that way. (Only the widest delimiters are parsed: a
    table of 10,000 columns is costly to build six times.)"""
    sample = _sample(text)
    candidates = _candidate_delimiters(sample)
    fields = {d: _header_fields(sample, d) for d in candidates}
    widest = [d for d in candidates if fields[d] == max(fields.values())]
    best, best_score = None, (0, -1)
    for delimiter in widest + [d for d in candidates if d not in widest]:
        for decimal in (".", ","):
            frame = _read(sample, delimiter, decimal, missing) if decimal != delimiter else None
            if frame is None:
                continue
            score = (frame.shape[1], _numeric_count(frame))
            if score > best_score:
                best, best_score = (frame, delimiter, decimal), score
        if best is not None and delimiter in widest and delimiter == widest[-1]:
            break
    if best is None or sample is text:
        return best
    frame = _read(text, best[1], best[2], missing)
    return None if frame is None else (frame, best[1], best[2])


def read_csv_upload(
    raw: bytes, max_bytes: int | None = None, missing: tuple[str, ...] = R_MISSING
) -> ParsedCsv:
    """Read an uploaded CSV file into a data frame.

    ``missing``: the strings that mean a missing value (R's ``na.strings``); empty cells of numeric and
    logical columns are missing too.

    Raises
    ------
    UploadError
        Too big, empty, binary (not CSV), one column only, no data rows, or no numeric column.
    """
    check_size(len(raw), max_bytes)
    if not raw.strip():
        raise UploadError("The file is empty: upload a CSV file with a header row and data rows.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadError(
            "The file is saved as UTF-16 text: save it as UTF-8 (or Latin-1) CSV and upload again."
        )
    if b"\x00" in raw[:4096]:
        raise UploadError(
            "This is not a CSV file (it looks binary, e.g. an Excel workbook): "
            "save it as CSV and upload again."
        )
    text, encoding = decode(raw)
    try:
        reading = _best_reading(text, missing)
        sample = _sample(text)
        if reading is None or reading[0].shape[1] < 2:
            _check_rows(sample, _candidate_delimiters(sample))
        else:
            _check_rows(sample, [reading[1]])
    except csv.Error as err:  # a field past the csv module's limit (a 20 MB line)
        raise UploadError(
            f"A value is too long to be data ({err}): check the file is a table with one row per line."
        ) from err
    if reading is None:
        raise UploadError("This is not a readable CSV file: use a header row and , ; or tab between values.")
    frame, delimiter, decimal = reading
    if frame.shape[1] < 2:
        raise UploadError(
            "Only one column was found: separate values with a comma, semicolon or tab; a model needs a "
            "response and at least a grouping column."
        )
    if frame.empty:
        raise UploadError("The file has a header but no data rows.")
    if _numeric_count(frame) == 0:
        raise UploadError(
            "No numeric column was found: the response must be numeric (check the decimal mark and that "
            "numbers are not quoted with units)."
        )
    return ParsedCsv(frame, delimiter, decimal, encoding)
