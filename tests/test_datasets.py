"""lmmcore.datasets: bundled data as lme4 saw them, and the biomass simulation's design."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from lmmcore import datasets
from lmmcore.errors import DataError, LmmError

# bundled data set -> the reference fit whose nobs and ngroups it must reproduce
BUNDLED_REFERENCES = {
    "sleepstudy": "sleepstudy_slopes",
    "Dyestuff": "dyestuff",
    "Penicillin": "penicillin_crossed",
    "Pastes": "pastes_nested",
    "InstEval": "insteval_crossed",
    "biomass": "biomass_seed",
}
NUMERIC_COLUMNS = {
    "sleepstudy": {"Reaction", "Days"},
    "Dyestuff": {"Yield"},
    "Penicillin": {"diameter"},
    "Pastes": {"strength"},
    "InstEval": {"y"},
    "biomass": {"Temp", "N", "Biomass"},
}


def _groups(data: pd.DataFrame, expression: str) -> int:
    """Levels of an lme4 grouping expression: a column or an interaction ``a:b``."""
    return len(data[expression.split(":")].drop_duplicates())


def test_names_are_the_six_bundled_sets():
    assert datasets.names() == ["sleepstudy", "Dyestuff", "Penicillin", "Pastes", "InstEval", "biomass"]


@pytest.mark.parametrize("name", list(BUNDLED_REFERENCES))
def test_load_matches_what_lme4_fitted(name, reference):
    ref = reference(BUNDLED_REFERENCES[name])
    data = datasets.load(name)
    assert len(data) == ref["nobs"]
    assert {group: _groups(data, group) for group in ref["ngroups"]} == ref["ngroups"]


@pytest.mark.parametrize("name", list(BUNDLED_REFERENCES))
def test_grouping_columns_are_text_and_measurements_numeric(name):
    data = datasets.load(name)
    numeric = NUMERIC_COLUMNS[name]
    for column in data.columns:
        if column in numeric:
            assert pd.api.types.is_numeric_dtype(data[column]), column
        else:
            assert pd.api.types.is_string_dtype(data[column]), column
            assert all(isinstance(v, str) for v in data[column]), column


def test_numeric_looking_groups_keep_their_text():
    sleep = datasets.load("sleepstudy")
    assert sleep["Subject"].iloc[0] == "308"
    insteval = datasets.load("InstEval")
    assert set(insteval["service"]) == {"0", "1"}
    assert insteval["s"].nunique() == 2972


@pytest.mark.parametrize("name", ["sleepstudy", "Pastes", "biomass"])
def test_numbers_are_parsed_exactly_as_written(name):
    """Every number is the double nearest to its decimal text, as R's reader made it for lme4."""
    path = resources.files("lmmcore.datasets").joinpath("data", f"{name}.csv")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    data = datasets.load(name)
    for column in NUMERIC_COLUMNS[name]:
        assert data[column].tolist() == [float(row[column]) for row in rows], column


def test_loaded_response_is_what_lme4_fitted(reference):
    ref = reference("sleepstudy_slopes")
    sleep = datasets.load("sleepstudy")
    # fitted + resid reproduce y up to R's 15 printed digits
    np.testing.assert_allclose(np.add(ref["fitted"], ref["resid"]), sleep["Reaction"], rtol=1e-12)


@pytest.mark.parametrize("spelling", ["sleepstudy", "SLEEPSTUDY", " SleepStudy "])
def test_load_is_case_insensitive(spelling):
    assert datasets.load(spelling).equals(datasets.load("sleepstudy"))


def test_unknown_name_lists_the_choices():
    with pytest.raises(DataError, match="choose one of: sleepstudy, Dyestuff, Penicillin, Pastes"):
        datasets.load("iris")
    with pytest.raises(LmmError, match="InstEval, biomass"):
        datasets.describe("iris")


def test_describe_gives_the_known_models():
    formulas = {name: datasets.describe(name).formula for name in datasets.names()}
    assert formulas == {
        "sleepstudy": "Reaction ~ Days + (Days | Subject)",
        "Dyestuff": "Yield ~ 1 + (1 | Batch)",
        "Penicillin": "diameter ~ 1 + (1 | plate) + (1 | sample)",
        "Pastes": "strength ~ 1 + (1 | batch/cask)",
        "InstEval": "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
        "biomass": "Biomass ~ Temp + N + (1 + Temp | Site)",
    }
    info = datasets.describe("dyestuff")
    assert info.name == "Dyestuff"
    assert "\n" not in info.description and 20 < len(info.description) < 120


def test_described_formulas_name_existing_columns():
    for name in datasets.names():
        columns = set(datasets.load(name).columns)
        words = set(datasets.describe(name).formula.replace("(", " ").replace(")", " ").split())
        identifiers = {w for part in words for w in part.replace(":", " ").replace("/", " ").split()}
        assert identifiers - {"~", "+", "|", "1"} <= columns, name


# --- simulate_biomass -------------------------------------------------------------------------------


def test_simulation_shape_and_labels():
    data = datasets.simulate_biomass(n_sites=7, n_per_site=3)
    assert list(data.columns) == ["Temp", "N", "Site", "Biomass"]
    assert len(data) == 21
    assert data["Site"].tolist()[:4] == ["Site1", "Site1", "Site1", "Site2"]
    assert data["Site"].iloc[-1] == "Site7"
    assert pd.api.types.is_string_dtype(data["Site"])
    assert data[["Temp", "N"]].abs().max().max() <= 2.0


def test_simulation_is_reproducible_by_seed():
    first = datasets.simulate_biomass(seed=7)
    assert first.equals(datasets.simulate_biomass(seed=7))
    assert not np.allclose(first["Biomass"], datasets.simulate_biomass(seed=8)["Biomass"])
    assert first.equals(datasets.simulate_biomass(**_defaults(), seed=7))


def _defaults() -> dict:
    return dict(intercept=10.0, temp_effect=0.2, n_effect=2.0, sd_intercept=1.2, sd_slope=0.5, sigma=1.0)


def test_without_site_effects_residuals_are_the_noise():
    data = datasets.simulate_biomass(n_sites=50, n_per_site=200, sd_intercept=0, sd_slope=0, sigma=0.5)
    noise = data["Biomass"] - (10.0 + 0.2 * data["Temp"] + 2.0 * data["N"])
    # 10,000 draws: the SD estimate is within 3 % of 0.5 with overwhelming probability (SE 0.7 %)
    assert noise.std() == pytest.approx(0.5, rel=0.03)
    assert noise.groupby(data["Site"]).mean().std() == pytest.approx(0.5 / np.sqrt(200), rel=0.35)


def test_site_effects_have_the_requested_covariance():
    """Per-site intercepts and slopes from noiseless data recover sd_intercept, sd_slope and cor."""
    data = datasets.simulate_biomass(
        n_sites=4000, n_per_site=3, sd_intercept=1.5, sd_slope=0.4, cor=-0.6, sigma=1e-9, seed=1
    )
    offset = data["Biomass"] - 10.0 - 2.0 * data["N"]

    def site_line(rows):
        slope, intercept = np.polyfit(rows["Temp"], offset[rows.index], 1)
        return pd.Series({"b0": intercept, "b1": slope - 0.2})

    effects = data.groupby("Site")[["Temp"]].apply(site_line)
    # 4000 sites: SE of an SD is ~1.1 %, of the correlation ~0.01
    assert effects["b0"].std() == pytest.approx(1.5, rel=0.05)
    assert effects["b1"].std() == pytest.approx(0.4, rel=0.05)
    assert effects["b0"].corr(effects["b1"]) == pytest.approx(-0.6, abs=0.05)
    assert effects.mean().abs().max() < 0.1


@pytest.mark.parametrize("cor", [-1.0, 1.0])
def test_perfect_correlation_is_allowed(cor):
    data = datasets.simulate_biomass(n_sites=3, n_per_site=2, cor=cor)
    assert np.isfinite(data["Biomass"]).all()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_sites": 1}, "n_sites must be a whole number of at least 2"),
        ({"n_sites": 2.5}, "n_sites must be a whole number"),
        ({"n_per_site": 0}, "n_per_site must be a whole number of at least 1"),
        ({"sd_intercept": -0.1}, "sd_intercept must be 0 or more"),
        ({"sd_slope": -1}, "sd_slope must be 0 or more"),
        ({"cor": 1.5}, "cor must be between -1 and 1"),
        ({"sigma": 0}, "sigma must be greater than 0"),
        ({"intercept": float("nan")}, "intercept must be a finite number"),
        ({"temp_effect": "a"}, "temp_effect must be a finite number"),
    ],
)
def test_bad_arguments_say_what_to_change(arguments, message):
    with pytest.raises(DataError, match=message):
        datasets.simulate_biomass(**arguments)
