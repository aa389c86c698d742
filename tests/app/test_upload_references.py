"""Uploads fitted as lme4 fits the same file: R's tables written to CSV and fitted by lme4 1.1-31 after
read.csv with the column types a user sets (tests/reference/uploads/make_upload_references.R); here read
by the app's reader, typed by its column types and fitted by lmmcore."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from explorer.upload.prepare import read_upload, typed_dataset

import lmmcore

UPLOADS = Path(__file__).resolve().parents[1] / "reference" / "uploads"
NAMES = sorted(p.stem for p in UPLOADS.glob("*.json"))


@pytest.mark.parametrize("name", NAMES)
def test_upload_fits_as_lme4_on_the_same_file(name):
    ref = json.loads((UPLOADS / f"{name}.json").read_text())
    factors = [ref["factors"]] if isinstance(ref["factors"], str) else ref["factors"]
    read = read_upload(str(UPLOADS / ref["data"]), ref["data"], "", ("NA",))
    data = typed_dataset(read, json.dumps({column: "factor" for column in factors}))
    assert len(data.frame) == ref["nrow"]  # no row lost by the reader ("None" levels, NA rules)
    fit = lmmcore.fit(ref["formula"], data.frame)
    assert fit.nobs == ref["nobs"]
    assert fit.design.response_name == ref["response"]
    assert list(fit.fixef.index) == list(ref["fixef"])
    # lme4 stops at its optimizer's tolerance: 1e-5 relative on the estimates, criterion at or below lme4's
    np.testing.assert_allclose(fit.fixef.to_numpy(), list(ref["fixef"].values()), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(fit.se.to_numpy(), list(ref["se"].values()), rtol=1e-4)
    assert fit.sigma == pytest.approx(ref["sigma"], rel=1e-5)
    assert fit.criterion <= ref["criterion"] + 1e-6
