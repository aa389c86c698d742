"""The summary's inference (``explorer.tables.inference_tables``) against lmerTest and lme4, and its cells
against the way lmerTest prints them (``tests/reference/printed``, made by
``tests/reference/make_printed_references.R``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from explorer import engine
from explorer.tables.inference_tables import (
    ANOVA_COLUMNS,
    FIXED_COLUMNS,
    has_factor_or_interaction,
    summary_inference,
)
from explorer.tables.summary_tables import format_anova, format_fixed

import lmmcore
from tests.refs import REFERENCE_DIR, as_frame, at_reference_theta, at_theta, listify, load_reference

# lmerTest's df and p from its own numerical Hessian: 1e-3 relative (the brief's tolerance). Wald
# intervals are arithmetic on lme4's estimates: 1e-6 relative at lme4's theta.
DF_P_RTOL = 1e-3
WALD_RTOL = 1e-6
ANOVA_CASES = ("AxB", "A_B_AB_x_slopes", "AxBxx", "AxB_missing_cell")


def _ours(name: str):
    return summary_inference(at_reference_theta(name))


@pytest.mark.parametrize("name", ["biomass_seed", "sleepstudy_slopes", "penicillin_crossed"])
def test_fixed_table_has_lmertests_df_and_p_and_lme4s_wald_interval(name):
    ref = load_reference(name)
    result = _ours(name)
    assert result.error is None
    table = result.fixed.set_index("term")
    assert tuple(table.columns) == FIXED_COLUMNS
    terms = listify(ref["satterthwaite"]["terms"])
    np.testing.assert_allclose(table.loc[terms, "df"], listify(ref["satterthwaite"]["df"]), rtol=DF_P_RTOL)
    p = listify(ref["satterthwaite"]["p"])
    np.testing.assert_allclose(table.loc[terms, "Pr(>|t|)"], p, rtol=DF_P_RTOL)
    wald = as_frame(ref["confint_wald"]).loc[terms]
    np.testing.assert_allclose(table.loc[terms, ["2.5 %", "97.5 %"]], wald, rtol=WALD_RTOL)
    np.testing.assert_allclose(table.loc[terms, "Estimate"], [ref["fixef"][t] for t in terms], rtol=1e-6)


def test_default_model_temp_has_df_13_82_and_p_0_0787_on_our_own_fit():
    m = engine.fit(engine.DEFAULT_FORMULA, engine.load_example("biomass"), reml=True)
    table = summary_inference(m).fixed.set_index("term")
    assert table.loc["Temp", "df"] == pytest.approx(13.8225, rel=DF_P_RTOL)
    assert table.loc["Temp", "Pr(>|t|)"] == pytest.approx(0.078725, rel=DF_P_RTOL)
    assert summary_inference(m).anova is None  # numeric main effects only: F = t^2 says nothing new


@pytest.mark.parametrize("case", ANOVA_CASES)
def test_type3_anova_matches_lmertest(case):
    ref = load_reference(f"lme4/anova_type3/{case}")
    data = pd.read_csv(REFERENCE_DIR / "data" / ref["data"])
    m = at_theta(engine.fit(ref["formula"], data, reml=ref["REML"]), ref["theta"])
    anova = summary_inference(m).anova.set_index("term")
    expected = ref["anova_type3"]
    terms = listify(expected["terms"])
    assert tuple(anova.columns) == ANOVA_COLUMNS and list(anova.index) == terms
    np.testing.assert_allclose(anova["F value"], listify(expected["F"]), rtol=DF_P_RTOL)
    np.testing.assert_allclose(anova["DenDF"], listify(expected["DenDF"]), rtol=DF_P_RTOL)
    np.testing.assert_allclose(anova["NumDF"], listify(expected["NumDF"]))
    np.testing.assert_allclose(anova["Pr(>F)"], listify(expected["p"]), rtol=DF_P_RTOL)
    np.testing.assert_allclose(anova["Sum Sq"], listify(expected["SumSq"]), rtol=DF_P_RTOL)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("Biomass ~ Temp + N + (1 | Site)", False),
        ("Biomass ~ Temp * N + (1 | Site)", True),
        ("Biomass ~ factor(Site) + Temp + (1 | Site)", True),
        ("Biomass ~ I(Temp^2) + N + (1 | Site)", False),
    ],
)
def test_anova_is_shown_for_factor_and_interaction_terms_only(formula, expected):
    design = lmmcore.build_design(formula, engine.load_example("biomass"))
    assert has_factor_or_interaction(design) is expected


def test_an_engine_error_is_reported_and_the_estimates_kept(monkeypatch):
    m = engine.fit(engine.DEFAULT_FORMULA, engine.load_example("biomass"), reml=True)

    def refuse(self):
        raise engine.LmmError("Satterthwaite's df need a positive definite Hessian: simplify the model.")

    monkeypatch.setattr(type(m), "satterthwaite", refuse)
    result = summary_inference(m)
    assert result.error.startswith("Satterthwaite's df need")
    table = result.fixed.set_index("term")
    assert table["df"].isna().all() and table["Pr(>|t|)"].isna().all()
    assert table.loc["Temp", "Estimate"] == pytest.approx(0.241207, rel=1e-4)
    assert table.loc["Temp", "2.5 %"] == pytest.approx(-0.007825, rel=1e-3)


# --- cells as lmerTest prints them --------------------------------------------------------------------
def _printed_rows(lines: list[str], header_index: int) -> dict[str, list[str]]:
    """Row name -> cells of a printed R table (significance codes joined to the p-value cell)."""
    rows = {}
    for line in lines[header_index + 1 :]:
        if line.startswith("---"):
            break
        name, *cells = line.replace("< ", "<\0").split()
        cells = [c.replace("\0", " ") for c in cells]
        if cells and re.fullmatch(r"[*.]+", cells[-1]):
            cells = [*cells[:-2], f"{cells[-2]} {cells[-1]}"]
        rows[name] = cells
    return rows


def _same_printed_number(ours: str, theirs: str) -> bool:
    """Same notation, decimals and significance code; values within 2 units of the last printed digit or
    1e-3 relative (our optimizer stops a little away from lme4's, and lmerTest's df come from a
    numerical Hessian, so the last digits may differ; the values are tested above)."""
    if ours.startswith("<") or theirs.startswith("<"):
        return ours == theirs
    ours_value, ours_code = (ours.split(" ") + [""])[:2]
    theirs_value, theirs_code = (theirs.split(" ") + [""])[:2]
    if ours_code != theirs_code or ("e" in ours_value) != ("e" in theirs_value):
        return False
    if "e" in ours_value:
        return ours_value.split("e")[1] == theirs_value.split("e")[1] and _close(
            ours_value.split("e")[0], theirs_value.split("e")[0]
        )
    return _close(ours_value, theirs_value)


def _close(ours: str, theirs: str) -> bool:
    decimals = len(theirs.split(".")[1]) if "." in theirs else 0
    ours_decimals = len(ours.split(".")[1]) if "." in ours else 0
    difference = abs(float(ours) - float(theirs))
    close = difference <= 2 * 10.0**-decimals or difference <= DF_P_RTOL * abs(float(theirs))
    return decimals == ours_decimals and close


@pytest.mark.parametrize("case", ["biomass_seed", "factorial_AxB_x", "sleepstudy_slopes"])
def test_fixed_cells_are_printed_as_lmertest_prints_them(case):
    ref = load_reference(f"printed/{case}")
    m = engine.fit(ref["formula"], pd.read_csv(REFERENCE_DIR.parents[1] / ref["data"]), reml=True)
    shown = format_fixed(summary_inference(m).fixed).set_index("term")
    printed = _printed_rows(ref["fixed"], 0)
    assert list(shown.index) == list(printed)
    for term, cells in printed.items():
        ours = shown.loc[term, ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]].tolist()
        assert all(_same_printed_number(o, t) for o, t in zip(ours, cells)), (term, ours, cells)


@pytest.mark.parametrize("case", ["biomass_seed", "factorial_AxB_x", "sleepstudy_slopes"])
def test_anova_cells_are_printed_as_lmertest_prints_them(case):
    ref = load_reference(f"printed/{case}")
    m = engine.fit(ref["formula"], pd.read_csv(REFERENCE_DIR.parents[1] / ref["data"]), reml=True)
    anova = m.anova().rename(columns={"F": "F value", "p": "Pr(>F)"})
    shown = format_anova(anova.reset_index(names="term")).set_index("term")
    printed = _printed_rows(ref["anova"], 1)
    assert list(shown.index) == list(printed)
    for term, cells in printed.items():
        assert all(_same_printed_number(o, t) for o, t in zip(shown.loc[term].tolist(), cells)), (
            term,
            shown.loc[term].tolist(),
            cells,
        )


def test_wald_interval_columns_share_one_number_of_decimals():
    m = engine.fit(engine.DEFAULT_FORMULA, engine.load_example("biomass"), reml=True)
    shown = format_fixed(summary_inference(m).fixed)
    cells = shown["2.5 %"].tolist() + shown["97.5 %"].tolist()
    assert {len(c.split(".")[1]) for c in cells} == {6}  # -0.007832 needs 6 decimals at 4 digits
    assert shown.loc[1, "Pr(>|t|)"] == "0.0787 ." and shown.loc[1, "df"] == "13.82244"


def test_anova_sums_of_squares_are_zapped_to_digits_minus_log10_of_the_largest_not_its_ceiling():
    # R 4.2.2: zapsmall(c(1814.85, 0.0123), 5) rounds to round(5 - log10(1814.85)) = 2 decimals and
    # print.anova shows "1814.85" and "0.01"; ceiling(log10) would round to 1 decimal: "1814.8", "0.0".
    table = pd.DataFrame(
        {
            "term": ["A", "B"],
            "Sum Sq": [1814.85, 0.0123],
            "Mean Sq": [907.425, 0.0123],
            "NumDF": [2.0, 1.0],
            "DenDF": [10.5, 20.25],
            "F value": [3.5, 0.01],
            "Pr(>F)": [0.04, 0.9],
        }
    )
    shown = format_anova(table).set_index("term")
    assert shown["Sum Sq"].tolist() == ["1814.85", "0.01"]
    assert shown["Mean Sq"].tolist() == ["907.42", "0.01"]
