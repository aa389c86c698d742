"""Reading uploads: delimiter/decimal sniffing, encodings, and a message for every unusable file."""

from __future__ import annotations

from pathlib import Path

import pytest
from explorer.csv_upload import (
    UploadError,
    check_size,
    max_upload_bytes,
    read_csv_upload,
)

SLEEPSTUDY = Path(__file__).resolve().parents[2] / "lmmcore" / "datasets" / "data" / "sleepstudy.csv"


def test_bundled_sleepstudy_reads_as_comma_separated():
    parsed = read_csv_upload(SLEEPSTUDY.read_bytes())
    assert parsed.frame.shape == (180, 3)
    assert (parsed.delimiter, parsed.decimal, parsed.encoding) == (",", ".", "UTF-8")
    assert parsed.frame["Reaction"].iloc[0] == pytest.approx(249.56)


def test_semicolon_with_decimal_comma():
    raw = b"y;x;g\n1,5;2,25;a\n2,5;3,75;b\n3,0;1,0;a\n"
    parsed = read_csv_upload(raw)
    assert (parsed.delimiter, parsed.decimal) == (";", ",")
    assert parsed.frame["y"].tolist() == [1.5, 2.5, 3.0]
    assert parsed.frame["x"].tolist() == [2.25, 3.75, 1.0]


def test_tab_separated():
    parsed = read_csv_upload(b"y\tg\n1.0\ta\n2.0\tb\n")
    assert parsed.delimiter == "\t"
    assert list(parsed.frame.columns) == ["y", "g"]


def test_latin1_text_is_decoded():
    raw = "y,site\n1.0,Zürich\n2.0,Genève\n".encode("latin-1")
    parsed = read_csv_upload(raw)
    assert parsed.encoding == "Latin-1"
    assert parsed.frame["site"].tolist() == ["Zürich", "Genève"]


def test_utf8_bom_is_dropped():
    parsed = read_csv_upload("\ufeffy,g\n1,a\n2,b\n".encode())
    assert list(parsed.frame.columns) == ["y", "g"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV"),
        (b"only\n1\n2\n", "one column"),
        (b"y,g\n", "no data rows"),
        (b"name,group\nx,a\ny,b\n", "No numeric column"),
    ],
)
def test_unusable_files_say_what_is_wrong(raw, message):
    with pytest.raises(UploadError, match=message):
        read_csv_upload(raw)


def test_size_cap_is_checked_and_configurable(monkeypatch):
    with pytest.raises(UploadError, match="too big"):
        read_csv_upload(b"y,g\n1,a\n" * 10, max_bytes=20)
    assert max_upload_bytes() == 50 * 1024 * 1024
    monkeypatch.setenv("LMM_MAX_UPLOAD_MB", "0.001")
    assert max_upload_bytes() == 1048
    with pytest.raises(UploadError, match="LMM_MAX_UPLOAD_MB"):
        check_size(2000)


def test_large_file_is_sniffed_on_its_first_lines_and_read_whole():
    rows = "".join(f"{i},{i % 7},g{i % 13}\n" for i in range(20_000))
    parsed = read_csv_upload(("y,x,g\n" + rows).encode())
    assert parsed.frame.shape == (20_000, 3)
    assert parsed.frame["y"].iloc[-1] == 19_999


def test_decimal_commas_after_the_sniffed_lines_still_read_as_numbers():
    rows = "".join(f"{i},5;{i % 7};g\n" for i in range(10_000))
    parsed = read_csv_upload(("y;x;g\n" + rows).encode())
    assert (parsed.delimiter, parsed.decimal) == (";", ",")
    assert parsed.frame["y"].iloc[-1] == 9_999.5


@pytest.mark.parametrize(
    ("raw", "line", "fields", "expected"),
    [
        (b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n", 3, 2, 3),  # pandas cannot read it with ',' (line 4)
        (b"a,b,c\n1,2,3\n4,5,6,7\n", 3, 4, 3),
        (b"a;b;c\n1,5;2;3\n\n4;5\n", 4, 2, 3),  # pandas would pad line 4 with NaN silently
    ],
)
def test_uneven_rows_are_reported_with_the_line(raw, line, fields, expected):
    with pytest.raises(UploadError, match="different numbers of fields") as info:
        read_csv_upload(raw)
    assert f"(line {line} has {fields}, expected {expected})" in str(info.value)


def test_quoted_delimiters_are_not_uneven_rows():
    parsed = read_csv_upload(b'name,y,g\n"Smith, J",1.5,a\n"Doe, A",2.5,b\n')
    assert parsed.frame.shape == (2, 3)


# ----- R's missing-value rules (read.csv: na.strings = "NA", empty cells of numeric columns) -----


def test_a_level_called_none_stays_a_level():
    parsed = read_csv_upload(b"y,Date,g\n1.5,None,a\n2.5,S1,a\n3.5,None,b\n4.0,NaN,b\n")
    assert parsed.frame["Date"].tolist() == ["None", "S1", "None", "NaN"]
    assert parsed.frame["Date"].isna().sum() == 0


def test_only_na_and_empty_numeric_cells_are_missing():
    parsed = read_csv_upload(b"y,x,g\n1.5,,a\nNA,2,\n3.5,4,b\n")
    frame = parsed.frame
    assert frame["y"].isna().tolist() == [False, True, False]
    assert frame["x"].dtype == "float64" and frame["x"].isna().tolist() == [True, False, False]
    assert frame["g"].tolist() == ["a", "", "b"]  # an empty cell of a text column is an empty level, as in R


def test_missing_value_strings_are_configurable():
    raw = b"y,x,g\n1.5,.,a\n-99,2,NULL\n3.5,4,b\n"
    default = read_csv_upload(raw).frame
    assert default["x"].tolist() == [".", "2", "4"]  # R reads this column as text
    chosen = read_csv_upload(raw, missing=("NA", ".", "-99", "NULL")).frame
    assert chosen["x"].isna().tolist() == [True, False, False] and chosen["x"].dtype == "float64"
    assert chosen["y"].isna().tolist() == [False, True, False]
    assert chosen["g"].isna().tolist() == [False, True, False]


def test_empty_cells_with_decimal_commas_and_logicals():
    frame = read_csv_upload(b"y;x;flag\n1,5;;TRUE\n2,5;3,5;\n4,0;1;FALSE\n").frame
    assert frame["x"].isna().tolist() == [True, False, False]
    assert frame["x"].tolist()[1:] == [3.5, 1.0]
    assert frame["flag"].isna().tolist() == [False, True, False]


# ----- issue 9's malformed files: each a message, quickly -----


def test_utf16_says_how_to_save_it():
    with pytest.raises(UploadError, match="UTF-16"):
        read_csv_upload("y,g\n1,a\n2,b\n".encode("utf-16"))


def test_a_line_of_20_mb_is_refused_before_parsing():
    raw = b"y,g\n1," + b"a" * (20 * 2**20) + b"\n2,b\n"
    with pytest.raises(UploadError, match="Line 2 is longer than 4 million characters"):
        read_csv_upload(raw)


def test_a_field_past_the_csv_modules_limit_is_a_message():
    raw = b"y,g\n" + b"1,a\n" * 3 + b'2,"' + b"b" * 200_000 + b'"\n'
    with pytest.raises(UploadError, match="A value is too long to be data"):
        read_csv_upload(raw)


def test_quotes_with_newlines_stay_inside_their_field():
    parsed = read_csv_upload(b'y,g,note\n1,a,"line 1\nline 2"\n2,b,"x"\n3,a,"y"\n')
    assert parsed.frame.shape == (3, 3)
    assert parsed.frame["note"].iloc[0] == "line 1\nline 2"


def test_a_hundred_thousand_levels_read():
    rows = "".join(f"{i % 7},lev{i}\n" for i in range(100_000))
    parsed = read_csv_upload(("y,g\n" + rows).encode())
    assert parsed.frame["g"].nunique() == 100_000
