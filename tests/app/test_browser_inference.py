"""The Intervals and Predictions panels in Chromium: a small bootstrap draws the band and the interval
table with lmmcore's numbers; a large one shows its progress moving, is cancelled, and the app answers a
new input at once; screenshots of both panels at 1400x1000 and 1024x768.

Screenshots go to pytest's temporary directory (``LMM_SCREENSHOT_DIR`` overrides it), for looking at.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from explorer import prediction_grid as pg
from playwright.sync_api import Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

import lmmcore
from tests.app.browser_pages import wait_for_plot

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

FIT_TIMEOUT = 60_000  # ms; the machine is shared, a fit and a small bootstrap take well under a second
DEFAULT = "Biomass ~ Temp + N + (1 + Temp | Site)"
SIZES = [(1400, 1000), (1024, 768)]


@pytest.fixture(autouse=True)
def _patient_expectations(page: Page):
    expect.set_options(timeout=FIT_TIMEOUT)
    page.set_default_timeout(FIT_TIMEOUT)


@pytest.fixture(scope="module")
def model():
    return lmmcore.fit(DEFAULT, lmmcore.datasets.load("biomass"))


def _open(page: Page, url: str, tab: str) -> None:
    page.goto(url)
    expect(page.locator(".lmm-fitted")).to_be_visible()
    page.get_by_role("tab", name=tab).click()


def _plot_data(page: Page, output_id: str) -> list[dict]:
    return page.evaluate(
        "id => { const kinds = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i2: Int16Array,"
        " i1: Int8Array, u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};"
        # plotly.py sends numpy arrays as {dtype, bdata} (base64); decode them as plotly.js does.
        " const values = v => !v ? [] : v.bdata ? Array.from(new kinds[v.dtype]("
        "Uint8Array.from(atob(v.bdata), c => c.charCodeAt(0)).buffer)) : Array.from(v);"
        " return document.querySelector('#' + id + ' .js-plotly-plot').data.map(t => ("
        "{name: t.name, mode: t.mode, x: values(t.x), y: values(t.y)})); }",
        output_id,
    )


def _interval(ends) -> str:
    """How the table shows an interval: ``[lower, upper]`` to 4 significant digits."""
    return f"[{ends.iloc[0]:.4g}, {ends.iloc[1]:.4g}]"


def test_small_bootstrap_draws_the_interval_table_and_the_band(page: Page, app, shots, model):
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, app.url, "Intervals")
    controller.InputNumeric(page, "intervals-nsim").set("100")
    task = page.locator("#intervals-simulation_task-progress")
    expect(task).to_contain_text("Done")
    expect(page.locator("#intervals-profile_task-progress")).to_contain_text("Done")
    table = page.locator("#intervals-table")
    expect(table).to_contain_text("Parametric bootstrap [2.5 %, 97.5 %]")
    expect(table).to_contain_text("Profile likelihood [2.5 %, 97.5 %]")
    boot = model.confint("boot", nsim=100, seed=1)
    profile = model.confint("profile")
    for name in ("sd_(Intercept)|Site", "sigma", "Temp"):
        first_cell = page.locator("td:first-child", has_text=re.compile(f"^{re.escape(name)}$"))
        row = page.locator("#intervals-table tr", has=first_cell)
        expect(row).to_contain_text(_interval(boot.loc[name]))
        expect(row).to_contain_text(_interval(profile.loc[name]))
    wait_for_plot(page, "intervals-intervals_plot", "p.layout.title.text.includes('(100 simulations)')")
    whiskers = [t for t in _plot_data(page, "intervals-intervals_plot") if t["mode"] == "lines"]
    names = {t["name"] for t in whiskers}
    assert names == {"Wald", "Profile likelihood", "Parametric bootstrap", "Posterior simulation"}
    wait_for_plot(page, "intervals-zeta_plot")
    assert len(_plot_data(page, "intervals-zeta_plot")) == len(profile)
    page.screenshot(path=shots / "intervals_1400x1000.png", full_page=True)

    page.get_by_role("tab", name="Predictions").click()
    controller.InputNumeric(page, "predictions-nsim").set("100")
    expect(page.locator("#predictions-band_task-progress")).to_contain_text("Done")
    wait_for_plot(page, "predictions-prediction_plot", "p.layout.title.text.endsWith('(100 refits)')")
    drawn = {t["name"]: t for t in _plot_data(page, "predictions-prediction_plot")}
    used = lmmcore.datasets.load("biomass").loc[model.row_index]
    info = pg.model_predictors(model.design.formula, used)
    plan = pg.plan(info, used, model.design.y, "Temp", (), None)
    band = model.predict_band(plan.grid, nsim=100, seed=1)
    np.testing.assert_allclose(drawn["population"]["y"], band["fit"], rtol=1e-12)
    np.testing.assert_allclose(drawn["population: upper"]["y"], band["upper"], rtol=1e-12)
    np.testing.assert_allclose(drawn["population: lower"]["y"], band["lower"], rtol=1e-12)
    assert len(drawn["data"]["y"]) == model.nobs
    page.screenshot(path=shots / "predictions_1400x1000.png", full_page=True)


def _progress(page: Page, task_id: str) -> tuple[int, int] | None:
    label = page.locator(f"#{task_id}-progress .lmm-task-label")
    if label.count() == 0:
        return None
    text = label.first.inner_text()
    if " / " not in text:
        return None
    done, rest = text.split(" / ", 1)
    return int(done), int(rest.split(" ", 1)[0])


def test_large_bootstrap_shows_progress_is_cancelled_and_the_app_answers_at_once(page: Page, app, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, app.url, "Intervals")
    controller.InputNumeric(page, "intervals-nsim").set("10000")
    task = "intervals-simulation_task"
    readings = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        reading = _progress(page, task)
        # Readings start with the 10,000-draw task: the panel's first task (the default nsim) may still be
        # showing its own progress when the new nsim arrives.
        ours = readings or (reading is not None and reading[1] == 10_000)
        if reading is not None and ours and (not readings or reading != readings[-1]):
            readings.append(reading)
        if len({done for done, _ in readings if done > 0}) >= 2:
            break
        time.sleep(0.1)
    assert len({done for done, _ in readings if done > 0}) >= 2, readings  # the bar moved
    assert all(total == 10_000 for _, total in readings)
    expect(page.locator(f"#{task}-progress")).to_contain_text("left")
    page.screenshot(path=shots / "intervals_progress.png", full_page=True)

    started = time.monotonic()
    page.locator(f"#{task}-cancel").click()
    expect(page.locator(f"#{task}-progress")).to_contain_text("Cancelled")
    cancel_seconds = time.monotonic() - started
    print(f"cancel to 'Cancelled' shown: {cancel_seconds * 1000:.0f} ms")
    _record(shots, "cancel_to_cancelled_ms", cancel_seconds * 1000)
    assert cancel_seconds < 10  # a pathology bound; the 0.5 s target is measured in the benchmark
    expect(page.locator(f"#{task}-retry")).to_be_enabled()

    # A new input is answered at once: the Wald intervals (no long task) redraw at the new level.
    started = time.monotonic()
    controller.InputNumeric(page, "intervals-level").set("0.9")
    wait_for_plot(page, "intervals-intervals_plot", "p.layout.title.text.startsWith('0.9 ')")
    answer_seconds = time.monotonic() - started
    _record(shots, "new_level_after_cancel_ms", answer_seconds * 1000)
    assert answer_seconds < 10
    expect(page.locator(f"#{task}-progress")).to_contain_text("Cancelled")  # not restarted by itself


def _record(shots: Path, name: str, value: float) -> None:
    log = shots / "inference_timings.json"
    data = json.loads(log.read_text()) if log.exists() else {}
    data[name] = value
    log.write_text(json.dumps(data, indent=1))


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_both_panels(page: Page, app, shots, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    _open(page, app.url, "Intervals")
    controller.InputNumeric(page, "intervals-nsim").set("200")
    expect(page.locator("#intervals-simulation_task-progress")).to_contain_text("Done")
    wait_for_plot(page, "intervals-zeta_plot")
    wait_for_plot(page, "intervals-intervals_plot", "p.data.filter(t => t.mode === 'lines').length === 7")
    page.locator("#intervals-intervals_plot").screenshot(path=shots / f"intervals_plot_{width}x{height}.png")
    page.locator(".lmm-interval-table").screenshot(path=shots / f"intervals_table_{width}x{height}.png")
    page.locator("#intervals-zeta_plot").screenshot(path=shots / f"zeta_{width}x{height}.png")
    page.screenshot(path=shots / f"intervals_{width}x{height}.png")
    page.get_by_role("tab", name="Predictions").click()
    controller.InputSelect(page, "predictions-group").set("Site")
    wait_for_plot(
        page, "predictions-prediction_plot", "p.data.some(t => (t.name || '').includes('conditional'))"
    )
    page.locator("#predictions-prediction_plot").screenshot(
        path=shots / f"predictions_plot_{width}x{height}.png"
    )
    page.screenshot(path=shots / f"predictions_{width}x{height}.png")


def test_a_new_model_never_shows_the_old_models_results(page: Page, app, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, app.url, "Intervals")
    controller.InputNumeric(page, "intervals-nsim").set("300")
    table = page.locator("#intervals-table")
    expect(table).to_contain_text("Parametric bootstrap")  # the default model's bootstrap is shown
    old_tag = page.locator("#intervals-intervals_plot").get_attribute("data-fit")
    controller.InputNumeric(page, "intervals-nsim").set("10000")
    page.wait_for_function(
        "() => /[1-9][0-9]* \\/ 10000/.test(document.querySelector("
        "'#intervals-simulation_task-progress')?.innerText || '')"
    )

    formula = page.locator("#model-formula")
    formula.fill("Biomass ~ Temp + (1 | Site)")
    formula.press("Enter")
    expect(page.locator(".lmm-fitted")).to_contain_text("Biomass ~ Temp + (1 | Site)")
    page.wait_for_function(
        "old => { const p = document.querySelector('#intervals-intervals_plot');"
        " return p && p.dataset.fit && p.dataset.fit !== old; }",
        arg=old_tag,
    )
    # The new model's table: its own parameters, and no simulation method until its own bootstrap ends.
    first_cells = table.locator("td:first-child")
    expect(first_cells).to_have_text(["sd_(Intercept)|Site", "sigma", "(Intercept)", "Temp"])
    expect(table).not_to_contain_text("Parametric bootstrap")
    expect(table).not_to_contain_text("cor_Temp")
    progress = page.locator("#intervals-simulation_task-progress")
    expect(progress).to_contain_text("/ 10000")
    page.locator("#intervals-simulation_task-cancel").click()
    expect(progress).to_contain_text("Cancelled")
    expect(table).not_to_contain_text("Parametric bootstrap")


def test_forged_input_values_get_a_message_naming_the_input(page: Page, app):
    """Values a normal control cannot send (a list, a huge number, an unknown name), set through Shiny's
    JavaScript as a forged WebSocket message would: each panel names the input, and recovers."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, app.url, "Intervals")
    expect(page.locator("#intervals-profile_task-progress")).to_contain_text("Done")
    forge = "([id, value]) => Shiny.setInputValue(id, value, {priority: 'event'})"
    error = page.locator("#intervals-settings_error")
    page.evaluate(forge, ["intervals-nsim", [1, 2]])
    expect(error).to_contain_text("Simulations (nsim) must be a number")
    page.evaluate(forge, ["intervals-level", 10**30])
    expect(error).to_contain_text("Confidence level must be greater than 0.5 and less than 0.999")
    controller.InputNumeric(page, "intervals-level").set("0.8")
    controller.InputNumeric(page, "intervals-nsim").set("50")
    expect(error).to_be_empty()
    expect(page.locator("#intervals-table")).to_contain_text("Parametric bootstrap [10 %, 90 %]")

    page.get_by_role("tab", name="Predictions").click()
    wait_for_plot(page, "predictions-prediction_plot")
    messages = page.locator("#predictions-messages")
    page.evaluate(forge, ["predictions-x", "<img src=x onerror=alert(1)>"])
    expect(messages).to_contain_text("Unknown Predictor on the x axis: <img src=x onerror=alert(1)>.")
    page.evaluate(forge, ["predictions-x", "Temp"])
    expect(messages).to_be_empty()
    page.evaluate(forge, ["predictions-levels", {"a": 1}])
    expect(messages).to_contain_text("Factor levels of the curves must be a list of names")
    page.evaluate(forge, ["predictions-levels", []])
    expect(messages).to_be_empty()
    expect(page.locator("#predictions-band_task-progress")).to_contain_text("Done")
