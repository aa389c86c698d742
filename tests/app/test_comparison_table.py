"""Pinned models and their comparison table: lme4's anova, rows labelled with the user's names, cells as R
prints them."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from explorer.study_jobs import ComparisonRequest, StudyFailure, comparison_job
from explorer.tables.comparison import (
    MAX_PINNED,
    comparability,
    data_name,
    format_comparison,
    pin_model,
    pinned_table,
    unique_label,
)

import lmmcore
from lmmcore.datasets import load
from tests.refs import load_reference

SLEEP = ("example", "sleepstudy")


@cache
def fitted(formula: str, data: str = "sleepstudy"):
    return lmmcore.fit(formula, load(data))


def pin(pinned, name, formula, data_key=SLEEP, data="sleepstudy", label=None):
    return pin_model(pinned, name, formula, True, data_key, label or data, fitted(formula, data))


def test_pins_are_named_by_the_user_or_their_formula():
    pinned = pin((), "  ", "Reaction ~ Days + (1 | Subject)")
    pinned = pin(pinned, "slopes", "Reaction ~ Days + (Days | Subject)")
    pinned = pin(pinned, "slopes", "Reaction ~ Days + (Days || Subject)")
    assert [p.name for p in pinned] == ["Reaction ~ Days + (1 | Subject)", "slopes", "slopes (2)"]
    assert [p.pin for p in pinned] == [1, 2, 3]
    table = pinned_table(pinned, SLEEP)
    assert table["Name"].tolist() == [p.name for p in pinned]
    assert table["Observations"].tolist() == [180] * 3
    assert table["logLik"].iloc[1] == f"{fitted('Reaction ~ Days + (Days | Subject)').loglik:.2f}"
    assert (table["Method"] == "REML").all()
    assert unique_label("a", {"a", "a (2)"}) == "a (3)"


def test_the_list_is_bounded():
    pinned = ()
    for k in range(MAX_PINNED + 2):
        pinned = pin(pinned, f"m{k}", "Reaction ~ Days + (1 | Subject)")
    assert len(pinned) == MAX_PINNED and pinned[0].name == "m2" and pinned[-1].pin == MAX_PINNED + 2


def test_models_on_other_data_are_shown_but_not_comparable():
    pinned = pin((), "sleep", "Reaction ~ Days + (1 | Subject)")
    pinned = pin(pinned, "dye", "Yield ~ 1 + (1 | Batch)", ("example", "Dyestuff"), "Dyestuff")
    table = pinned_table(pinned, SLEEP)
    assert table["Data"].tolist() == ["sleepstudy", "Dyestuff (other data)"]
    reason = comparability(list(pinned))
    assert "'dye' (Dyestuff)" in reason and "different data" in reason
    assert "two or more" in comparability(list(pinned[:1]))
    assert comparability([pinned[0], pin(pinned, "x", "Reaction ~ Days + (Days | Subject)")[-1]]) is None


def test_comparison_equals_lme4s_anova_with_the_users_names():
    """lme4's anova(m0, m1) of sleepstudy (1 | Subject) vs (Days | Subject), refitted by ML: rows by npar,
    labelled with the pins' names; numbers to 1e-6 relative (the ML refits reach lme4's deviance to ~1e-9)."""
    ref = load_reference("lrt_sleepstudy")
    pinned = pin((), "", ref["formulas"][1])
    pinned = pin(pinned, "random intercepts", ref["formulas"][0])
    outcome = comparison_job(
        ComparisonRequest(
            (2, 1), ("random intercepts", ref["formulas"][1]), models=(pinned[1].result, pinned[0].result)
        )
    )
    assert list(outcome.index) == ["random intercepts", ref["formulas"][1]]
    for ours, theirs in (("AIC", "AIC"), ("BIC", "BIC"), ("logLik", "logLik"), ("deviance", "deviance")):
        np.testing.assert_allclose(outcome[ours], ref[theirs], rtol=1e-6)
    assert outcome["Chisq"].iloc[1] == pytest.approx(ref["Chisq"][1], rel=1e-6)
    assert outcome["Pr(>Chisq)"].iloc[1] == pytest.approx(ref["p"][1], rel=1e-5)
    shown = format_comparison(outcome)
    assert shown.iloc[1].tolist() == [
        ref["formulas"][1],
        "6",
        "1763.9",
        "1783.1",
        "-875.97",
        "1751.9",
        "42.139",
        "2",
        "7.072e-10 ***",
    ]
    assert shown.iloc[0, -3:].tolist() == ["", "", ""]


@pytest.mark.parametrize("name", ["lrt_sleepstudy_named", "lrt_sleepstudy_same_npar"])
def test_cells_are_those_lme4_prints(name):
    """Named models (three nested; two with as many parameters, no p-value): every row of R's printed anova
    table, cell by cell."""
    ref = load_reference(name)
    models = tuple(fitted(f) for f in ref["formulas"])
    pins = tuple(range(1, len(models) + 1))
    shown = format_comparison(comparison_job(ComparisonRequest(pins, tuple(ref["names"]), models=models)))
    printed = [line.split() for line in ref["printed"][-len(models) :]]
    for row, line in zip(shown.itertuples(index=False), printed):
        cells = [cell for cell in row if cell]
        expected = line if len(line) < 9 else line[:8] + [" ".join(line[8:])]
        assert cells == expected


def test_incomparable_fits_come_back_as_a_message():
    small = fitted("Reaction ~ Days + (1 | Subject)")
    logged = fitted("log(Reaction) ~ Days + (1 | Subject)")
    outcome = comparison_job(ComparisonRequest((1, 2), ("a", "b"), models=(small, logged)))
    assert isinstance(outcome, StudyFailure) and "different responses" in outcome.message


def test_data_are_named_shortly_by_their_key():
    simulated = ("simulate", ("cor", 0.0), ("n_sites", 20), ("seed", 7))
    assert (
        data_name(simulated, "Simulated biomass: 20 sites x 5 samples, seed 7") == "simulated biomass, seed 7"
    )
    assert data_name(("example", "Pastes"), "Pastes: long description") == "Pastes"
    assert data_name(("upload", "my.csv", "ab12"), "Uploaded my.csv: comma separated") == "upload my.csv"
    pinned = pin((), "", "Reaction ~ Days + (1 | Subject)", label="sleepstudy: Reaction time (ms) of 18 ...")
    assert pinned[0].data_label == "sleepstudy"
