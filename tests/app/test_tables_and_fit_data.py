"""Table builders and the fit adapter on real lmmcore fits, compared with lme4's numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explorer import engine
from explorer.fit_data import fit_data
from explorer.tables.inference_tables import quality, summary_inference
from explorer.tables.summary_tables import (
    fixed_effects,
    format_numbers,
    model_info,
    pvalue_cells,
    quality_measures,
    random_effects,
    summary_warnings,
)

from tests.refs import REFERENCE_DIR

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
    # performance's r2_nakagawa and icc (references in tests/reference/quality), 4 significant digits.
    quality = reference("quality/q_sleep_slopes")
    assert float(info["R² marginal"]) == pytest.approx(quality["R2_marginal"], abs=1e-4)
    assert float(info["R² conditional"]) == pytest.approx(quality["R2_conditional"], abs=1e-4)
    assert float(info["ICC adjusted"]) == pytest.approx(quality["ICC_adjusted"], abs=1e-4)
    assert {len(info[k].split(".")[1]) for k in ("logLik", "AIC", "BIC")} == {4}  # one format for four
    # The live fit's R² and ICC come from its worker (summary_inference): the same rows.
    inference = summary_inference(sleep_fit[0])
    measures = quality_measures(inference.r2, inference.icc)
    assert model_info(sleep_fit[0], True, measures).equals(model_info(sleep_fit[0], reml=True))
    ml = engine.fit("Reaction ~ Days + (Days | Subject)", sleep_fit[1], reml=False)
    assert "Deviance" in dict(model_info(ml, reml=False).values.tolist())


def test_singular_fits_are_warned_where_they_belong_and_dropped_rows_once():
    data = engine.load_example("Dyestuff").copy()
    data.loc[[0, 5], "Yield"] = np.nan
    m = engine.fit("Yield ~ 1 + (1 | Batch)", data, reml=True)
    # Rows left out are reported under the fit's status (tables/dropped_rows.py), not again in the summary.
    assert summary_warnings(m)["model"] == []
    # Dyestuff2-like data without between-batch variation: lme4 reports a singular fit.
    rng = np.random.default_rng(5)
    flat = pd.DataFrame({"y": rng.normal(size=30), "g": np.repeat(list("abcdef"), 5)})
    flat["y"] -= flat.groupby("g")["y"].transform("mean")
    singular = engine.fit("y ~ 1 + (1 | g)", flat, reml=True)
    assert bool(singular.singular)
    random = summary_warnings(singular)["random"]
    assert random[0] == "Singular fit. g: the (1 | g) variance is estimated as 0."
    assert random[1].startswith("The data carry no variation for that term: drop it")
    # performance gives no ICC on a singular fit: the summary leaves it out, keeps R² (to 1e-4).
    measures = quality_measures(*quality(singular))
    assert not any(name.startswith("ICC") for name in measures)
    r2 = singular.r2()
    assert measures["R² marginal"] == pytest.approx(r2["marginal"], abs=1e-12) and len(measures) == 1


def test_singular_warning_names_the_term_and_the_perfect_correlation():
    data = pd.read_csv(REFERENCE_DIR / "data" / "singular.csv")
    m = engine.fit("y_cor ~ x + (1 + x | g)", data, reml=True)
    first, advice = summary_warnings(m)["random"]
    covariance = "g: the (1 + x | g) covariance is singular: correlation (Intercept)-x is 1.00"
    assert first == f"Singular fit. {covariance}."
    assert advice.startswith("The data cannot separate these two effects: drop the slope")
    assert summary_warnings(engine.fit("y_cor ~ x + (1 | g)", data, reml=True))["random"] == []


@pytest.mark.parametrize(
    ("values", "digits", "expected"),
    [
        # R: format(c(41.167, 9.96), digits = 4) -> "41.17" " 9.96"; digits = 5 -> "41.167" " 9.960"
        ([41.167, 9.96], 4, ["41.17", "9.96"]),
        ([41.167, 9.96], 5, ["41.167", "9.960"]),
        # lme4's sleepstudy VarCorr: Variance 612.10 / 35.07 / 654.94, Std.Dev. 24.741 / 5.922 / 25.592
        ([612.0896, 35.07166, 654.9414], 4, ["612.09", "35.07", "654.94"]),
        ([24.74043, 5.922108, 25.59182], 4, ["24.740", "5.922", "25.592"]),
        # E notation where it is narrower: format(c(1e-10, 1), digits = 4) -> "1e-10" "1e+00"
        ([1e-10, 1.0], 4, ["1e-10", "1e+00"]),
        ([np.nan, 2.5], 4, ["", "2.5"]),
    ],
)
def test_format_numbers_gives_each_column_one_number_of_decimals_as_rs_format(values, digits, expected):
    shown = format_numbers(pd.DataFrame({"a": values, "b": ["x"] * len(values)}), digits)
    assert shown["a"].tolist() == expected and shown["b"].tolist() == ["x"] * len(values)


@pytest.mark.parametrize(
    ("p", "digits", "expected"),
    [
        # printCoefmat (lmerTest, digits 3): the seed model's Temp beside two p below eps
        ([1.48e-19, 0.0787334, 1.6e-37], 3, ["<2e-16 ***", "0.0787 .", "<2e-16 ***"]),
        # sleepstudy: a small p beside one below eps gets a blank after "<"
        ([1.17e-17, 3.2638e-06], 3, ["< 2e-16 ***", "3.26e-06 ***"]),
        # fixed and E notation formatted as two groups, each with its own decimals
        ([0.1383, 0.0755, 2.41e-12, 3.7e-06], 3, ["0.1383", "0.0755 .", "2.41e-12 ***", "3.70e-06 ***"]),
        ([0.004267, 0.679758, 0.04], 4, ["0.004267 **", "0.679758", "0.040000 *"]),
        ([np.nan, 0.5], 3, ["", "0.5"]),
    ],
)
def test_pvalues_are_rs_format_pval_with_lmertests_codes(p, digits, expected):
    assert pvalue_cells(np.array(p), digits) == expected


def test_fit_data_rows_residuals_and_groups(sleep_fit, reference):
    m, data = sleep_fit
    ref = reference("sleepstudy_slopes")
    d = fit_data(m, data)
    np.testing.assert_allclose(d.pearson * ref["sigma"], ref["resid"], atol=1e-3)
    np.testing.assert_allclose(d.observed, data["Reaction"], rtol=1e-12)
    assert list(d.groups) == ["Subject"] and d.groups["Subject"][0] == "308"
    assert d.ranef["Subject"].shape == (18, 2)
    assert d.point_labels[0] == "row 0 · Subject 308" and d.point_labels[-1] == "row 179 · Subject 372"
