"""The caterpillar plot in Chromium: lme4's dotplot rows (every panel ordered by the first term) by default,
each panel by its own term on request. Screenshots at 1400x1000 and 1024x768 (``LMM_SCREENSHOT_DIR``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

import lmmcore

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

FIT_TIMEOUT = 60_000  # ms; the machine is shared
_ROWS_JS = """k => {
  const plot = document.querySelector('#ranef-caterpillar_plot .js-plotly-plot');
  const rows = [];
  // _fullData: y decoded (data keeps plotly's base64 arrays as sent)
  for (const trace of plot._fullData.slice(2 * k, 2 * k + 2))
    Array.from(trace.y).forEach((y, i) => rows.push([y, trace.text[i]]));
  return rows.sort((a, b) => a[0] - b[0]).map(r => r[1]);
}"""

# The hover of the first drawn level: its label and numbers (customdata, a typed 2-D array, decoded by row).
_HOVER_JS = """() => {
  const plot = document.querySelector('#ranef-caterpillar_plot .js-plotly-plot');
  const trace = plot._fullData.find(t => t.text && t.text.length);
  Plotly.Fx.hover(plot, [{curveNumber: trace.index, pointNumber: 0}]);
  const label = document.querySelector('#ranef-caterpillar_plot .hoverlayer .hovertext');
  const text = label ? label.textContent : '';
  Plotly.Fx.unhover(plot);
  return {label: text, level: trace.text[0], numbers: Array.from(trace.customdata[0])};
}"""


@pytest.fixture(autouse=True)
def _patient_expectations(page: Page):
    expect.set_options(timeout=FIT_TIMEOUT)
    page.set_default_timeout(FIT_TIMEOUT)


def _plot_with(page: Page, order_in_title: str) -> None:
    page.wait_for_function(
        "text => { const p = document.querySelector('#ranef-caterpillar_plot .js-plotly-plot');"
        " return p?.data?.length === 4 && p.layout.title.text.includes(text); }",
        arg=order_in_title,
    )


@pytest.mark.parametrize("size", [(1400, 1000), (1024, 768)])
def test_caterpillar_rows_follow_the_first_term_and_per_panel_on_request(page: Page, app, shots, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion", timeout=FIT_TIMEOUT)
    page.get_by_role("tab", name="Random effects").click()
    _plot_with(page, "sorted by (Intercept)")
    m = lmmcore.fit("Biomass ~ Temp + N + (1 + Temp | Site)", lmmcore.datasets.load("biomass"))
    by_intercept = list(m.ranef["Site"].sort_values("(Intercept)").index.astype(str))
    by_slope = list(m.ranef["Site"].sort_values("Temp").index.astype(str))
    assert page.evaluate(_ROWS_JS, 0) == page.evaluate(_ROWS_JS, 1) == by_intercept
    hover = page.evaluate(_HOVER_JS)
    sd, lower, upper = hover["numbers"]
    level = hover["level"]
    assert upper - lower == pytest.approx(2 * 1.959963984540054 * sd, rel=1e-9)  # mode +/- 1.96 SD
    assert sd == pytest.approx(float(m.ranef_sd["Site"].loc[level, "(Intercept)"]), rel=1e-6)
    assert level in hover["label"] and f"cond. SD {sd:.4g}" in hover["label"]
    page.screenshot(path=shots / f"ranef_first_{width}.png", full_page=True)

    controller.InputSelect(page, "ranef-order").set("each")
    _plot_with(page, "each panel sorted by its term")
    assert page.evaluate(_ROWS_JS, 0) == by_intercept and page.evaluate(_ROWS_JS, 1) == by_slope
    page.screenshot(path=shots / f"ranef_each_{width}.png", full_page=True)
