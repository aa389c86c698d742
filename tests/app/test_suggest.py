"""The suggested first model: outcome as response, the unit of repeated measurement as grouping factor,
other predictors fixed, a random intercept; on the bundled data written to CSV and on R's tables in
tests/reference/uploads (written by make_upload_references.R)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from explorer import engine
from explorer.upload.prepare import read_upload, typed_dataset
from explorer.upload.reading import read_table

UPLOADS = Path(__file__).resolve().parents[1] / "reference" / "uploads"


def _suggest_for_csv(tmp_path, name, frame, overrides=None):
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    read = read_upload(str(path), path.name, "", ("NA",))
    return typed_dataset(read, json.dumps(overrides or {}))


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("sleepstudy", "Reaction ~ Days + (1 | Subject)"),
        ("Dyestuff", "Yield ~ 1 + (1 | Batch)"),
        ("Penicillin", "diameter ~ sample + (1 | plate)"),
        ("Pastes", "strength ~ 1 + (1 | batch/cask)"),
        ("biomass", "Biomass ~ Temp + N + (1 | Site)"),
    ],
)
def test_bundled_data_uploaded_as_csv(tmp_path, name, formula):
    data = _suggest_for_csv(tmp_path, name, engine.load_example(name))
    assert data.suggested_formula == formula
    assert data.suggestion_reason.startswith(formula.split(" ~ ")[0])


@pytest.mark.parametrize(
    ("name", "overrides", "formula"),
    [
        ("Oats", {}, "yield ~ Variety + nitro + (1 | Block)"),  # nitro: a design variable, not the outcome
        ("Machines", {}, "score ~ Machine + (1 | Worker)"),  # the treatment is fixed, the worker the unit
        ("ChickWeight", {}, "weight ~ Time + factor(Diet) + (1 | Chick)"),  # a diet code is not a slope
        ("ChickWeight", {"Diet": "factor"}, "weight ~ Time + Diet + (1 | Chick)"),
        ("Orthodont", {}, "distance ~ age + Sex + (1 | Subject)"),
        ("Alfalfa", {}, "Yield ~ Variety + Date + (1 | Block)"),  # Date's level 'None' is a level
    ],
)
def test_r_tables(name, overrides, formula):
    read = read_upload(str(UPLOADS / f"{name}.csv"), f"{name}.csv", "", ("NA",))
    assert typed_dataset(read, json.dumps(overrides)).suggested_formula == formula


def test_a_date_or_a_continuous_covariate_is_never_the_grouping_factor(tmp_path):
    frame = read_table((UPLOADS / "Orthodont.csv").read_bytes(), "o.csv").frame
    frame["visit"] = frame["age"].map({8: "2020-01-01", 10: "2022-01-01", 12: "2024-01-01", 14: "2026-01-01"})
    data = _suggest_for_csv(tmp_path, "dated", frame)
    assert data.suggested_formula.endswith("(1 | Subject)")
    assert "(1 | visit)" not in data.suggested_formula and "(1 | age)" not in data.suggested_formula


def test_no_grouping_column_says_what_to_do(tmp_path):
    import pandas as pd

    data = _suggest_for_csv(
        tmp_path, "flat", pd.DataFrame({"y": [1.0, 2.5, 3.1, 4.2], "x": [1.1, 2.2, 3.3, 4.4]})
    )
    assert data.suggested_formula == ""
    assert "grouping column" in data.suggestion_reason


def test_among_equally_varied_columns_one_named_y_is_the_response(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(4)
    frame = pd.DataFrame(rng.normal(size=(20, 4)).round(3), columns=["a", "y", "b", "c"])
    frame["g"] = np.repeat(list("abcde"), 4)
    assert _suggest_for_csv(tmp_path, "ties", frame).suggested_formula == "y ~ a + b + c + (1 | g)"
