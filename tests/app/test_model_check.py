"""Model check panel as plain functions: the numbers behind it (densities vs R's density(), QQ bands,
smoothers), the worker jobs, and each figure's data, titles and escaping."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from explorer.check_jobs import MAX_INFLUENCE_LEVELS, CheckFailure, check_job, influence_job
from explorer.figures import model_check as fig
from explorer.figures.check_data import PPC_DRAWS, CheckData, densities_on_grid, qq_panel
from explorer.panels.check_panel import quality_line
from scipy import stats

import lmmcore
from tests.refs import REFERENCE_DIR

BIOMASS = "Biomass ~ Temp + N + (1 + Temp | Site)"
SLEEP = "Reaction ~ Days + (Days | Subject)"


@cache
def _fit(formula: str, data: str):
    return lmmcore.fit(formula, lmmcore.datasets.load(data))


@cache
def _data(formula: str, data: str) -> CheckData:
    result = check_job(_fit(formula, data), 7)
    assert isinstance(result, CheckData)
    return result


def test_density_matches_rs_density_of_sleepstudy_reaction():
    """R's density(Reaction, bw = "nrd0"): the binned kernel estimate is within 0.5 % of its peak."""
    ref = json.loads((REFERENCE_DIR / "quality" / "d_sleep_reaction.json").read_text())
    reaction = lmmcore.datasets.load("sleepstudy")["Reaction"].to_numpy(float)
    grid, densities = densities_on_grid(reaction[None])
    ours = np.interp(ref["x"], grid, densities[0])
    assert np.max(np.abs(ours - ref["y"])) < 5e-3 * max(ref["y"])
    assert np.trapezoid(densities[0], grid) == pytest.approx(1.0, abs=1e-3)


def test_ppc_has_the_observed_and_fifty_simulated_densities_that_resemble_it():
    data = _data(BIOMASS, "biomass")
    assert data.simulated_densities.shape == (PPC_DRAWS, len(data.observed_density.x))
    step = data.observed_density.x[1] - data.observed_density.x[0]
    assert np.allclose(data.simulated_densities.sum(axis=1) * step, 1.0, atol=1e-3)
    # a correct model: the observed density lies within the spread of the simulated ones almost everywhere
    low, high = np.quantile(data.simulated_densities, [0.0, 1.0], axis=0)
    inside = (data.observed_density.y >= low - 1e-3) & (data.observed_density.y <= high + 1e-3)
    assert inside.mean() > 0.9
    figure = fig.ppc_figure(data)
    simulated, observed = figure.data
    assert np.sum(np.isnan(np.asarray(simulated.x, float))) == PPC_DRAWS  # 50 curves in one trace
    np.testing.assert_array_equal(observed.y, data.observed_density.y)
    assert "should resemble" in figure.layout.title.text and figure.layout.xaxis.title.text == "Biomass"


def test_same_seed_same_simulations_other_seed_others():
    m = _fit(SLEEP, "sleepstudy")
    a, b, c = check_job(m, 3), check_job(m, 3), check_job(m, 4)
    np.testing.assert_array_equal(a.simulated_densities, b.simulated_densities)
    assert not np.allclose(a.simulated_densities, c.simulated_densities)


def test_residual_smoothers_and_scale_location():
    data = _data(SLEEP, "sleepstudy")
    m = _fit(SLEEP, "sleepstudy")
    np.testing.assert_allclose(data.residuals, m.resid.to_numpy() / m.sigma)
    np.testing.assert_allclose(data.scale_location, np.sqrt(np.abs(data.residuals)))
    for curve, figure, needle in (
        (data.linearity, fig.linearity_figure(data), "flat and horizontal"),
        (data.homogeneity, fig.homogeneity_figure(data), "flat and horizontal"),
    ):
        assert len(curve.x) > 10 and np.all(np.diff(curve.x) >= 0)
        points, smooth = figure.data
        assert len(points.x) == m.nobs and smooth.name == "lowess"
        assert needle in figure.layout.title.text
    assert abs(np.mean(data.linearity.y)) < 0.5  # residuals of a good fit: the smoother stays near 0


def test_qq_band_is_the_pointwise_normal_band_around_rs_qqline():
    values = np.random.default_rng(5).normal(3.0, 2.0, size=400)
    panel = qq_panel(values, "x")
    positions = (np.arange(1, 401) - 0.5) / 400  # R's ppoints for n > 10
    np.testing.assert_allclose(panel.theory, stats.norm.ppf(positions))
    q1, q3 = np.quantile(values, [0.25, 0.75])
    assert panel.slope == pytest.approx((q3 - q1) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25)))
    line = panel.intercept + panel.slope * panel.theory
    se = panel.slope * np.sqrt(positions * (1 - positions) / 400) / stats.norm.pdf(panel.theory)
    np.testing.assert_allclose(panel.band_high - line, 1.959963984540054 * se)
    np.testing.assert_allclose(line - panel.band_low, 1.959963984540054 * se)
    inside = (panel.sample >= panel.band_low) & (panel.sample <= panel.band_high)
    assert inside.mean() > 0.9  # normal data stay in their band


def test_qq_figures_draw_band_line_and_points_for_every_random_effect():
    data = _data(BIOMASS, "biomass")
    resid = fig.qq_residuals_figure(data.residual_qq)
    assert [t.fill for t in resid.data[:2]] == [None, "tonexty"] and len(resid.data[3].x) == 100
    assert "fall along the line" in resid.layout.title.text
    ranef = fig.qq_ranef_figure(data.ranef_qq)
    assert [a.text for a in ranef.layout.annotations] == ["(Intercept) | Site", "Temp | Site"]
    points = [t for t in ranef.data if t.mode == "markers"]
    assert [len(t.x) for t in points] == [20, 20] and [t.xaxis for t in points] == ["x", "x2"]


def test_collinearity_bars_with_bands_and_the_message_without_two_terms():
    data = _data(BIOMASS, "biomass")
    figure = fig.collinearity_figure(data.vif)
    (bars,) = figure.data
    assert list(bars.x) == ["Temp", "N"]
    np.testing.assert_allclose(bars.y, data.vif["VIF"].to_numpy())
    assert [(s.y0, s.y1) for s in figure.layout.shapes][:2] == [(1.0, 5.0), (5.0, 10.0)]
    assert figure.layout.yaxis.type == "log"
    empty = fig.collinearity_figure(_data(SLEEP, "sleepstudy").vif)
    assert empty.data == () and "Fewer than two fixed-effect terms" in empty.layout.annotations[0].text


def test_influence_figure_marks_groups_above_four_over_g():
    cooks = pd.Series([0.05, 1.5, 0.1, np.nan], index=["a", "<b>x</b>", "c", "d"])
    figure = fig.influence_figure(cooks, "Site<i>")
    (points,) = figure.data
    assert list(points.x) == ["a", "&lt;b&gt;x&lt;/b&gt;", "c"]  # escaped; the NaN level is left out
    assert list(points.marker.color) == [fig.POINTS, fig.REFERENCE, fig.POINTS]  # above 4 / 4 groups
    assert figure.layout.shapes[0].y0 == pytest.approx(1.0)
    assert "Site&lt;i&gt;" in figure.layout.title.text and "<i>" not in figure.layout.title.text


def test_many_groups_are_ranked_and_named_in_hovers():
    cooks = pd.Series(np.linspace(0.0, 0.2, 100), index=[f"g{i}" for i in range(100)])
    figure = fig.influence_figure(cooks, "g")
    (points,) = figure.data
    assert list(points.x) == list(range(1, 101)) and points.customdata[0] == "g99"
    assert sum(c == fig.REFERENCE for c in points.marker.color) == int(np.sum(cooks > 0.04))


def test_influence_job_on_sleepstudy_and_its_refusals():
    m = _fit(SLEEP, "sleepstudy")
    result = influence_job(m, "Subject")
    assert isinstance(result, lmmcore.Influence) and len(result.cooks) == 18
    assert influence_job(m, "Subject", progress=lambda done, total: done < 2) is None  # cancelled
    failure = influence_job(m, "Days")
    assert isinstance(failure, CheckFailure) and "not a grouping factor" in failure.message


def test_influence_job_refuses_factors_with_too_many_levels():
    rng = np.random.default_rng(0)
    n = 2 * (MAX_INFLUENCE_LEVELS + 1)
    frame = pd.DataFrame({"y": rng.normal(size=n), "g": np.repeat(np.arange(MAX_INFLUENCE_LEVELS + 1), 2)})
    frame["g"] = frame["g"].astype(str)
    m = lmmcore.fit("y ~ 1 + (1 | g)", frame)
    failure = influence_job(m, "g")
    assert isinstance(failure, CheckFailure) and f"at most {MAX_INFLUENCE_LEVELS}" in failure.message


def test_check_job_cancelled_before_start_and_quality_line():
    m = _fit(SLEEP, "sleepstudy")
    assert check_job(m, 1, progress=lambda done, total: False) is None
    line = quality_line(m.r2(), m.icc())
    assert line == "R² marginal 0.279 · conditional 0.799 · ICC adjusted 0.722 · unadjusted 0.521"
    singular = lmmcore.fit(
        "Reaction ~ Days + (1 | Subject) + (1 | Days)", lmmcore.datasets.load("sleepstudy")
    )
    line = quality_line(singular.r2(), singular.icc())
    assert "conditional NA" in line and "ICC adjusted NA" in line and "a random-effect variance is 0" in line


def test_every_figure_is_valid_plotly_json():
    data = _data(BIOMASS, "biomass")
    m = _fit(BIOMASS, "biomass")
    figures = [
        fig.ppc_figure(data),
        fig.linearity_figure(data),
        fig.homogeneity_figure(data),
        fig.collinearity_figure(data.vif),
        fig.qq_residuals_figure(data.residual_qq),
        fig.qq_ranef_figure(data.ranef_qq),
        fig.influence_figure(m.influence("Site").cooks, "Site"),
    ]
    for figure in figures:
        assert isinstance(figure, go.Figure) and json.loads(figure.to_json())["data"]


def test_an_influence_that_was_not_computed_says_why_in_its_plot():
    figure = fig.influence_message(
        "<s>", "Influence needs one refit per level: <s> has 2972 levels (at most 1000)."
    )
    assert figure.data == () and "not computed" in figure.layout.title.text
    text = figure.layout.annotations[0].text
    assert text == "Influence needs one refit per level: &lt;s&gt; has<br>2972 levels (at most 1000)."


def test_names_from_data_reach_every_figure_as_text():
    """Response, predictor, grouping column and levels written as markup show escaped, never as markup."""
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(6), 6)
    data = pd.DataFrame(
        {
            "<b>y</b>": rng.normal(size=36) + rng.normal(size=6)[g],
            "x&z": rng.normal(size=36),
            "w": rng.normal(size=36),
            "<g>": [f"<a href=x>{i}" for i in g],
        }
    )
    m = lmmcore.fit("`<b>y</b>` ~ `x&z` + w + (1 | `<g>`)", data)
    (group,) = m.ngroups
    checked, influence = check_job(m, 1), influence_job(m, group)
    figures = [
        fig.ppc_figure(checked),
        fig.qq_ranef_figure(checked.ranef_qq),
        fig.influence_figure(influence.cooks, group),
        fig.collinearity_figure(checked.vif),
    ]
    for figure in figures:
        text = figure.to_json()
        assert "<b>" not in text and "<a href" not in text and "<g>" not in text and "x&z" not in text
        assert "&lt;" in text or "x&amp;z" in text
