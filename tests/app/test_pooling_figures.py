"""The pooling job and figures as plain functions: the lines are lmmcore.pooling's coefficients, the grid
draws one panel per group, the shrinkage plot goes from the no-pooling to the mixed-model estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explorer.figures import pooling as fig
from explorer.study_jobs import PoolingRequest, StudyFailure, adjusted, line_predictors, pooling_job

import lmmcore
from lmmcore.datasets import load

BIOMASS = "Biomass ~ Temp + N + (1 + Temp | Site)"


def view_of(formula: str, data: str, group: str, reml: bool = True, frame=None):
    frame = load(data) if frame is None else frame
    m = lmmcore.fit(formula, frame, reml=reml)
    return pooling_job(PoolingRequest(("test", data), formula, reml, group, model=m, frame=frame))


@pytest.fixture(scope="module")
def biomass_view():
    return view_of(BIOMASS, "biomass", "Site")


def wide(estimates: pd.DataFrame, method: str) -> pd.DataFrame:
    chosen = estimates[estimates["method"] == method]
    return chosen.pivot(index="level", columns="term", values="estimate")


def test_the_view_holds_lmmcore_pooling(biomass_view):
    expected = lmmcore.pooling(BIOMASS, load("biomass"), group="Site")
    pd.testing.assert_frame_equal(biomass_view.estimates, expected)
    m = lmmcore.fit(BIOMASS, load("biomass"))
    assert biomass_view.population == pytest.approx(m.fixef.to_dict(), rel=1e-12)
    assert biomass_view.random_terms == ("(Intercept)", "Temp")
    assert biomass_view.predictors == ("Temp", "N")
    assert len(biomass_view.levels) == 20 and len(biomass_view.points) == 100


def test_lines_are_the_coefficients_with_the_other_predictor_at_the_group_mean(biomass_view):
    """Line over Temp: slope = the Temp coefficient, intercept = (Intercept) + N coefficient x mean N of the
    group, for each of the three poolings."""
    data = load("biomass")
    mean_n = data.groupby("Site")["N"].mean()
    lines = biomass_view.lines.set_index(["predictor", "level", "method"])
    for method in fig.NAMES:
        coef = wide(biomass_view.estimates, method)
        for level in biomass_view.levels:
            line = lines.loc[("Temp", level, method)]
            assert line["slope"] == pytest.approx(coef.loc[level, "Temp"], rel=1e-12)
            expected = coef.loc[level, "(Intercept)"] + coef.loc[level, "N"] * mean_n[level]
            assert line["intercept"] == pytest.approx(expected, rel=1e-12)
            by_n = lines.loc[("N", level, method)]
            assert by_n["slope"] == pytest.approx(coef.loc[level, "N"], rel=1e-12)


def test_points_are_moved_to_the_groups_mean_of_the_other_predictors(biomass_view):
    """Over Temp, a point is y - N's coefficient x (N - the site's mean N): it lies around the lines, which
    hold N at that mean. With one predictor the points are the data."""
    data = load("biomass")
    points = biomass_view.points
    mean_n = data.groupby("Site")["N"].transform("mean").to_numpy()
    expected = data["Biomass"].to_numpy() - biomass_view.population["N"] * (data["N"].to_numpy() - mean_n)
    np.testing.assert_allclose(points[adjusted("Temp")], expected, rtol=1e-6)
    one = view_of("Reaction ~ Days + (Days | Subject)", "sleepstudy", "Subject")
    np.testing.assert_allclose(one.points[adjusted("Days")], one.points["y"], rtol=1e-12)


def test_an_interaction_with_the_predictor_enters_its_slope():
    """Temp * N: the slope over Temp is Temp + (Temp:N) x mean N of the group."""
    data = load("biomass")
    view = view_of("Biomass ~ Temp * N + (1 | Site)", "biomass", "Site")
    coef = wide(view.estimates, "partial").loc["Site3"]
    rows = data[data["Site"] == "Site3"]
    line = view.lines.set_index(["predictor", "level", "method"]).loc[("Temp", "Site3", "partial")]
    assert line["slope"] == pytest.approx(coef["Temp"] + coef["Temp:N"] * rows["N"].mean(), rel=1e-10)
    assert line["intercept"] == pytest.approx(coef["(Intercept)"] + coef["N"] * rows["N"].mean(), rel=1e-10)


def test_a_predictor_inside_a_function_draws_no_line():
    frame = load("sleepstudy")
    assert line_predictors(["(Intercept)", "Days", "I(Days^2)"], frame) == ()
    assert line_predictors(["(Intercept)", "Days", "x", "Days:x"], frame.assign(x=1.0)) == ("Days", "x")
    assert line_predictors(["(Intercept)", "Days"], frame.assign(Days=frame["Days"].astype(str))) == ()


def test_grid_draws_each_group_with_points_and_three_lines(biomass_view):
    levels = fig.shown_levels(biomass_view, None)
    assert levels == list(biomass_view.levels)  # 20 groups: all of them
    figure = fig.pooling_grid(biomass_view, "Temp", levels)
    assert len(figure.data) == 20 * 4
    assert [a.text for a in figure.layout.annotations] == levels
    x = biomass_view.points["Temp"]
    lines = biomass_view.lines.set_index(["predictor", "level", "method"])
    for k, level in enumerate(levels):
        points, *method_lines = figure.data[4 * k : 4 * k + 4]
        mine = biomass_view.points[biomass_view.points["level"] == level]
        np.testing.assert_array_equal(points.y, mine[adjusted("Temp")].to_numpy())
        for trace, method in zip(method_lines, ("complete", "none", "partial")):
            line = lines.loc[("Temp", level, method)]
            np.testing.assert_allclose(trace.x, [x.min(), x.max()])
            np.testing.assert_allclose(
                trace.y, line["intercept"] + line["slope"] * np.array(trace.x), rtol=1e-12
            )
    assert sum(t.showlegend is not False for t in figure.data) == 3  # one legend entry per pooling


def test_many_groups_show_a_spread_or_the_selection():
    view = view_of("Reaction ~ Days + (Days | Subject)", "sleepstudy", "Subject")
    assert len(view.levels) == 18 and len(fig.shown_levels(view, [])) == 18
    frame = pd.concat(
        [
            load("sleepstudy").assign(Subject=lambda d, k=k: d["Subject"].astype(str) + f"-{k}")
            for k in range(3)
        ]
    )
    many = view_of("Reaction ~ Days + (Days | Subject)", "many", "Subject", frame=frame)
    assert len(many.levels) == 54
    default = fig.shown_levels(many, None)
    assert len(default) == fig.DEFAULT_SHOWN and len(set(default)) == fig.DEFAULT_SHOWN
    partial = wide(many.estimates, "partial")["(Intercept)"]
    assert partial[default[0]] == partial.min() and partial[default[-1]] == partial.max()
    chosen = fig.shown_levels(many, ["309-1", "not a level", "308-0"])
    assert chosen == ["308-0", "309-1"]  # known ones, in the model's order
    assert len(fig.pooling_grid(many, "Days", default).data) == 4 * fig.DEFAULT_SHOWN


def test_shrinkage_of_intercept_and_slope_points_from_none_to_partial(biomass_view):
    figure = fig.shrinkage_figure(biomass_view, "Temp")
    none, partial, population = figure.data[:3]
    expected_none, expected_partial = (
        wide(biomass_view.estimates, "none"),
        wide(biomass_view.estimates, "partial"),
    )
    levels = list(partial.customdata)
    np.testing.assert_allclose(none.x, expected_none.loc[levels, "(Intercept)"], rtol=1e-12)
    np.testing.assert_allclose(none.y, expected_none.loc[levels, "Temp"], rtol=1e-12)
    np.testing.assert_allclose(partial.y, expected_partial.loc[levels, "Temp"], rtol=1e-12)
    assert (population.x[0], population.y[0]) == (
        biomass_view.population["(Intercept)"],
        biomass_view.population["Temp"],
    )
    arrows = figure.layout.annotations
    assert len(arrows) == 20
    first = arrows[0]
    assert (first.ax, first.ay) == pytest.approx((none.x[0], none.y[0]))
    assert (first.x, first.y) == pytest.approx((partial.x[0], partial.y[0]))


def test_without_a_random_slope_the_intercepts_shrink(biomass_view):
    """N has no random slope, and an intercept-only model has only intercepts: a one-axis plot."""
    figure = fig.shrinkage_figure(biomass_view, "N")
    none, partial = figure.data
    np.testing.assert_array_equal(none.y, partial.y)  # one row per group
    assert figure.layout.shapes[0].x0 == biomass_view.population["(Intercept)"]
    crossed = view_of("diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin", "sample")
    assert crossed.predictors == ()
    figure = fig.shrinkage_figure(crossed, None)
    assert len(figure.data[1].x) == 6 and "sample" in figure.layout.title.text


def test_names_from_data_are_shown_as_text():
    frame = load("sleepstudy").assign(Subject=lambda d: "<b>" + d["Subject"].astype(str) + "</b>")
    view = view_of("Reaction ~ Days + (Days | Subject)", "html", "Subject", frame=frame)
    figure = fig.pooling_grid(view, "Days", list(view.levels[:2]))
    assert figure.layout.annotations[0].text.startswith("&lt;b&gt;")
    shrink = fig.shrinkage_figure(view, "Days")
    assert all("<b>" not in text for text in shrink.data[1].customdata)


def test_uncorrelated_terms_of_a_group_are_both_random():
    view = view_of("Reaction ~ Days + (Days || Subject)", "sleepstudy", "Subject")
    assert view.random_terms == ("(Intercept)", "Days")
    assert len(fig.shrinkage_figure(view, "Days").layout.annotations) == 18  # intercept and slope


def test_an_ml_fit_pools_its_own_estimates():
    view = view_of(BIOMASS, "biomass", "Site", reml=False)
    expected = lmmcore.pooling(BIOMASS, load("biomass"), group="Site", reml=False)
    pd.testing.assert_frame_equal(view.estimates, expected)


def test_a_model_pooling_cannot_compare_says_why():
    outcome = view_of("Reaction ~ Days + (1 | Subject)", "sleepstudy", "Days")
    assert isinstance(outcome, StudyFailure) and "not a grouping factor" in outcome.message
