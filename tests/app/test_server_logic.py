"""The whole server in shiny's in-memory test server (no browser): inputs as a browser would first send
them, then changes; the summary must always answer the current inputs."""

from __future__ import annotations

import itertools
import time

import pytest
from explorer import engine
from shiny.testserver import test_server

import lmmcore
from tests.app.shiny_sessions import fresh_reactive_lock, in_own_thread, load_app, settled  # noqa: F401 (a fixture)


@pytest.fixture
def app():
    """A fresh App per test: an App holds asyncio locks bound to the loop of its first session."""
    return load_app()


def _initial_inputs() -> dict:
    """What the page sends on connecting: every control at its initial value."""
    inputs = {f"data-{k}": v for k, v in engine.simulation_defaults().items()}
    inputs |= {
        "data-source": "examples",
        "data-example": "biomass",
        "data-new_draw": 0,
        "model-formula": engine.DEFAULT_FORMULA,
        "model-method": "REML",
        "model-response": "Biomass",
        "model-fixed": ("Temp", "N"),
        "model-interactions": (),
        "tabs": "summary",
    }
    for k in (1, 2, 3):
        inputs |= {
            f"model-re{k}_group": "Site" if k == 1 else "",
            f"model-re{k}_struct": "correlated" if k == 1 else "intercept",
            f"model-re{k}_slopes": ("Temp",) if k == 1 else (),
            f"model-re{k}_inner": "",
        }
    return inputs


def _criteria_while_answering(ts, label: str, answer: str, timeout: float = 60.0) -> list:
    """The criterion shown in each snapshot, flushing in between, from the first whose fit status names the
    request ``label`` (the server has handled it) up to the first showing ``answer``. A snapshot can fall
    inside a flush, so the status may name the fitted request one snapshot before the criterion follows."""
    shown = []
    deadline = time.monotonic() + timeout
    while True:
        status = str(ts.get_output("fit-status").value)
        crit = ts.get_output("summary-crit").value
        if shown or label in status:
            shown.append(crit)
            if crit == answer:
                return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{answer!r} never shown for {label}: {status}, {shown}")
        time.sleep(0.05)
        ts.flush()


@pytest.mark.usefixtures("fresh_reactive_lock")
def test_summary_answers_the_current_inputs_and_survives_a_bad_formula(app):
    in_own_thread(_scenario, app)


def _scenario(app):
    data = lmmcore.datasets.load("biomass")
    slopes = lmmcore.fit(engine.DEFAULT_FORMULA, data, reml=True)
    simpler = "Biomass ~ Temp + N + (1 | Site)"
    intercepts_ml = lmmcore.fit(simpler, data, reml=False)
    fixed_n = lmmcore.fit("Biomass ~ N + (1 | Site)", data, reml=True)
    with test_server(app, timeout_secs=60) as ts:
        ts.set_inputs(**_initial_inputs())
        crit = settled(ts, "summary-crit", lambda v: v.startswith("REML"))
        assert crit == f"REML criterion at convergence: {slopes.criterion:.4f}"

        ts.set_inputs(**{"model-formula": simpler, "model-method": "ML"})
        crit = settled(ts, "summary-crit", lambda v: v.startswith("Deviance"))
        assert crit == f"Deviance: {intercepts_ml.criterion:.4f}"
        # A snapshot can fall inside a flush: wait for the status rather than read it with the criterion.
        settled(ts, "fit-status", lambda v: f"{simpler} by ML" in str(v))

        ts.set_inputs(**{"model-formula": "Biomass ~ Temp + (1 | ", "model-method": "REML"})
        message = settled(ts, "summary-message", lambda v: v is not None)
        assert "grouping factor" in str(message)
        settled(ts, "summary-crit", lambda v: v == "")

        ts.set_inputs(**{"model-formula": "Biomass ~ N + (1 | Site)"})
        crit = settled(ts, "summary-crit", lambda v: v.startswith("REML"))
        assert crit == f"REML criterion at convergence: {fixed_n.criterion:.4f}"

        # Two quick edits: the first fit's answer must never be shown as the answer to the second. The
        # test server's outputs have no "in progress" state (a browser greys the old value), so a round
        # counts only when the first fit was not shown yet when the server handled the second edit. That
        # moment is the first snapshot whose status names the second request: set_inputs can return before
        # its update is handled, and until then showing the first fit is right (under load the first fit
        # then came back after set_inputs returned, which the check took for a stale answer).
        rounds = [
            "Biomass ~ Temp + (1 | Site)",
            "Biomass ~ Temp + N + (1 | Site)",
            "Biomass ~ N + (N || Site)",
        ]
        exercised = False
        for first_formula in rounds:
            first = f"REML criterion at convergence: {lmmcore.fit(first_formula, data).criterion:.4f}"
            ts.set_inputs(**{"model-formula": first_formula})
            ts.set_inputs(**{"model-formula": engine.DEFAULT_FORMULA})
            answer = f"REML criterion at convergence: {slopes.criterion:.4f}"
            shown = _criteria_while_answering(ts, f"{engine.DEFAULT_FORMULA} by REML", answer)
            if shown[0] == first:
                continue  # the first fit was back before the second edit was handled: no race this round
            assert first not in shown, shown
            exercised = True
            break
        assert exercised, "every first fit finished before the second edit: the race was never exercised"

        # A failed request's message goes as soon as the next request starts (not greyed until its fit).
        ts.set_inputs(**{"model-formula": "Biomass ~ Temp + (1 | "})
        settled(ts, "summary-message", lambda v: v is not None and "grouping factor" in str(v))
        ts.set_inputs(**{"model-formula": "Biomass ~ Tmp + (1 | Site)"})
        # Every message shown until the new request's own error: right after the old one comes none (the
        # new request has started, its fit is held by the debounce), never the old one lingering until the
        # new fit's answer replaces it. (Reading the message once, right after set_inputs or with the status,
        # raced: set_inputs can return before its update is handled, and a snapshot can fall inside a flush.)
        messages = []
        settled(ts, "summary-message", lambda v: messages.append(v) or (v is not None and "Tmp" in str(v)))
        after_old = list(itertools.dropwhile(lambda v: "grouping factor" in str(v), messages))
        assert after_old[0] is None, messages

        # New data: the formula for them is used in the same step. The test server never echoes the
        # field's update, so the old formula would be fitted to sleepstudy ('unknown column Biomass').
        sleep_formula = lmmcore.datasets.describe("sleepstudy").formula
        sleep = lmmcore.fit(sleep_formula, lmmcore.datasets.load("sleepstudy"))
        ts.set_inputs(**{"data-source": "examples", "data-example": "sleepstudy"})
        # The first status naming sleepstudy's response; with the old formula it would say 'Fitting Biomass
        # ~ ...' (never 'Reaction') or 'unknown column Biomass; ... Reaction ...'.
        status = str(settled(ts, "fit-status", lambda v: "Reaction" in str(v)))
        assert "Biomass" not in status
        settled(ts, "summary-message", lambda v: v is None)
        crit = settled(ts, "summary-crit", lambda v: v.startswith("REML") and v != "")
        assert crit == f"REML criterion at convergence: {sleep.criterion:.4f}"

        # An impossible simulation keeps the last valid data, and the main pane says so in users' words.
        assert ts.get_output("data-notice").value is None
        ts.set_inputs(**{"data-source": "simulate", "data-n_sites": 1})
        notice = str(settled(ts, "data-notice", lambda v: v is not None))
        assert "Showing the last valid data set (sleepstudy" in notice
        assert "Number of sites must be between 2 and 2000 (got 1)" in notice
        assert ts.get_output("summary-crit").value == crit
        ts.set_inputs(**{"data-n_sites": 20})
        settled(ts, "data-notice", lambda v: v is None)
        assert ts.is_ok


@pytest.mark.usefixtures("fresh_reactive_lock")
def test_a_fit_out_of_time_says_what_to_simplify_and_retry_fits_it(app, monkeypatch):
    in_own_thread(_out_of_time_scenario, app, monkeypatch)


def _out_of_time_scenario(app, monkeypatch):
    # No fit finishes within a microsecond: the worker is stopped at the budget and the message shown.
    monkeypatch.setenv("LMM_FIT_BUDGET_SECONDS", "0.000001")
    expected = lmmcore.fit(engine.DEFAULT_FORMULA, lmmcore.datasets.load("biomass"), reml=True)
    with test_server(app, timeout_secs=60) as ts:
        ts.set_inputs(**_initial_inputs())
        status = str(settled(ts, "fit-status", lambda v: "did not finish" in str(v)))
        assert "The fit did not finish within 1e-06 s: simplify the model (fewer random slopes" in status
        assert 'id="fit-retry"' in status
        monkeypatch.setenv("LMM_FIT_BUDGET_SECONDS", "30")
        ts.set_inputs(**{"fit-retry": 1})
        crit = settled(ts, "summary-crit", lambda v: v.startswith("REML"))
        assert crit == f"REML criterion at convergence: {expected.criterion:.4f}"
        assert "fitted in" in str(settled(ts, "fit-status", lambda v: "fitted in" in str(v)))
