"""The CSV downloads as plain functions, against lme4/lmerTest's numbers (reference sleepstudy_slopes)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from explorer.downloads import (
    bootstrap_draws_table,
    csv_text,
    data_as_fitted,
    fixed_effects_table,
    random_effects_table,
    safe_filename,
    variance_components_table,
    variance_parameter_intervals,
)

import lmmcore

# lmmcore's fit agrees with lme4 to its optimizer's tolerance (tests/test_fit_reference.py): fixed effects
# and intervals to 1e-5 relative, variance components and conditional modes to 1e-4, df to 1e-3.
RTOL = 1e-5


@pytest.fixture(scope="module")
def lme4(reference):
    return reference("sleepstudy_slopes")


@pytest.fixture(scope="module")
def fit(lme4):
    return lmmcore.fit(lme4["formula"], lmmcore.datasets.load("sleepstudy"), reml=lme4["REML"])


def _read(frame: pd.DataFrame) -> pd.DataFrame:
    """A download as a user's CSV reader sees it."""
    return pd.read_csv(io.StringIO(csv_text(frame)), keep_default_na=False, na_values=["NA"])


def test_fixed_effects_with_lmertests_columns_and_every_interval(fit, lme4):
    profile = fit.confint("profile")
    table = _read(fixed_effects_table(fit, {"profile": profile})).set_index("term")
    assert list(table.columns) == [
        "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)",
        "profile lower", "profile upper", "Wald lower", "Wald upper",
    ]  # fmt: skip
    np.testing.assert_allclose(table["Estimate"], list(lme4["fixef"].values()), rtol=RTOL)
    np.testing.assert_allclose(table["df"], lme4["satterthwaite"]["df"], rtol=1e-3)
    wald = np.array(lme4["confint_wald"]["values"][-2:], dtype=float)
    np.testing.assert_allclose(table[["Wald lower", "Wald upper"]], wald, rtol=RTOL)
    np.testing.assert_allclose(
        table[["profile lower", "profile upper"]], profile.loc[table.index], rtol=1e-12
    )


def test_variance_parameter_intervals_leave_wald_na_as_lme4(fit):
    table = _read(variance_parameter_intervals(fit, {"wald": fit.confint("wald")})).set_index("parameter")
    assert list(table.index) == [
        "sd_(Intercept)|Subject",
        "cor_Days.(Intercept)|Subject",
        "sd_Days|Subject",
        "sigma",
    ]
    assert table.isna().all().all()


def test_random_effects_with_conditional_sds_as_lme4s_ranef_frame(fit, lme4):
    table = _read(random_effects_table(fit))
    ref = lme4["ranef"][0]
    assert list(table.columns) == ["grpvar", "term", "grp", "condval", "condsd"]
    for k, term in enumerate(ref["terms"]):
        rows = table[table["term"] == term]
        assert [str(g) for g in rows["grp"]] == ref["levels"]
        modes = np.array(ref["modes"])[:, k]
        # 1e-4 of the term's largest mode: lme4's and our theta differ at the optimizer's tolerance.
        np.testing.assert_allclose(rows["condval"], modes, rtol=0, atol=1e-4 * np.abs(modes).max())
        np.testing.assert_allclose(rows["condsd"], np.array(ref["condsd"])[:, k], rtol=1e-4)


def test_variance_components_as_lme4s_varcorr_frame(fit, lme4):
    table = _read(variance_components_table(fit))
    expected = pd.DataFrame(lme4["varcorr"])
    assert list(table.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    np.testing.assert_allclose(table["sdcor"], expected["sdcor"], rtol=1e-4)


def test_data_as_fitted_numbers_the_rows_used_and_gives_fitted_and_residuals(lme4):
    data = lmmcore.datasets.load("sleepstudy").copy()
    data.loc[[0, 5], "Reaction"] = np.nan  # two rows dropped as missing
    m = lmmcore.fit(lme4["formula"], data)
    table = _read(data_as_fitted(m, data))
    assert len(table) == 178
    assert list(table["row"][:5]) == [2, 3, 4, 5, 7]  # R's row numbers of the rows used
    np.testing.assert_allclose(table["fitted"] + table["residual"], table["Reaction"], rtol=1e-12)
    np.testing.assert_allclose(table["fitted"], np.asarray(m.fitted), rtol=1e-15)


def test_bootstrap_draws_one_row_per_refit(fit):
    boot = lmmcore.bootstrap(fit, nsim=12, seed=4)
    table = _read(bootstrap_draws_table(boot))
    assert len(table) == boot.completed == 12
    assert list(table.columns) == ["replicate", *boot.draws.columns]
    np.testing.assert_allclose(table[list(boot.draws.columns)], boot.draws, rtol=1e-15)  # full precision


def test_file_names_are_safe_everywhere():
    assert (
        safe_filename("fixed-effects_Reaction~Days+(Days|Subject)")
        == "fixed-effects_Reaction~Days+(Days_Subject)"
    )
    assert safe_filename('a/b\\c:d*e?f"g<h>i j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_filename("///") == "download"
