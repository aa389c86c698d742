"""Predictions panel builders and the band job as plain functions, on every kind of model the app fits."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from explorer import inference_jobs as jobs
from explorer import prediction_grid as pg
from explorer.figures.fast_figure import validated
from explorer.figures.predictions import PredictionPlot, predictions_figure
from explorer.inference_settings import MAX_SEED, band_settings, simulation_settings
from explorer.inputs import InputError

import lmmcore
from tests.refs import fitted, load_reference

NSIM, SEED = 60, 11


def _biomass_with_blocks() -> pd.DataFrame:
    data = lmmcore.datasets.load("biomass").copy()
    number = data["Site"].str.removeprefix("Site").astype(int)
    data["Block"] = number % 3  # integers, used as factor(Block)
    data["Zone"] = np.where(number <= 10, "north", "south")  # text: a factor by itself
    return data


MODELS = {
    "default": ("biomass", "Biomass ~ Temp + N + (1 + Temp | Site)"),
    "sleepstudy": ("sleepstudy", "Reaction ~ Days + (Days | Subject)"),
    "penicillin": ("Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
    "pastes": ("Pastes", "strength ~ 1 + (1 | batch/cask)"),
    "factor_interaction": ("blocks", "Biomass ~ Temp * factor(Block) + N + (1 | Site)"),
    "text_factor_interaction": ("blocks", "Biomass ~ Temp * Zone + (1 + Temp | Site)"),
    "log_response": ("sleepstudy", "log(Reaction) ~ Days + (1 | Subject)"),
    "group_in_fixed_part": ("blocks", "Biomass ~ Temp * factor(Site) + (1 | Site)"),
}


def _data(name: str) -> pd.DataFrame:
    return _biomass_with_blocks() if name == "blocks" else lmmcore.datasets.load(name)


@pytest.fixture(scope="module", params=list(MODELS))
def case(request):
    data_name, formula = MODELS[request.param]
    data = _data(data_name)
    m = lmmcore.fit(formula, data)
    used = data.loc[m.row_index]
    return request.param, m, used, pg.model_predictors(m.design.formula, used)


def _first_x(info: pg.ModelPredictors) -> str | None:
    numeric = [p.name for p in info.predictors if p.numeric]
    return numeric[0] if numeric else (info.names[0] if info.names else None)


def test_every_model_gets_a_band_equal_to_predict_band(case):
    name, m, used, info = case
    x = _first_x(info)
    group = info.groups[0]
    p = pg.plan(info, used, m.design.y, x, pg.default_levels(info, x) if x else (), group)
    outcome = jobs.band_job(m, p.grid, p.group_grid, NSIM, SEED)
    assert outcome.note is None
    expected = m.predict_band(p.grid, nsim=NSIM, seed=SEED)
    pd.testing.assert_frame_equal(outcome.band, expected)
    np.testing.assert_array_equal(outcome.group_curves["fit"], m.predict(p.group_grid, re=True).to_numpy())
    figure = predictions_figure(_plot(p, outcome, info, group))
    validated(figure)  # every property valid (the builder skips plotly.py's validation for speed)
    conditional = next(t for t in figure.data if str(t.name).endswith("(conditional)"))
    drawn = np.asarray(conditional.y, dtype=float)
    assert np.isnan(drawn).sum() == outcome.group_curves[group].nunique() - 1  # a gap between groups
    np.testing.assert_array_equal(np.sort(drawn[~np.isnan(drawn)]), np.sort(outcome.group_curves["fit"]))
    fits = [t for t in figure.data if t.name not in ("data",) and not str(t.name).endswith("(conditional)")]
    fits = [t for t in fits if not str(t.name).endswith((": upper", ": lower"))]
    assert len(fits) == len(p.curve_labels)
    for curve, trace in enumerate(fits):
        rows = expected[expected["curve"] == curve]
        np.testing.assert_array_equal(trace.y, rows["fit"].to_numpy())
        if trace.error_y.array is not None:  # a dot with whiskers: the band's ends
            np.testing.assert_allclose(trace.y + trace.error_y.array, rows["upper"], rtol=1e-12)
            np.testing.assert_allclose(trace.y - trace.error_y.arrayminus, rows["lower"], rtol=1e-12)


def _plot(p: pg.PredictionPlan, outcome: jobs.BandOutcome, info, group) -> PredictionPlot:
    return PredictionPlot(
        band=outcome.band,
        x=p.x,
        response=info.response,
        curve_labels=p.curve_labels,
        levels=p.levels,
        points=p.points,
        group_curves=outcome.group_curves,
        group=group,
    )


def test_band_lines_are_the_bands_columns():
    m = fitted("biomass_seed")
    used = lmmcore.datasets.load("biomass").loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    p = pg.plan(info, used, m.design.y, "Temp", (), None)
    outcome = jobs.band_job(m, p.grid, None, NSIM, SEED)
    figure = predictions_figure(_plot(p, outcome, info, None))
    named = {t.name: t for t in figure.data}
    np.testing.assert_array_equal(named["population: upper"].y, outcome.band["upper"])
    np.testing.assert_array_equal(named["population: lower"].y, outcome.band["lower"])
    np.testing.assert_array_equal(named["population"].y, outcome.band["fit"])
    np.testing.assert_array_equal(named["population"].x, p.grid["Temp"])
    assert named["population: lower"].fill == "tonexty"
    np.testing.assert_array_equal(named["data"].y, m.design.y)
    # N is held at its mean over the used rows
    assert (p.grid["N"] == used["N"].mean()).all()


def test_population_curve_is_lme4s_prediction():
    """``predict(m, newdata, re.form = NA)`` of lme4 on the reference's grid: the fit column of the band
    (lme4's fixed effects agree with ours to ~1e-6 relative)."""
    reference = load_reference("biomass_seed")
    m = fitted("biomass_seed")
    newdata = pd.DataFrame(reference["predict_newdata"])
    outcome = jobs.band_job(m, newdata, None, NSIM, SEED)
    np.testing.assert_allclose(outcome.band["fit"], reference["predict_population"], rtol=1e-5)
    assert (outcome.band["lower"] < outcome.band["fit"]).all() and (
        outcome.band["fit"] < outcome.band["upper"]
    ).all()


def test_predictors_of_each_model():
    expected = {
        "default": (("Temp", True), ("N", True)),
        "sleepstudy": (("Days", True),),
        "penicillin": (),
        "pastes": (),
        "factor_interaction": (("Temp", True), ("Block", False), ("N", True)),
        "text_factor_interaction": (("Temp", True), ("Zone", False)),
        "log_response": (("Days", True),),
        "group_in_fixed_part": (("Temp", True), ("Site", False)),
    }
    for name, (data_name, formula) in MODELS.items():
        data = _data(data_name)
        m = lmmcore.fit(formula, data)
        info = pg.model_predictors(m.design.formula, data.loc[m.row_index])
        assert tuple((p.name, p.numeric) for p in info.predictors) == expected[name], name
        if name == "log_response":
            assert info.response == "log(Reaction)"


def test_interaction_draws_one_curve_per_level_of_the_other_factor():
    data = _biomass_with_blocks()
    m = lmmcore.fit(MODELS["factor_interaction"][1], data)
    used = data.loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    assert info.partners("Temp") == ("Block",)
    p = pg.plan(info, used, m.design.y, "Temp", pg.default_levels(info, "Temp"), None)
    assert p.curve_labels == ("Block = 0", "Block = 1", "Block = 2")
    assert sorted(p.grid["Block"].unique()) == [0, 1, 2]  # data values: factor(Block) sees the integers
    outcome = jobs.band_job(m, p.grid, None, NSIM, SEED)
    slopes = [
        np.polyfit(rows["Temp"], rows["fit"], 1)[0] for _, rows in outcome.band.groupby("curve", sort=True)
    ]
    fixef = m.fixef
    np.testing.assert_allclose(
        slopes,
        [
            fixef["Temp"],
            fixef["Temp"] + fixef["Temp:factor(Block)1"],
            fixef["Temp"] + fixef["Temp:factor(Block)2"],
        ],
        rtol=1e-9,
    )


def test_factor_predictor_gives_dots_with_bootstrap_whiskers():
    data = _biomass_with_blocks()
    m = lmmcore.fit(MODELS["text_factor_interaction"][1], data)
    used = data.loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    p = pg.plan(info, used, m.design.y, "Zone", (), "Site")
    assert p.levels == (("north", "south"), ("north", "south"))
    outcome = jobs.band_job(m, p.grid, p.group_grid, NSIM, SEED)
    figure = predictions_figure(_plot(p, outcome, info, "Site"))
    dots = [t for t in figure.data if t.error_y.array is not None]
    assert len(dots) == 1 and list(figure.layout.xaxis.ticktext) == ["north", "south"]
    np.testing.assert_allclose(dots[0].y + dots[0].error_y.array, outcome.band["upper"], rtol=1e-12)
    # Temp held at its mean; the population prediction is X beta there
    beta = m.fixef
    temp = used["Temp"].mean()
    north = beta["(Intercept)"] + beta["Temp"] * temp
    assert dots[0].y[0] == pytest.approx(north, rel=1e-10)


def test_model_without_predictors_says_so_plainly():
    m = fitted("penicillin_crossed")
    used = lmmcore.datasets.load("Penicillin").loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    p = pg.plan(info, used, m.design.y, None, (), "plate")
    assert "no continuous predictor" in p.notes[0] and "intercept alone" in p.notes[0]
    outcome = jobs.band_job(m, p.grid, p.group_grid, NSIM, SEED)
    assert outcome.band["fit"].iloc[0] == pytest.approx(m.fixef["(Intercept)"], rel=1e-12)
    assert len(outcome.group_curves) == used["plate"].nunique()
    figure = predictions_figure(_plot(p, outcome, info, "plate"))
    assert len([t for t in figure.data if t.error_y.array is not None]) == 1


def test_hostile_names_are_plain_text_in_the_figure():
    data = lmmcore.datasets.load("sleepstudy").rename(columns={"Days": "<b>Days</b>"})
    m = lmmcore.fit("Reaction ~ `<b>Days</b>` + (1 | Subject)", data)
    used = data.loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    p = pg.plan(info, used, m.design.y, "<b>Days</b>", (), None)
    outcome = jobs.band_job(m, p.grid, None, 20, 1)
    figure = predictions_figure(_plot(p, outcome, info, None))
    assert figure.layout.xaxis.title.text == "&lt;b&gt;Days&lt;/b&gt;"


def test_band_job_cancelled_returns_nothing():
    m = fitted("biomass_seed")
    grid = pd.DataFrame({"Temp": [0.0, 1.0], "N": 0.0})
    assert jobs.band_job(m, grid, None, 400, 2, progress=lambda done, total: done < 100) is None


def test_band_job_progress_counts_the_refits():
    m = fitted("biomass_seed")
    seen = []
    jobs.band_job(
        m, pd.DataFrame({"Temp": [0.0], "N": 0.0}), None, 100, 5, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (100, 100) and all(t == 100 for _, t in seen) and len(seen) > 3


@pytest.mark.parametrize(
    ("level", "nsim", "seed", "label"),
    [
        (0.5, 100, 1, "Confidence level"),
        (0.999, 100, 1, "Confidence level"),
        ([0.9], 100, 1, "Confidence level"),
        (0.95, 0, 1, "Simulations (nsim)"),
        (0.95, 10_001, 1, "Simulations (nsim)"),
        (0.95, 10**400, 1, "Simulations (nsim)"),
        (0.95, 2.5, 1, "Simulations (nsim)"),
        (0.95, {"a": 1}, 1, "Simulations (nsim)"),
        (0.95, 100, -1, "Seed"),
        (0.95, 100, MAX_SEED + 1, "Seed"),
        (0.95, 100, "x", "Seed"),
    ],
)
def test_settings_out_of_bounds_name_the_input(level, nsim, seed, label):
    with pytest.raises(InputError, match=re.escape(label)):
        simulation_settings(level, nsim, seed)


def test_settings_in_bounds_pass():
    assert simulation_settings(0.9, 10_000, MAX_SEED) == simulation_settings(0.9, 10_000.0, MAX_SEED)
    settings = band_settings(1, 0)
    assert (settings.level, settings.nsim, settings.seed) == (0.95, 1, 0)
    with pytest.raises(InputError, match="Simulations"):
        band_settings(None, 0)


def test_chosen_levels_give_one_curve_per_combination_up_to_the_cap():
    data = _biomass_with_blocks()
    data["Plot"] = np.where(data.index % 2 == 0, "a", "b")
    m = lmmcore.fit("Biomass ~ Temp * factor(Block) + Zone + Plot + (1 | Site)", data)
    used = data.loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    choices = pg.level_choices(info)
    assert list(choices) == ["Block", "Zone", "Plot"]
    assert list(choices["Zone"].values()) == ["north", "south"]
    # Nothing chosen: each factor at its first level, one curve.
    one = pg.curves(info, "Temp", ())
    assert one.labels == ("",) and one.held.loc[0, "Zone"] == "north" and one.held.loc[0, "Block"] == 0
    every = tuple(value for options in choices.values() for value in options)
    many = pg.curves(info, "Temp", every)
    assert len(many.labels) == 3 * 2 * 2 and many.note is None
    assert many.labels[0] == "Block = 0, Zone = north, Plot = a"
    # Above the cap the first MAX_CURVES combinations are drawn and the note says so.
    data["Plot"] = data.index % 5
    m = lmmcore.fit("Biomass ~ Temp * factor(Block) + Zone + factor(Plot) + (1 | Site)", data)
    info = pg.model_predictors(m.design.formula, data.loc[m.row_index])
    every = tuple(value for options in pg.level_choices(info).values() for value in options)
    capped = pg.curves(info, "Temp", every)
    assert len(capped.labels) == pg.MAX_CURVES and "30 combinations" in capped.note
