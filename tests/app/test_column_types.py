"""Column types: what a column is read as, the code flag, the user's overrides and the frame the model
sees (a factor gets treatment contrasts as R's factor; a date is days since the first)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from explorer.upload.column_types import (
    DATE,
    FACTOR,
    NUMERIC,
    ColumnTypeError,
    apply_types,
    describe_columns,
    parse_overrides,
)

import lmmcore

FRAME = pd.DataFrame(
    {
        "weight": [42.0, 51.0, 59.0, 64.0, 40.0, 49.0, 58.0, 72.0, 43.0, 39.0, 55.0, 61.0],
        "Time": [0, 2, 4, 6] * 3,
        "Diet": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
        "Chick": ["c1"] * 4 + ["c2"] * 4 + ["c3"] * 4,
        "when": ["2024-03-01", "2024-03-03", "2024-03-05", "2024-03-08"] * 3,
    }
)


def _info(infos, name):
    return next(i for i in infos if i.name == name)


def test_read_as_and_code_flags():
    infos = describe_columns(FRAME)
    kinds = {i.name: i.read_as for i in infos}
    assert kinds == {"weight": NUMERIC, "Time": NUMERIC, "Diet": NUMERIC, "Chick": FACTOR, "when": DATE}
    assert _info(infos, "Diet").code_like  # 1..k, repeated
    assert not _info(infos, "Time").code_like  # a time is a covariate
    assert not _info(infos, "weight").code_like


@pytest.mark.parametrize(
    ("name", "values", "flagged"),
    [
        ("Subject", [308, 308, 309, 309, 330, 330], True),  # named like a unit
        ("Days", [0, 1, 0, 1, 0, 1], False),  # named like a time
        ("x", [2, 4, 2, 4, 2, 4], False),  # neither named nor numbered 1..k
        ("Worker", [1.0, 2.0, 1.0, 2.0, 1.5, 2.0], False),  # not whole numbers
        ("code", [1, 2, 3, 4, 5, 6], False),  # no value repeats
    ],
)
def test_code_flag_cases(name, values, flagged):
    frame = pd.DataFrame({name: values, "y": np.arange(6.0)})
    assert _info(describe_columns(frame), name).code_like is flagged


def test_overrides_are_checked_against_the_columns():
    infos = describe_columns(FRAME)
    assert parse_overrides(json.dumps({"Diet": "factor", "gone": "factor"}), infos) == {"Diet": FACTOR}
    assert parse_overrides(json.dumps({"Chick": "factor"}), infos) == {}  # as read: no override
    with pytest.raises(ColumnTypeError, match="Diet"):
        parse_overrides(json.dumps({"Diet": "date"}), infos)
    for forged in ("[1, 2]", "{not json", '"factor"'):
        with pytest.raises(ColumnTypeError, match="Column types"):
            parse_overrides(forged, infos)


def test_a_code_set_to_factor_fits_treatment_contrasts_like_r_factor():
    infos = describe_columns(FRAME)
    typed = apply_types(FRAME, infos, {"Diet": FACTOR})
    assert list(typed["Diet"].cat.categories) == [1, 2, 3]
    as_factor = lmmcore.fit("weight ~ Time + Diet + (1 | Chick)", typed)
    written = lmmcore.fit("weight ~ Time + factor(Diet) + (1 | Chick)", FRAME.assign(when=0.0))
    assert list(as_factor.fixef.index) == ["(Intercept)", "Time", "Diet2", "Diet3"]
    np.testing.assert_allclose(as_factor.fixef.to_numpy(), written.fixef.to_numpy(), rtol=1e-10)
    as_number = lmmcore.fit("weight ~ Time + Diet + (1 | Chick)", FRAME.assign(when=0.0))
    assert list(as_number.fixef.index) == ["(Intercept)", "Time", "Diet"]  # one slope, as read


def test_dates_are_days_since_the_first_or_a_factor():
    infos = describe_columns(FRAME)
    as_days = apply_types(FRAME, infos, {})
    assert as_days["when"].tolist()[:4] == [0.0, 2.0, 4.0, 7.0]
    as_factor = apply_types(FRAME, infos, {"when": FACTOR})
    assert list(as_factor["when"].cat.categories) == ["2024-03-01", "2024-03-03", "2024-03-05", "2024-03-08"]
    assert FRAME["when"].dtype != "float64"  # the read frame is never changed


def test_text_made_numeric_names_a_bad_value():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": ["1", "2.5", "n/a"]})
    infos = describe_columns(frame)
    with pytest.raises(ColumnTypeError, match="'x' has values that are not numbers \\(such as 'n/a'\\)"):
        apply_types(frame, infos, {"x": NUMERIC})
    ok = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": ["1", "2.5", "4"]})
    assert apply_types(ok, describe_columns(ok), {"x": NUMERIC})["x"].tolist() == [1.0, 2.5, 4.0]
