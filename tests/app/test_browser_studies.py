"""End to end in Chromium: the Pooling, Recovery and Compare models panels.

Pooling draws one panel per group of the default model, Recovery the requested number of replicates, and a
model pinned, changed, pinned again and compared shows lme4's likelihood-ratio test. Screenshots of each
panel at 1400x1000 and 1024x768 go to pytest's temporary directory (``LMM_SCREENSHOT_DIR`` overrides it);
they are for looking at, never committed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

from tests.app.browser_pages import wait_for_plot
from tests.refs import load_reference

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

TIMEOUT = 90_000  # ms: a fit plus a study on a shared 2-core machine
SIZES = {"wide": (1400, 1000), "small": (1024, 768)}
# How many values an array of a drawn trace holds: plotly sends numpy arrays as base64 ({dtype, bdata}).
SAMPLES = "(a => a.length ?? atob(a.bdata).length / {f8: 8, f4: 4, i4: 4}[a.dtype])"


@pytest.fixture(autouse=True)
def _patient_expectations(page: Page):
    """Every wait may last as long as a study on a busy machine; each ends as soon as its condition holds."""
    expect.set_options(timeout=TIMEOUT)
    page.set_default_timeout(TIMEOUT)


def _screens(page: Page, shots: Path, name: str, ready, parts: tuple[str, ...] = ()) -> None:
    """Screenshots at both sizes, each once the panel has redrawn at that size: the window, and each of
    ``parts`` (element ids) whole, as the panel scrolls inside the page."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        ready()
        page.wait_for_timeout(400)  # plotly's resize redraw
        page.screenshot(path=shots / f"{name}_{size}.png", full_page=True)
        for part in parts:
            page.locator(f"#{part}").screenshot(path=shots / f"{name}_{size}_{part}.png")
    page.set_viewport_size({"width": 1400, "height": 1000})


def _fit(page: Page, formula: str) -> None:
    page.locator("#model-formula").fill(formula)
    page.locator("#model-formula").press("Enter")
    expect(page.locator("#fit-status .lmm-fitted")).to_contain_text(formula)


def test_pooling_draws_every_group_and_recovery_every_replicate(page: Page, app, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    expect(page.locator("#fit-status .lmm-fitted")).to_contain_text("100 observations")

    page.get_by_role("tab", name="Pooling").click()
    # the default model: 20 sites, each a panel of points and three lines
    wait_for_plot(page, "pooling-grid", "p.data.length === 80 && p.layout.annotations.length === 20")
    names = page.evaluate(
        "() => document.querySelector('#pooling-grid .js-plotly-plot').layout.annotations.map(a => a.text)"
    )
    assert sorted(names) == sorted(f"Site{k}" for k in range(1, 21))
    wait_for_plot(page, "pooling-shrinkage", "p.data.length === 3 && p.layout.annotations.length === 20")
    controller.InputSelect(page, "pooling-x").expect_selected("Temp")
    controller.InputSelectize(page, "pooling-levels").set(["Site3", "Site7"])
    wait_for_plot(page, "pooling-grid", "p.data.length === 8 && p.layout.annotations.length === 2")
    controller.InputSelectize(page, "pooling-levels").set([])
    wait_for_plot(page, "pooling-grid", "p.data.length === 80")
    _screens(
        page,
        shots,
        "pooling",
        lambda: wait_for_plot(page, "pooling-grid", "p.data.length === 80"),
        ("pooling-grid", "pooling-shrinkage"),
    )

    # Penicillin: two crossed grouping factors and no numeric predictor: no lines, said plainly, and the
    # shrinkage of the chosen factor's intercepts
    page.get_by_role("tab", name="Examples").click()
    controller.InputSelect(page, "data-example").set("Penicillin")
    expect(page.locator("#pooling-message")).to_contain_text("no numeric predictor")
    controller.InputSelect(page, "pooling-group").expect_choice_labels(["plate", "sample"])
    controller.InputSelect(page, "pooling-group").set("sample")
    wait_for_plot(page, "pooling-shrinkage", "p.data.length === 2 && p.layout.annotations.length === 6")
    expect(page.locator("#pooling-grid")).to_be_hidden()
    _screens(
        page,
        shots,
        "pooling_crossed",
        lambda: wait_for_plot(page, "pooling-shrinkage", "p.layout.annotations.length === 6"),
        ("pooling-shrinkage",),
    )
    controller.InputSelect(page, "data-example").set("biomass")
    expect(page.locator("#fit-status .lmm-fitted")).to_contain_text("100 observations")

    page.get_by_role("tab", name="Recovery").click()
    controller.InputNumeric(page, "recovery-nrep").set("60")
    counts = page.locator("#recovery-counts")
    expect(counts).to_contain_text("60 of 60 replicate data sets fitted")
    # one histogram per parameter of the default model, each of the 60 replicates' estimates
    every_replicate = f"p.data.every(t => {SAMPLES}(t.x) === 60)"
    wait_for_plot(page, "recovery-histograms", f"p.data.length === 7 && {every_replicate}")
    table = page.locator("#recovery-table")
    for name in ("(Intercept)", "Temp", "N", "sd_(Intercept)|Site", "sigma"):
        expect(table).to_contain_text(name)
    expect(table).to_contain_text("Coverage")
    _screens(
        page,
        shots,
        "recovery",
        lambda: wait_for_plot(page, "recovery-histograms", "p.data.length === 7"),
        ("recovery-histograms",),
    )

    controller.InputNumeric(page, "recovery-nrep").set("5000")
    expect(page.locator("#recovery-settings_error")).to_contain_text(
        "Replicates (K) must be between 1 and 1000"
    )

    # the simulation's parameters as the truth: only for simulated data, then the Temp effect set there
    controller.InputNumeric(page, "recovery-nrep").set("40")
    controller.InputRadioButtons(page, "recovery-truth").set("simulation")
    expect(page.locator("#recovery-settings_error")).to_contain_text("were not simulated")
    page.get_by_role("tab", name="Simulate").click()
    controller.InputNumeric(page, "data-temp_effect").set("0.7")
    expect(counts).to_contain_text("40 of 40 replicate data sets fitted")
    temp = page.locator("#recovery-table tr", has_text="Temp").first
    expect(temp.locator("td").nth(1)).to_have_text("0.7")

    # a large study shows its progress and stops on Cancel; the next settings run at once
    controller.InputNumeric(page, "recovery-nrep").set("1000")
    expect(page.locator("#recovery-task-progress")).to_contain_text("/ 1000")
    page.locator("#recovery-task-cancel").click()
    expect(page.locator("#recovery-task-progress")).to_contain_text("Cancelled")
    controller.InputNumeric(page, "recovery-nrep").set("20")
    expect(counts).to_contain_text("20 of 20 replicate data sets fitted")


def test_a_model_pinned_changed_and_compared_gives_lme4s_lrt(page: Page, app, shots):
    """sleepstudy (1 | Subject) pinned as "intercepts", then (Days | Subject) pinned under its formula:
    lme4's anova(m0, m1) (refitted by ML): Chisq 42.139 on 2 df, p = 7.072e-10."""
    ref = load_reference("lrt_sleepstudy")
    small, large = ref["formulas"]
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    expect(page.locator("#fit-status .lmm-fitted")).to_contain_text("100 observations")
    page.get_by_role("tab", name="Examples").click()
    controller.InputSelect(page, "data-example").set("sleepstudy")
    controller.InputText(page, "model-formula").expect_value(large)
    _fit(page, small)

    page.get_by_role("tab", name="Compare models").click()
    page.locator("#compare-name").fill("intercepts")
    page.locator("#compare-pin").click()
    pinned = page.locator("#compare-pinned")
    expect(pinned).to_contain_text("intercepts")
    expect(page.locator("#compare-comparison")).to_contain_text("Select two or more")

    _fit(page, large)
    page.locator("#compare-pin").click()
    expect(pinned).to_contain_text(large)
    controller.InputCheckboxGroup(page, "compare-compare").set(["1", "2"])
    table = page.locator("#compare-comparison table")
    expect(table).to_contain_text("42.139")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("intercepts")
    expect(rows.nth(1)).to_contain_text(large)
    cells = [c.strip() for c in rows.nth(1).locator("td").all_inner_texts()]
    assert cells == [large, "6", "1763.9", "1783.1", "-875.97", "1751.9", "42.139", "2", "7.072e-10 ***"]
    assert f"{ref['AIC'][1]:.1f}" == "1763.9" and f"{ref['Chisq'][1]:.3f}" == "42.139"
    _screens(page, shots, "compare", lambda: expect(table).to_contain_text("42.139"))

    # a model of other data is listed but cannot be compared with these
    controller.InputSelect(page, "data-example").set("Dyestuff")
    expect(page.locator("#fit-status .lmm-fitted")).to_contain_text("30 observations")
    page.locator("#compare-pin").click()
    expect(pinned).to_contain_text("(other data)")
    controller.InputCheckboxGroup(page, "compare-compare").set(["1", "3"])
    expect(page.locator("#compare-comparison")).to_contain_text("different data")
