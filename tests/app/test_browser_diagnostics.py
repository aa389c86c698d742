"""The Diagnostics panel of a large fit (InstEval, 73,421 rows) in a real headless Chromium: binned scatters
with the sampled lowess curve, boxes drawn from precomputed quartiles (no per-row values in the page), at
1400x1000 and 1024x768. Screenshots go to pytest's temporary directory (``LMM_SCREENSHOT_DIR`` overrides
it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("generous_fit_budget")]

app = create_app_fixture("../../app/app.py", timeout_secs=60)
FIT_TIMEOUT = 600_000  # ms: InstEval fits in a few seconds on a quiet machine; this one is shared

_PLOT = "document.querySelector('#' + id + ' .js-plotly-plot')"
# Arrays arrive base64-encoded (plotly's typed-array spec): read what plotly.js computed from them instead.
_TYPES = f"id => {_PLOT}.data.map(t => t.type)"
_POINTS = f"id => {_PLOT}.calcdata.map(trace => trace.length)"
_BOXES = (
    f"id => [...{_PLOT}.calcdata[0]].sort((a, b) => a.pos - b.pos)"
    ".map(box => [box.q1, box.med, box.q3, box.pts?.length ?? 0])"
)


def test_insteval_diagnostics_are_binned_with_precomputed_boxes(page: Page, app, shots):
    page.set_default_timeout(FIT_TIMEOUT)
    expect.set_options(timeout=FIT_TIMEOUT)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    page.get_by_role("tab", name="Examples").click()
    controller.InputSelect(page, "data-example").set("InstEval")
    expect(page.locator("#fit-status .lmm-fitted")).to_contain_text("73421 observations")
    page.get_by_role("tab", name="Diagnostics").click()
    controller.InputSelect(page, "diag-group").set("dept:service")
    page.wait_for_function(
        "document.querySelector('#diag-by_group .js-plotly-plot')?.data?.[0]?.q1 !== undefined"
    )
    assert page.evaluate(_TYPES, "diag-resid") == ["heatmap", "scatter"]
    assert page.evaluate(_POINTS, "diag-resid")[1] == 200  # the sampled lowess redrawn on its grid
    boxes = page.evaluate(_BOXES, "diag-by_group")
    assert len(boxes) > 10 and all(points == 0 for *_, points in boxes)  # no per-row values in the page
    assert all(q1 < median < q3 and -1 < median < 1 for q1, median, q3, _ in boxes)
    medians = [median for _, median, _, _ in boxes]
    assert medians == sorted(medians)  # levels ordered by median residual
    assert page.evaluate(_TYPES, "diag-obs_fit")[0] == "heatmap"
    page.screenshot(path=shots / "diagnostics_insteval_1400.png", full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.wait_for_timeout(1_000)  # plotly's responsive relayout
    page.screenshot(path=shots / "diagnostics_insteval_1024.png", full_page=True)
