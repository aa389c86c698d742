"""Every uploaded file type through one reader: Excel workbooks with a sheet picker, TSV, the
missing-value field, and the messages of unusable workbooks."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from explorer.csv_upload import UploadError
from explorer.upload.reading import SheetError, parse_missing, read_table


def _workbook(**sheets: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


DATA = pd.DataFrame(
    {
        "y": [1.5, 2.5, None, 3.0],
        "g": ["a", "None", "b", "a"],
        "when": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-01"]),
    }
)
WORKBOOK = _workbook(About=pd.DataFrame({"note": ["read me"]}), Data=DATA)


def test_two_sheets_the_first_usable_one_is_read_and_both_are_offered():
    table = read_table(WORKBOOK, "trial.xlsx")
    assert table.sheets == ("About", "Data") and table.sheet == "Data"
    assert table.frame.shape == (4, 3)
    assert table.frame["g"].tolist() == ["a", "None", "b", "a"]  # "None" stays a level in Excel files too
    assert table.frame["y"].isna().tolist() == [False, False, True, False]
    assert pd.api.types.is_datetime64_any_dtype(table.frame["when"])


def test_a_chosen_sheet_that_is_not_a_table_says_so_and_lists_the_sheets():
    with pytest.raises(SheetError, match="fewer than two columns") as info:
        read_table(WORKBOOK, "trial.xlsx", sheet="About")
    assert info.value.sheets == ("About", "Data")


def test_excel_missing_value_strings():
    book = _workbook(S=pd.DataFrame({"y": [1.0, -99, 3.0], "g": ["a", "b", "."]}))
    table = read_table(book, "t.xlsx", missing=parse_missing("-99, ."))
    assert table.frame["y"].isna().tolist() == [False, True, False]
    assert table.frame["g"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xls", "old Excel"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "not a readable .xlsx"),
        (b"y,g\n1,a\n", "data.xlsx", "not a readable .xlsx"),
    ],
)
def test_unusable_workbooks(raw, name, message):
    with pytest.raises(UploadError, match=message):
        read_table(raw, name)


def test_size_cap_applies_to_workbooks():
    with pytest.raises(UploadError, match="too big"):
        read_table(WORKBOOK, "trial.xlsx", max_bytes=100)


def test_tsv_and_csv_go_through_the_csv_reader():
    table = read_table(b"y\tg\n1.5\tNone\n2.5\ta\n", "data.tsv")
    assert table.frame["g"].tolist() == ["None", "a"] and table.sheets == ()


def test_missing_value_field():
    assert parse_missing("") == ("NA",)
    assert parse_missing(" ., -99 ,NULL,NA") == ("NA", ".", "-99", "NULL")
    with pytest.raises(UploadError, match="at most 20"):
        parse_missing(",".join(str(i) for i in range(30)))
