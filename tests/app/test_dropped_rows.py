"""The report of rows left out of a fit, per model column, against lme4's row count on the same file."""

from __future__ import annotations

import json
from pathlib import Path

from explorer.tables.dropped_rows import dropped_rows
from explorer.upload.prepare import read_upload, typed_dataset

import lmmcore

UPLOADS = Path(__file__).resolve().parents[1] / "reference" / "uploads"


def test_rows_missing_the_response_or_a_predictor_are_counted_per_column():
    # make_upload_references.R blanked distance in rows 3, 17, 40 and Sex in rows 17, 60 (1-based)
    ref = json.loads((UPLOADS / "Orthodont_na.json").read_text())
    read = read_upload(str(UPLOADS / "Orthodont_na.csv"), "Orthodont_na.csv", "", ("NA",))
    data = typed_dataset(read, "")
    fit = lmmcore.fit(ref["formula"], data.frame)
    report = dropped_rows(data.frame, ref["formula"], fit.design.rows)
    assert (report.rows, report.fitted) == (108, ref["nobs"])
    assert report.by_column == (("distance", 3), ("Sex", 2))
    assert report.message == "4 of 108 rows left out of the fit (distance in 3, Sex in 2 rows missing)."


def test_columns_outside_the_model_do_not_count():
    read = read_upload(str(UPLOADS / "Orthodont_na.csv"), "Orthodont_na.csv", "", ("NA",))
    data = typed_dataset(read, "")
    formula = "age ~ 1 + (1 | Subject)"  # distance and Sex are not in this model
    fit = lmmcore.fit(formula, data.frame)
    report = dropped_rows(data.frame, formula, fit.design.rows)
    assert report.dropped == 0 and report.message is None
