"""Figure builders as plain functions: traces, values, labels, sorting, highlighting, large data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from explorer import engine
from explorer.figures import diagnostics
from explorer.figures.caterpillar import ORDERS, Z95, caterpillar, interval_table
from explorer.figures.fast_figure import validated
from explorer.figures.large_data import QQ_POINTS, WEBGL_LIMIT, thinned_ranks
from explorer.figures.text import plain_all
from explorer.fit_data import FitData, fit_data
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess

from lmmcore import datasets


@pytest.fixture
def residuals():
    rng = np.random.default_rng(1)
    fitted = rng.uniform(5, 15, 200)
    return fitted, rng.normal(size=200)


def test_residuals_vs_fitted_has_points_smoother_and_zero_line(residuals):
    fitted, pearson = residuals
    fig = diagnostics.residuals_vs_fitted(fitted, pearson)
    points, smooth = fig.data
    assert isinstance(points, go.Scatter) and points.mode == "markers"
    np.testing.assert_array_equal(points.x, fitted)
    np.testing.assert_array_equal(points.y, pearson)
    assert smooth.name == "lowess" and len(smooth.x) == 200 and np.all(np.diff(smooth.x) >= 0)
    assert abs(np.mean(smooth.y)) < 0.3  # pure noise: the smoother stays near 0
    assert [s.y0 for s in fig.layout.shapes] == [0]
    assert fig.layout.xaxis.title.text == "fitted"


def test_large_residual_plots_are_binned_not_drawn_point_by_point():
    rng = np.random.default_rng(2)
    n = WEBGL_LIMIT * 3
    fig = diagnostics.residuals_vs_fitted(rng.normal(size=n), rng.normal(size=n))
    assert isinstance(fig.data[0], go.Heatmap)
    heat = fig.data[0]
    counts = np.asarray(heat.text, dtype=int)
    assert counts.sum() == n  # every point counted once
    # The hover shows each cell's count (plotly.js reads a heatmap's 2-D text by cell; 2-D customdata
    # showed 'NaN points'), and the colour is its log10.
    assert "%{text} points" in heat.hovertemplate and "customdata" not in heat.hovertemplate
    shown = counts > 0
    np.testing.assert_allclose(np.asarray(heat.z, float)[shown], np.log10(counts[shown]))
    assert len(fig.to_json()) < 200_000


def test_medium_sized_scatter_uses_webgl():
    fig = diagnostics.observed_vs_fitted(np.arange(6000.0), np.arange(6000.0), "y")
    assert isinstance(fig.data[0], go.Scattergl)


def test_qq_of_residuals_matches_normal_quantiles_and_quartile_line(residuals):
    _, pearson = residuals
    fig = diagnostics.qq_residuals(pearson)
    points, line = fig.data
    np.testing.assert_allclose(points.y, np.sort(pearson))
    expected = stats.norm.ppf((np.arange(1, 201) - 0.375) / 200.25)
    np.testing.assert_allclose(points.x, expected)
    q1, q3 = np.quantile(pearson, [0.25, 0.75])
    slope = (line.y[1] - line.y[0]) / (line.x[1] - line.x[0])
    assert slope == pytest.approx((q3 - q1) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25)))


def test_qq_of_many_residuals_is_thinned_and_says_so():
    values = np.random.default_rng(3).normal(size=50_000)
    fig = diagnostics.qq_residuals(values)
    assert len(fig.data[0].y) == QQ_POINTS
    assert fig.data[0].y[0] == values.min() and fig.data[0].y[-1] == values.max()
    assert "2000 of 50000 quantiles shown" in fig.layout.title.text
    assert len(thinned_ranks(10)) == 10


def test_qq_of_random_effects_has_one_panel_per_group_and_term():
    ranef = {
        "Site": pd.DataFrame({"(Intercept)": np.arange(5.0), "Temp": np.arange(5.0) / 10}),
        "Plot": pd.DataFrame({"(Intercept)": np.arange(8.0)}),
    }
    fig = diagnostics.qq_random_effects(ranef)
    assert len(fig.data) == 6  # points + reference line per panel
    assert [(t.xaxis, t.yaxis) for t in fig.data[::2]] == [("x", "y"), ("x2", "y2"), ("x3", "y3")]
    np.testing.assert_allclose(fig.data[4].y, np.arange(8.0))
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["(Intercept) | Site", "Temp | Site", "(Intercept) | Plot"]


def test_residuals_by_group_boxes_sorted_by_median():
    pearson = np.array([1.0, 1.2, -1.0, -0.8, 0.1, 0.0])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    fig = diagnostics.residuals_by_group(pearson, groups, "g")
    (box,) = fig.data
    assert isinstance(box, go.Box)
    assert fig.layout.xaxis.categoryarray == ("b", "c", "a")
    np.testing.assert_array_equal(box.y[box.x == "a"], [1.0, 1.2])


def test_residuals_by_group_with_many_levels_is_one_ranked_trace():
    rng = np.random.default_rng(4)
    groups = np.repeat([f"s{i}" for i in range(300)], 4)
    fig = diagnostics.residuals_by_group(rng.normal(size=1200), groups, "s")
    assert len(fig.data) == 1
    medians = np.asarray(fig.data[0].y)
    assert np.all(np.diff(medians) >= 0) and len(medians) == 300
    assert "300 levels" in fig.layout.xaxis.title.text


def test_observed_vs_fitted_has_diagonal_and_labels():
    fig = diagnostics.observed_vs_fitted([1.0, 2.0, 4.0], [1.5, 2.0, 3.0], "Biomass")
    assert fig.data[1].x == (1.0, 4.0) and fig.data[1].y == (1.0, 4.0)
    assert fig.layout.yaxis.title.text == "observed Biomass"


def _r_lowess(x, y):
    """R's lowess(x, y) defaults: f = 2/3, iter = 3, delta = 1 % of the x range."""
    return lowess(y, x, frac=2 / 3, it=3, delta=0.01 * float(np.ptp(x)), return_sorted=True)


def test_smoother_of_a_small_fit_is_rs_lowess_on_every_point():
    data = datasets.load("sleepstudy")
    d = fit_data(engine.fit("Reaction ~ Days + (Days | Subject)", data, reml=True), data)
    smooth = diagnostics.residuals_vs_fitted(d.fitted, d.pearson).data[1]
    expected = _r_lowess(d.fitted, d.pearson)
    np.testing.assert_allclose(smooth.x, expected[:, 0], atol=1e-12)
    np.testing.assert_allclose(smooth.y, expected[:, 1], atol=1e-12)


def test_by_group_boxes_of_large_data_are_precomputed_quartiles_and_whiskers():
    rng = np.random.default_rng(11)
    n = WEBGL_LIMIT + 10_000
    groups = rng.choice(["north", "south", "east", "<b>west</b>"], size=n)
    pearson = rng.standard_t(4, size=n) + (groups == "north")
    fig = diagnostics.residuals_by_group(pearson, groups, "region")
    (box,) = fig.data
    assert box.y is None and len(fig.to_json()) < 20_000  # four boxes, not 30,000 values
    assert "&lt;b&gt;west&lt;/b&gt;" in box.x and "<b>west</b>" not in box.x
    grouped = pd.Series(pearson).groupby(plain_all(groups))
    for k, level in enumerate(box.x):
        q1, median, q3 = grouped.get_group(level).quantile([0.25, 0.5, 0.75])
        assert (box.q1[k], box.median[k], box.q3[k]) == pytest.approx((q1, median, q3), abs=1e-11)
        inside = grouped.get_group(level).to_numpy()
        assert box.lowerfence[k] == pytest.approx(inside[inside >= q1 - 1.5 * (q3 - q1)].min(), abs=1e-11)
        assert box.upperfence[k] == pytest.approx(inside[inside <= q3 + 1.5 * (q3 - q1)].max(), abs=1e-11)
    assert fig.layout.xaxis.categoryarray[-1] == "north"  # sorted by median: the shifted level last


def test_by_group_reads_a_categorical_as_its_strings():
    rng = np.random.default_rng(12)
    groups = rng.choice(["a", "b", "c"], size=300)
    pearson = rng.normal(size=300)
    as_codes = diagnostics.residuals_by_group(pearson, pd.Categorical(groups), "g")
    as_text = diagnostics.residuals_by_group(pearson, groups, "g")
    assert as_codes.to_json() == as_text.to_json()


def test_fit_data_groups_come_from_the_fit_and_match_the_used_rows():
    data = datasets.load("sleepstudy").astype({"Subject": str})
    data.loc[[3, 50, 51], "Reaction"] = np.nan  # dropped rows: the groups must stay row-aligned
    m = engine.fit("Reaction ~ Days + (Days | Subject)", data, reml=True)
    d = fit_data(m, data)
    used = m.resid.index
    assert len(used) == 177
    np.testing.assert_array_equal(np.asarray(d.groups["Subject"]), data.loc[used, "Subject"].to_numpy())
    assert d.point_labels[3] == f"row {used[3]} · Subject {data.loc[used[3], 'Subject']}"
    assert list(d.drawn_labels) == list(d.point_labels)


def test_large_fits_never_build_per_point_labels():
    n = WEBGL_LIMIT + 1
    groups = {"g": pd.Categorical.from_codes(np.arange(n) % 7, categories=[f"L{i}" for i in range(7)])}
    d = FitData(np.zeros(n), np.zeros(n), np.zeros(n), "y", groups, {}, {}, np.arange(n))
    assert d.drawn_labels is None and "point_labels" not in d.__dict__


def test_diagnostics_of_a_million_rows_take_bounded_time():
    """Pathology bound (loose: shared machines); the lowess on every point alone took 10 s at 500k rows."""
    rng = np.random.default_rng(13)
    n = 1_000_000
    fitted = rng.normal(10, 2, n)
    pearson = rng.normal(size=n)
    groups = pd.Categorical.from_codes(
        rng.integers(0, 10_000, n), categories=[f"s{i}" for i in range(10_000)]
    )
    start = time.process_time()
    figures = [
        diagnostics.residuals_vs_fitted(fitted, pearson),
        diagnostics.qq_residuals(pearson),
        diagnostics.residuals_by_group(pearson, groups, "Site"),
        diagnostics.observed_vs_fitted(fitted + pearson, fitted, "y"),
    ]
    sizes = [len(figure.to_json()) for figure in figures]
    assert time.process_time() - start < 8.0
    assert max(sizes) < 1_000_000


def test_every_diagnostic_has_a_reading_hint():
    assert set(diagnostics.HINTS) == {"resid", "qq_resid", "qq_ranef", "by_group", "obs_fit"}
    assert "no funnel or curve" in diagnostics.HINTS["resid"]


@pytest.fixture
def effects():
    levels = ["L1", "L2", "L3", "L4"]
    modes = pd.DataFrame({"(Intercept)": [0.5, -2.0, 3.0, 0.1], "x": [0.1, 0.2, -0.3, 0.0]}, index=levels)
    sds = pd.DataFrame({"(Intercept)": [1.0, 0.5, 1.0, 0.2], "x": [0.01, 0.5, 0.1, 1.0]}, index=levels)
    return modes, sds


def test_interval_table_sorts_and_flags_intervals_excluding_zero(effects):
    modes, sds = effects
    table = interval_table(modes["(Intercept)"], sds["(Intercept)"])
    assert list(table.index) == ["L2", "L4", "L1", "L3"]
    np.testing.assert_allclose(table["upper"] - table["estimate"], Z95 * table["sd"])
    # L2: -2 +/- 0.98 excludes 0; L3: 3 +/- 1.96 excludes 0; L1, L4 include it.
    assert table["excludes_zero"].to_dict() == {"L2": True, "L4": False, "L1": False, "L3": True}


def _rows(fig, k: int) -> list[str]:
    """Level labels of panel k from bottom to top (by their y)."""
    includes, excludes = fig.data[2 * k], fig.data[2 * k + 1]
    labels = np.concatenate([includes.text, excludes.text])
    ys = np.concatenate([includes.y, excludes.y])
    return [str(label) for _, label in sorted(zip(ys, labels))]


def test_caterpillar_rows_are_levels_ordered_by_the_first_term_in_every_panel(effects):
    modes, sds = effects
    fig = caterpillar(modes, sds, "Site")  # lme4's dotplot(ranef(m, condVar = TRUE)) is the default
    assert len(fig.data) == 4  # per term: intervals including 0, intervals excluding 0
    includes, excludes = fig.data[0], fig.data[1]
    assert sorted(excludes.text) == ["L2", "L3"]
    assert list(includes.text) == ["L4", "L1"]
    assert excludes.marker.color != includes.marker.color
    np.testing.assert_allclose(excludes.error_x.array, Z95 * np.array([0.5, 1.0]))
    # The hover's numbers (conditional SD, 95 % bounds) of L2 (-2, SD 0.5) and L3 (3, SD 1), to 1e-12.
    expected = [[0.5, -2 - Z95 * 0.5, -2 + Z95 * 0.5], [1.0, 3 - Z95, 3 + Z95]]
    np.testing.assert_allclose(excludes.customdata, expected, rtol=1e-12)
    assert "%{customdata[0]:.4g}" in excludes.hovertemplate
    validated(fig)  # built without plotly's validation: every property must still be valid
    # (Intercept) modes 0.5, -2, 3, 0.1: rows L2 < L4 < L1 < L3 in BOTH panels, whatever x's modes.
    assert _rows(fig, 0) == _rows(fig, 1) == ["L2", "L4", "L1", "L3"]
    x_panel = dict(
        zip(np.concatenate([fig.data[2].y, fig.data[3].y]), np.concatenate([fig.data[2].x, fig.data[3].x]))
    )
    assert [x_panel[y] for y in sorted(x_panel)] == [0.2, 0.0, 0.1, -0.3]  # x's modes of L2, L4, L1, L3
    assert fig.layout.yaxis.ticktext == ("L2", "L4", "L1", "L3")
    assert not fig.layout.yaxis2.showticklabels and fig.layout.yaxis2.matches == "y"
    assert "sorted by (Intercept)" in fig.layout.title.text
    assert "<b>%{text}</b>" in excludes.hovertemplate and "95% interval" in excludes.hovertemplate
    assert [a.text for a in fig.layout.annotations] == ["(Intercept)", "x"]


def test_caterpillar_per_panel_order_sorts_each_term_by_its_own_modes(effects):
    modes, sds = effects
    fig = caterpillar(modes, sds, "Site", order="each")
    assert _rows(fig, 0) == ["L2", "L4", "L1", "L3"]
    assert _rows(fig, 1) == ["L3", "L4", "L1", "L2"]  # x: -0.3, 0.0, 0.1, 0.2
    assert fig.layout.yaxis2.ticktext == ("L3", "L4", "L1", "L2") and fig.layout.yaxis2.matches is None
    assert set(ORDERS) == {"first", "each"}


def test_caterpillar_of_a_real_fit_has_lme4s_dotplot_rows(reference):
    m = engine.fit("Reaction ~ Days + (Days | Subject)", engine.load_example("sleepstudy"), reml=True)
    fig = caterpillar(m.ranef["Subject"], m.ranef_sd["Subject"], "Subject")
    ref = reference("sleepstudy_slopes")["ranef"][0]
    lme4_modes = pd.Series([row[0] for row in ref["modes"]], index=ref["levels"])
    expected = list(lme4_modes.sort_values().index)  # dotplot's rows: lme4's (Intercept) modes, ascending
    assert _rows(fig, 0) == _rows(fig, 1) == expected


def test_caterpillar_shows_names_from_data_as_text(effects):
    modes, sds = effects
    hostile = ["<b>bold</b>", "a&b", "L3", "<a href=x>"]
    fig = caterpillar(
        modes.set_axis(hostile).rename(columns={"x": "<i>x</i>"}),
        sds.set_axis(hostile).rename(columns={"x": "<i>x</i>"}),
        "<script>",
    )
    assert "&lt;script&gt;" in fig.layout.title.text and "<script>" not in fig.layout.title.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in fig.layout.yaxis.ticktext and "a&amp;b" in fig.layout.yaxis.ticktext
    assert [a.text for a in fig.layout.annotations] == ["(Intercept)", "&lt;i&gt;x&lt;/i&gt;"]
    labels = np.concatenate([t.text for t in fig.data])
    assert "&lt;a href=x&gt;" in labels and not any("<" in str(label) for label in labels)
    assert all("<i>" not in t.hovertemplate for t in fig.data)


def test_residual_hovers_name_the_row_and_group_level(residuals):
    fitted, pearson = residuals
    labels = np.array([f"row {i} · Site s{i % 5}" for i in range(200)], dtype=object)
    groups = np.array([f"s{i % 5}" for i in range(200)])
    figures = [
        diagnostics.residuals_vs_fitted(fitted, pearson, labels),
        diagnostics.observed_vs_fitted(fitted + pearson, fitted, "y", labels),
        diagnostics.residuals_by_group(pearson, groups, "Site", labels),
    ]
    for fig in figures:
        points = fig.data[0]
        assert list(points.text) == list(labels)
        assert points.hovertemplate.startswith("%{text}<br>")
