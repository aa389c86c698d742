"""The live fit in Chromium: the plots a running fit will replace are dimmed until its answer arrives."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from shiny.pytest import create_app_fixture

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

TIMEOUT = 120_000  # ms: a 250,000-row fit and its plots on a shared machine
PLOTS = ("diag-resid", "diag-qq_resid", "diag-obs_fit")

# Shiny marks an output waiting for a new value "recalculating"; with busy indicators on, its content fades
# to 0.3 opacity after a second (a quick update never flickers).
_DIMMED = """([ids, dimmed]) => {
  const status = document.getElementById('fit-status')?.innerText ?? '';
  if (dimmed && !status.includes('Fitting')) return false;
  return ids.every(id => {
    const el = document.getElementById(id), content = el?.firstElementChild;
    if (!content) return false;
    const opacity = parseFloat(getComputedStyle(content).opacity);
    return dimmed ? el.classList.contains('recalculating') && opacity <= 0.5
                  : !el.classList.contains('recalculating') && opacity === 1;
  });
}"""


def test_the_plots_a_running_fit_will_replace_are_dimmed_until_it_answers(page: Page, app):
    page.set_default_timeout(TIMEOUT)
    expect.set_options(timeout=TIMEOUT)
    page.goto(app.url)
    expect(page.locator(".lmm-fitted")).to_be_visible()
    page.get_by_role("tab", name="Diagnostics").click()
    page.wait_for_function(_DIMMED, arg=[list(PLOTS), False])

    page.get_by_role("tab", name="Simulate").click()
    expect(page.locator(".lmm-fitted")).to_contain_text("100 observations")
    page.locator("#data-n_per_site").fill("250")
    page.locator("#data-n_sites").fill("1000")
    page.locator("#data-n_sites").press("Enter")
    page.wait_for_function(_DIMMED, arg=[list(PLOTS), True], polling=50)

    expect(page.locator(".lmm-fitted")).to_contain_text("250000 observations")
    page.wait_for_function(_DIMMED, arg=[list(PLOTS), False])
