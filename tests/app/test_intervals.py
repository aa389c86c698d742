"""Intervals panel builders and jobs as plain functions: numbers against lmmcore's ``confint`` and lme4."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from explorer import inference_jobs as jobs
from explorer.figures.intervals import intervals_figure
from explorer.figures.profile_zeta import zeta_figure
from explorer.tables.intervals import IntervalSet, interval_table, parameter_estimates, variance_names

import lmmcore
from tests.refs import as_frame, fitted, load_reference

DEFAULT = "biomass_seed"


@pytest.fixture(scope="module")
def model():
    return fitted(DEFAULT)


@pytest.fixture(scope="module")
def profiled(model):
    return jobs.profile_job(model, 0.95)


@pytest.fixture(scope="module")
def traced(model):
    return jobs.zeta_job(model)


@pytest.fixture(scope="module")
def simulated(model):
    return jobs.simulation_job(model, 200, 7)


def test_profile_job_gives_lme4s_profile_intervals(model, profiled, traced):
    reference = as_frame(load_reference(DEFAULT)["confint_profile"])
    assert profiled.note is None
    pd.testing.assert_frame_equal(profiled.intervals, model.confint("profile"))
    # lme4 inverts a spline through its profile, lmmcore finds the crossing itself: ends agree to ~1e-4.
    np.testing.assert_allclose(profiled.intervals.to_numpy(), reference.to_numpy(), rtol=5e-4, atol=1e-4)
    assert list(profiled.intervals.index) == list(reference.index)
    assert set(traced.profile.parameters) == set(reference.index)
    assert traced.note is None and profiled.profile is None and traced.intervals is None


def test_profile_job_stops_when_cancelled(model):
    calls = []

    def cancelled(done, total):
        calls.append((done, total))
        return False

    assert jobs.profile_job(model, 0.95, progress=cancelled) is None
    assert jobs.zeta_job(model, progress=cancelled) is None
    assert calls == [(0, 1), (0, 1)]


def test_profile_job_reports_progress_to_the_end(model):
    calls = []
    jobs.profile_job(model, 0.9, progress=lambda done, total: calls.append((done, total)) or True)
    assert calls == [(0, 1), (1, 1)]


def test_singular_fit_profile_says_so_and_the_other_methods_still_work():
    data = lmmcore.datasets.load("biomass")
    m = lmmcore.fit("Biomass ~ Temp + N + (1 + Temp + N | Site)", data)
    assert m.singular
    outcome = jobs.profile_job(m, 0.95)
    assert "singular" in outcome.note
    traces = jobs.zeta_job(m)
    assert traces.profile is not None or "singular" in traces.note
    simulated = jobs.simulation_job(m, 50, 1)
    intervals = {"wald": m.confint("wald"), **simulated.intervals(0.95)}
    assert set(intervals) == {"wald", "boot", "sim"}
    if outcome.intervals is not None:
        intervals["profile"] = outcome.intervals
    figure = intervals_figure(IntervalSet(parameter_estimates(m), intervals, tuple(m.fixef.index), 0.95))
    assert {t.name for t in figure.data} >= {"Wald", "Parametric bootstrap", "Posterior simulation"}


def test_simulation_job_equals_lmmcore_bootstrap_and_sim(model, simulated):
    boot = lmmcore.bootstrap(model, nsim=200, seed=7)
    for level in (0.95, 0.8):
        intervals = simulated.intervals(level)
        pd.testing.assert_frame_equal(intervals["boot"], boot.intervals(level))
        pd.testing.assert_frame_equal(intervals["sim"], lmmcore.sim(model, 200, 7).intervals(level))
    assert simulated.failed == boot.failed and simulated.nsim == 200


def test_simulation_intervals_cover_lme4s_bootstrap_loosely(simulated):
    """200 refits against lme4's 2000: Monte Carlo error of a 2.5 % quantile is ~0.1 SD; the fixed
    effects' ends agree within 0.06 (their SEs are ~0.1-0.25)."""
    reference = as_frame(load_reference(DEFAULT)["confint_boot_perc_2000"])
    fixed = ["(Intercept)", "Temp", "N"]
    np.testing.assert_allclose(
        simulated.intervals(0.95)["boot"].loc[fixed].to_numpy(), reference.loc[fixed].to_numpy(), atol=0.06
    )


def test_simulation_job_cancelled_returns_nothing(model):
    assert jobs.simulation_job(model, 400, 3, progress=lambda done, total: done < 100) is None


@pytest.mark.parametrize(
    ("failed", "completed", "shown"), [(0, 100, False), (10, 100, False), (11, 100, True), (1, 1, True)]
)
def test_failed_refit_share_above_threshold_is_reported(failed, completed, shown):
    note = jobs.failed_refits_note(failed, completed)
    assert (note is not None) == shown
    if shown:
        assert f"{failed} of {completed}" in note


@pytest.mark.parametrize("name", ["biomass_seed", "sleepstudy_slopes", "pastes_nested", "penicillin_crossed"])
def test_parameter_estimates_are_lme4s_sds_correlations_and_fixed_effects(name):
    m, reference = fitted(name), load_reference(name)
    estimates = parameter_estimates(m)
    assert set(estimates.index) == set(m.confint("wald").index)
    expected_names = variance_names(pd.DataFrame(reference["varcorr"]), set(m.ngroups))
    sdcor = pd.Series([row["sdcor"] for row in reference["varcorr"]], index=expected_names, dtype=float)
    # Our optimum is at or below lme4's criterion: SDs agree to ~1e-4 relative.
    np.testing.assert_allclose(estimates[sdcor.index], sdcor, rtol=2e-4)
    fixef = pd.Series(reference["fixef"], dtype=float) if isinstance(reference["fixef"], dict) else None
    if fixef is not None:
        np.testing.assert_allclose(estimates[fixef.index], fixef, rtol=1e-5)


def test_estimates_of_uncorrelated_terms_use_the_factors_name():
    m = lmmcore.fit("Reaction ~ Days + (Days || Subject)", lmmcore.datasets.load("sleepstudy"))
    estimates = parameter_estimates(m)
    assert list(estimates.index[:3]) == ["sd_(Intercept)|Subject", "sd_Days|Subject", "sigma"]
    assert estimates["sd_Days|Subject"] == pytest.approx(5.988172, rel=1e-5)


@pytest.fixture(scope="module")
def interval_set(model, profiled, simulated):
    intervals = {
        "wald": model.confint("wald"),
        "profile": profiled.intervals,
        **simulated.intervals(0.95),
    }
    return IntervalSet(parameter_estimates(model), intervals, tuple(model.fixef.index), 0.95)


def test_interval_table_rows_are_lme4s_names_and_ends_are_confints(interval_set, model):
    table = interval_table(interval_set)
    assert list(table.index) == list(model.confint("profile").index)
    for method, label in [
        ("wald", "Wald"),
        ("profile", "Profile likelihood"),
        ("boot", "Parametric bootstrap"),
    ]:
        frame = interval_set.intervals[method]
        np.testing.assert_array_equal(table[f"{label} 2.5 %"], frame["2.5 %"].to_numpy())
        np.testing.assert_array_equal(table[f"{label} 97.5 %"], frame["97.5 %"].to_numpy())
    assert math.isnan(table.loc["sigma", "Wald 2.5 %"])  # lme4's NA
    np.testing.assert_allclose(table.loc[list(model.fixef.index), "estimate"], model.fixef, rtol=0)


def _segments(trace) -> list[tuple[float, float, float]]:
    x, y = list(trace.x), list(trace.y)
    return [(x[i], x[i + 1], y[i]) for i in range(0, len(x), 3)]


def test_whisker_ends_equal_each_methods_confint(interval_set):
    figure = intervals_figure(interval_set)
    whiskers = [t for t in figure.data if t.mode == "lines"]
    assert {t.name for t in whiskers} == {
        "Wald",
        "Profile likelihood",
        "Parametric bootstrap",
        "Posterior simulation",
    }
    assert sum(1 for t in whiskers if t.showlegend) == 4  # one legend entry per method
    labels = {
        "Wald": "wald",
        "Profile likelihood": "profile",
        "Parametric bootstrap": "boot",
        "Posterior simulation": "sim",
    }
    for trace in whiskers:
        frame = interval_set.intervals[labels[trace.name]]
        names = (
            [n for n in interval_set.parameters if n not in interval_set.fixed]
            if trace.yaxis == "y"
            else list(interval_set.fixed)
        )
        for low, high, position in _segments(trace):
            name = names[round(position)]
            assert (low, high) == tuple(frame.loc[name].iloc[:2])


def test_variance_parameters_and_fixed_effects_are_separate_facets(interval_set):
    figure = intervals_figure(interval_set)
    layout = figure.layout
    assert list(layout.yaxis.ticktext) == [
        "sd_(Intercept)|Site",
        "cor_Temp.(Intercept)|Site",
        "sd_Temp|Site",
        "sigma",
    ]
    assert list(layout.yaxis2.ticktext) == ["(Intercept)", "Temp", "N"]
    assert layout.yaxis.domain[0] > layout.yaxis2.domain[1]  # variance facet above, no overlap
    # Wald has no interval of a variance parameter (lme4's NA): nothing drawn in that facet.
    assert not [t for t in figure.data if t.name == "Wald" and t.yaxis == "y"]


def test_names_from_data_are_plain_text_in_the_figure(model, interval_set):
    renamed = {n: f"<b>{n}</b>" for n in interval_set.fixed}
    hostile = IntervalSet(
        interval_set.estimates.rename(renamed),
        {k: v.rename(renamed) for k, v in interval_set.intervals.items()},
        tuple(renamed.values()),
        0.95,
    )
    figure = intervals_figure(hostile)
    assert "&lt;b&gt;Temp&lt;/b&gt;" in list(figure.layout.yaxis2.ticktext)
    assert "<b>Temp" not in figure.to_json().replace("<b>%{customdata", "")


def test_zeta_traces_are_the_profiles_points(profiled, traced):
    figure = zeta_figure(traced.profile, profiled.intervals, 0.95)
    assert len(figure.data) == len(traced.profile.parameters)
    for trace, name in zip(figure.data, traced.profile.parameters):
        points = traced.profile.trace(name)
        np.testing.assert_array_equal(trace.x, points[name].to_numpy(float))
        np.testing.assert_array_equal(trace.y, points["zeta"].to_numpy(float))
    level_lines = [s for s in figure.layout.shapes if s.y0 == s.y1]
    assert {round(s.y0, 6) for s in level_lines} == {-1.959964, 1.959964}
    ends = [s.x0 for s in figure.layout.shapes if s.x0 == s.x1 and s.xref == "x3"]
    low, high = profiled.intervals.loc[traced.profile.parameters[2]]
    assert ends == [low, high]


def test_zeta_figure_without_intervals_draws_only_level_lines(traced):
    figure = zeta_figure(traced.profile, None, 0.8)
    assert all(s.y0 == s.y1 for s in figure.layout.shapes)
    assert {round(abs(s.y0), 4) for s in figure.layout.shapes} == {1.2816}


def _failing_bootstrap(monkeypatch, failed: int):
    """lmmcore's bootstrap, reporting ``failed`` of its refits as failed (a model that refits badly is slow
    to find; the jobs only read the counts)."""
    real = lmmcore.bootstrap

    def bootstrap(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), failed=failed)

    monkeypatch.setattr(lmmcore, "bootstrap", bootstrap)


def test_bootstrap_with_too_many_failed_refits_says_so_and_keeps_the_simulation(model, monkeypatch):
    _failing_bootstrap(monkeypatch, failed=30)
    outcome = jobs.simulation_job(model, 100, 3)
    assert outcome.boot is None and "30 of 100 bootstrap refits failed" in outcome.note
    assert set(outcome.intervals(0.95)) == {"sim"}


def test_band_with_too_many_failed_refits_shows_the_curve_without_band(model, monkeypatch):
    _failing_bootstrap(monkeypatch, failed=30)
    grid = pd.DataFrame({"Temp": [-1.0, 0.0, 1.0], "N": 0.0})
    outcome = jobs.band_job(model, grid, None, 100, 3)
    assert "30 of 100 bootstrap refits failed" in outcome.note
    np.testing.assert_array_equal(outcome.band["fit"], model.predict(grid).to_numpy())
    assert outcome.band["lower"].isna().all() and outcome.band["upper"].isna().all()


def test_bootstrap_with_few_failed_refits_is_shown(model, monkeypatch):
    _failing_bootstrap(monkeypatch, failed=10)
    outcome = jobs.simulation_job(model, 100, 3)
    assert outcome.note is None and set(outcome.intervals(0.95)) == {"boot", "sim"}


def test_interval_table_html_shows_names_as_text_and_lme4s_na(interval_set):
    from explorer.panels.intervals_panel import table_ui

    renamed = {n: f"<script>{n}</script>" for n in interval_set.fixed}
    hostile = IntervalSet(
        interval_set.estimates.rename(renamed),
        {k: v.rename(renamed) for k, v in interval_set.intervals.items()},
        tuple(renamed.values()),
        0.95,
    )
    html = str(table_ui(hostile))
    assert "<script>" not in html and "&lt;script&gt;Temp&lt;/script&gt;" in html
    assert "<th>Wald [2.5 %, 97.5 %]</th>" in html
    profile = interval_set.intervals["profile"].loc["Temp"]
    assert f"<td>[{profile.iloc[0]:.4g}, {profile.iloc[1]:.4g}]</td>" in html
    assert html.count("<td>NA</td>") >= 4  # Wald of the four variance parameters


def test_figures_are_valid_plotly(interval_set, profiled, traced):
    """The builders skip plotly.py's validation for speed; rebuilt with it, nothing is refused."""
    from explorer.figures.fast_figure import validated

    for figure in (intervals_figure(interval_set), zeta_figure(traced.profile, profiled.intervals, 0.95)):
        assert len(validated(figure).data) == len(figure.data)
        with pytest.raises(ValueError, match="markr"):
            validated(
                go.Figure({"data": [{**figure.data[0].to_plotly_json(), "markr": {}}]}, _validate=False)
            )
