"""Table builders and the fit adapter on real lmmcore fits, compared with lme4's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explorer import engine
from explorer.fit_data import fit_data, group_labels
from explorer.tables.summary_tables import (
    fixed_effects,
    format_numbers,
    model_info,
    random_effects,
    summary_warnings,
)

# lme4 stops its optimizer at a tolerance; 1e-4 relative is far below what the tables show (5 digits).
RTOL = 1e-4


@pytest.fixture(scope="module")
def sleep_fit():
    data = engine.load_example("sleepstudy")
    return engine.fit("Reaction ~ Days + (Days | Subject)", data, reml=True), data


def test_fixed_effects_table_matches_lme4(sleep_fit, reference):
    ref = reference("sleepstudy_slopes")
    table = fixed_effects(sleep_fit[0]).set_index("term")
    for term in ("(Intercept)", "Days"):
        assert table.loc[term, "Estimate"] == pytest.approx(ref["fixef"][term], rel=RTOL)
        assert table.loc[term, "Std. Error"] == pytest.approx(ref["se"][term], rel=RTOL)
        assert table.loc[term, "t value"] == pytest.approx(ref["fixef"][term] / ref["se"][term], rel=RTOL)


def test_random_effects_table_is_lme4s_varcorr_layout(sleep_fit, reference):
    ref = {(r["grp"], r["var1"], r["var2"]): r for r in reference("sleepstudy_slopes")["varcorr"]}
    table = random_effects(sleep_fit[0])
    assert table[["Groups", "Name"]].values.tolist() == [
        ["Subject", "(Intercept)"],
        ["Subject", "Days"],
        ["Residual", ""],
    ]
    assert table["Variance"].iloc[0] == pytest.approx(ref[("Subject", "(Intercept)", None)]["vcov"], rel=1e-3)
    assert table["Std.Dev."].iloc[1] == pytest.approx(ref[("Subject", "Days", None)]["sdcor"], rel=1e-3)
    corr = ref[("Subject", "(Intercept)", "Days")]["sdcor"]
    assert table["Corr"].tolist() == ["", f"{corr:.2f}", ""]
    assert table["Std.Dev."].iloc[2] == pytest.approx(reference("sleepstudy_slopes")["sigma"], rel=RTOL)


def test_model_info_shows_lme4s_criterion_and_information_criteria(sleep_fit, reference):
    ref = reference("sleepstudy_slopes")
    info = dict(model_info(sleep_fit[0], reml=True).values.tolist())
    assert info["Observations"] == "180" and info["Groups: Subject"] == "18"
    assert info["REML criterion at convergence"].startswith("1743.6")
    assert float(info["logLik"]) == pytest.approx(ref["logLik"], abs=1e-3)
    assert float(info["AIC"]) == pytest.approx(ref["AIC"], abs=1e-3)
    assert float(info["BIC"]) == pytest.approx(ref["BIC"], abs=1e-3)
    ml = engine.fit("Reaction ~ Days + (Days | Subject)", sleep_fit[1], reml=False)
    assert "Deviance" in dict(model_info(ml, reml=False).values.tolist())


def test_dropped_rows_and_singular_fits_are_warned_where_they_belong():
    data = engine.load_example("Dyestuff").copy()
    data.loc[[0, 5], "Yield"] = np.nan
    m = engine.fit("Yield ~ 1 + (1 | Batch)", data, reml=True)
    warnings = summary_warnings(m, len(data))
    assert any("2 of 30 rows were dropped" in w for w in warnings["model"])
    # Dyestuff2-like data without between-batch variation: lme4 reports a singular fit.
    rng = np.random.default_rng(5)
    flat = pd.DataFrame({"y": rng.normal(size=30), "g": np.repeat(list("abcdef"), 5)})
    flat["y"] -= flat.groupby("g")["y"].transform("mean")
    singular = engine.fit("y ~ 1 + (1 | g)", flat, reml=True)
    assert bool(singular.singular)
    assert any(
        "Singular fit" in w or "singular" in w.lower() for w in summary_warnings(singular, 30)["random"]
    )


def test_format_numbers_keeps_five_significant_digits():
    shown = format_numbers(pd.DataFrame({"a": [1743.62827, 0.000123456], "b": ["x", "y"]}))
    assert shown["a"].tolist() == ["1743.6", "0.00012346"] and shown["b"].tolist() == ["x", "y"]


def test_fit_data_rows_residuals_and_groups(sleep_fit, reference):
    m, data = sleep_fit
    ref = reference("sleepstudy_slopes")
    d = fit_data(m, data)
    np.testing.assert_allclose(d.pearson * ref["sigma"], ref["resid"], atol=1e-3)
    np.testing.assert_allclose(d.observed, data["Reaction"], rtol=1e-12)
    assert list(d.groups) == ["Subject"] and d.groups["Subject"][0] == "308"
    assert d.ranef["Subject"].shape == (18, 2)
    assert d.point_labels[0] == "row 0 · Subject 308" and d.point_labels[-1] == "row 179 · Subject 372"


def test_group_labels_join_nested_factors_like_lme4():
    data = pd.DataFrame({"cask": ["a", "b"], "batch": ["A", "A"]})
    assert group_labels(data, data.index, "cask:batch").tolist() == ["a:A", "b:A"]
