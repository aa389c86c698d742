"""The recovery job, histograms and table as plain functions: what they show is the RecoveryResult's."""

from __future__ import annotations

import numpy as np
import pytest
from explorer.figures.recovery import recovery_histograms
from explorer.study_jobs import RecoveryRequest, StudyFailure, recovery_job
from explorer.tables.recovery_table import COLUMNS, percent, recovery_counts, recovery_table

import lmmcore
from lmmcore.datasets import load

BIOMASS = "Biomass ~ Temp + N + (1 + Temp | Site)"
PARAMS = (("n_sites", 12), ("n_per_site", 6), ("intercept", 10.0), ("temp_effect", 0.4), ("sigma", 1.0))


def request(source="simulation", formula=BIOMASS, nrep=30, model=None, params=PARAMS):
    return RecoveryRequest(source, formula, True, "tag", params, nrep, 7, 0.9, model=model)


@pytest.fixture(scope="module")
def study():
    return recovery_job(request())


def test_the_job_runs_lmmcore_recovery_from_the_simulation_parameters(study):
    expected = lmmcore.recovery(dict(PARAMS), BIOMASS, nrep=30, seed=7, level=0.9)
    assert study.nrep == 30 and study.level == 0.9
    np.testing.assert_array_equal(study.estimates.to_numpy(), expected.estimates.to_numpy())
    assert study.table.loc["Temp", "truth"] == 0.4 and study.table.loc["sigma", "truth"] == 1.0


def test_the_job_takes_a_fitted_model_as_truth_and_reports_progress():
    m = lmmcore.fit("Reaction ~ Days + (1 | Subject)", load("sleepstudy"))
    seen = []
    result = recovery_job(
        request("fitted", m.formula, 20, model=m), progress=lambda d, t: seen.append((d, t))
    )
    assert result.table.loc["Days", "truth"] == m.fixef["Days"]
    assert seen[-1] == (20, 20) and len(result.estimates) == 20


def test_a_formula_the_simulation_cannot_fit_says_so():
    outcome = recovery_job(request(formula="Reaction ~ Days + (1 | Subject)", nrep=3))
    assert isinstance(outcome, StudyFailure) and "could not run" in outcome.message


def test_one_histogram_per_parameter_with_truth_and_mean(study):
    figure = recovery_histograms(study)
    names = list(study.table.index)
    assert [t.name for t in figure.data] == names
    assert [a.text for a in figure.layout.annotations] == names
    for trace, name in zip(figure.data, names):
        np.testing.assert_array_equal(trace.x, study.estimates[name].to_numpy())
        assert len(trace.x) == 30
    shapes = figure.layout.shapes
    truths = [s.x0 for s in shapes if s.line.dash == "solid"]
    means = [s.x0 for s in shapes if s.line.dash == "dash"]
    np.testing.assert_array_equal(truths, study.table["truth"].to_numpy())
    np.testing.assert_array_equal(means, study.table["mean"].to_numpy())
    assert "30 simulated data sets" in figure.layout.title.text


def test_table_cells_are_the_results_numbers(study):
    shown = recovery_table(study)
    assert list(shown.columns) == ["Parameter", *COLUMNS.values()]
    assert shown["Parameter"].tolist() == list(study.table.index)
    for key, column in COLUMNS.items():
        for cell, value in zip(shown[column], study.table[key].to_numpy(dtype=float)):
            if key in ("coverage", "power"):
                assert cell == ("" if np.isnan(value) else f"{100 * value:.1f} %")
            else:  # 4 significant digits of the column's widest need, R's format
                assert float(cell) == pytest.approx(value, rel=5e-3, abs=5e-4)
    temp = shown.set_index("Parameter").loc["Temp"]
    assert temp["Coverage"] == percent(study.table.loc["Temp", "coverage"])
    assert shown.set_index("Parameter").loc["sigma", "Power"] == ""


def test_counts_line_names_what_ran(study):
    line = recovery_counts(study)
    assert line.startswith(f"{len(study.estimates)} of 30 replicate data sets fitted")
    assert "90 % Wald intervals" in line and "10 % level" in line and f"seed {study.seed}" in line
