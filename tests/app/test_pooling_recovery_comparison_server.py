"""The Pooling, Recovery and Compare models panels in shiny's in-memory test server (no browser): forged
input values (a dict, a list, a huge number, an unknown name, a huge text) are refused with a message naming
the input, and the session keeps answering: pooling redraws, a recovery study and a comparison run."""

from __future__ import annotations

import json
import time

import pytest
from explorer import engine
from shiny.testserver import test_server

from tests.app.shiny_sessions import fresh_reactive_lock, in_own_thread, load_app  # noqa: F401 (a fixture)
from tests.app.test_server_logic import _initial_inputs
from tests.refs import load_reference

TIMEOUT = 90.0


@pytest.fixture
def app():
    """A fresh App per test: an App holds asyncio locks bound to the loop of its first session."""
    return load_app("lmm_explorer_app_studies")


def _panel_inputs() -> dict:
    """The three panels' controls at their initial values, as the page sends them. Buttons are left out:
    the test server passes a click count as a plain number, and an event on it would take 0 for a click."""
    inputs = {"pooling-group": "", "pooling-x": "", "pooling-levels": ()}
    inputs |= {"recovery-truth": "fitted", "recovery-nrep": 200, "recovery-seed": 1, "recovery-level": 0.95}
    return inputs | {"compare-name": "", "compare-compare": ()}


def _until(ts, output: str, done, timeout: float = TIMEOUT):
    """Flush until ``done(text)`` holds for the output's value as text (work runs in worker processes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = ts.get_output(output)
        text = "" if value.value is None else json.dumps(value.value, default=str)
        if value.status == "ok" and done(text):
            return value.value
        if time.monotonic() > deadline:
            raise AssertionError(f"{output} never settled: {value!r}")
        time.sleep(0.05)
        ts.flush()


def _shown_text(ts, output: str) -> str:
    """An output's HTML as text ("" when it shows nothing)."""
    value = ts.get_output(output).value
    return "" if value is None else json.dumps(value, default=str)


def _traces(value) -> int:
    return len(json.loads(value["figure"])["data"])


@pytest.mark.usefixtures("fresh_reactive_lock")
def test_forged_inputs_are_refused_and_the_panels_keep_working(app):
    in_own_thread(_scenario, app)


def _scenario(app):
    ref = load_reference("lrt_sleepstudy")
    with test_server(app, timeout_secs=TIMEOUT) as ts:
        ts.set_inputs(**_initial_inputs(), **_panel_inputs())
        _until(ts, "fit-status", lambda t: "100 observations" in t)
        ts.set_inputs(**{"pooling-group": "Site", "pooling-x": "Temp", "recovery-nrep": 20})
        # neither study starts before its panel is opened: a worker is never spent on a view nobody sees
        for _ in range(20):
            time.sleep(0.05)
            ts.flush()
        assert not _shown_text(ts, "pooling-task-progress") and not _shown_text(ts, "recovery-task-progress")
        ts.set_inputs(tabs="pooling")
        assert _traces(_until(ts, "pooling-grid", lambda t: "figure" in t)) == 80
        assert "Done" in _shown_text(ts, "pooling-task-progress")
        assert not _shown_text(ts, "recovery-task-progress")
        ts.set_inputs(tabs="recovery")

        for forged, message in (
            ({"a": 1}, "Grouping factor must be one name"),
            ("Nope", "Unknown Grouping factor: Nope"),
        ):
            ts.set_inputs(**{"pooling-group": forged})
            _until(ts, "pooling-message", lambda t, m=message: m in t)
        ts.set_inputs(**{"pooling-group": "Site", "pooling-levels": [1, 2]})
        _until(ts, "pooling-message", lambda t: "Groups shown must be a list of names" in t)
        ts.set_inputs(**{"pooling-levels": ["Site3", "Site7"]})
        # the two chosen groups' panels, 4 traces each (the earlier grid of all 20 also names Site7)
        _until(ts, "pooling-grid", lambda t: "Site7" in t and _traces(json.loads(t)) == 8)

        _until(ts, "recovery-counts", lambda t: "20 of 20 replicate data sets fitted" in t)
        for name, forged, message in (
            ("recovery-nrep", [10**9], "Replicates (K) must be a number"),
            ("recovery-nrep", 10**12, "Replicates (K) must be between 1 and 1000"),
            ("recovery-level", "0.9999", "Confidence level must be greater than 0.5 and less than 0.999"),
            ("recovery-seed", -3, "Seed must be between 0 and 4294967295"),
            ("recovery-truth", "<script>", "Unknown Truth"),
        ):
            ts.set_inputs(**{name: forged})
            _until(ts, "recovery-settings_error", lambda t, m=message: m in t)
            ts.set_inputs(**_panel_inputs() | {"recovery-nrep": 20, "pooling-group": "Site"})
        _until(ts, "recovery-counts", lambda t: "20 of 20" in t)

        ts.set_inputs(**{"compare-name": "x" * 5000, "compare-pin": 1})
        _until(ts, "compare-pin_message", lambda t: "Name (optional) is too long" in t)
        ts.set_inputs(**{"compare-compare": {"1": True}})
        _until(ts, "compare-comparison", lambda t: "No pinned models yet" in t)

        # the session still works: two sleepstudy models pinned and compared give lme4's anova
        ts.set_inputs(**{"data-example": "sleepstudy", "model-formula": ref["formulas"][0]})
        _until(ts, "fit-status", lambda t: f"{ref['formulas'][0]} by REML: 180 observations" in t)
        ts.set_inputs(**{"compare-name": "intercepts", "compare-pin": 2})
        _until(ts, "compare-pinned", lambda t: "intercepts" in t)
        ts.set_inputs(**{"model-formula": ref["formulas"][1]})
        _until(ts, "fit-status", lambda t: f"{ref['formulas'][1]} by REML: 180 observations" in t)
        ts.set_inputs(**{"compare-name": "", "compare-pin": 3})
        _until(ts, "compare-pinned", lambda t: ref["formulas"][1].replace("|", "") in t.replace("|", ""))
        ts.set_inputs(**{"compare-compare": ["1", "2"]})
        shown = _until(ts, "compare-comparison", lambda t: "42.139" in t)
        assert "7.072e-10 ***" in json.dumps(shown) and "intercepts" in json.dumps(shown)
        assert engine.DEFAULT_FORMULA not in json.dumps(shown)
