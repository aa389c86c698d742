"""The live fit in Chromium: the plots a running fit will replace are dimmed until its answer arrives."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from shiny.pytest import create_app_fixture

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

TIMEOUT = 120_000  # ms: a 2,000,000-row fit and its plots on a shared machine
PLOTS = ("diag-resid", "diag-qq_resid", "diag-obs_fit")
# Shiny marks an output waiting for a new value "recalculating"; with busy indicators on, its content fades
# to 0.3 opacity after a second (a quick update never flickers). Checked from this long after the fit began.
FADE_MS = 1500

# Every animation frame while the status says "Fitting": how long since it began to, whether every plot is
# marked recalculating, and the highest opacity among the plots' contents; one list per fit, until the
# status reports ``final`` (typing two numbers fits twice).
_WATCH = """([ids, final]) => {
  window.fitWatch = {fits: [], done: false};
  let started = null;
  const sample = now => {
    const status = document.getElementById('fit-status')?.innerText ?? '';
    if (status.includes('Fitting')) {
      if (started === null) { started = now; window.fitWatch.fits.push([]); }
      const els = ids.map(id => document.getElementById(id));
      window.fitWatch.fits.at(-1).push({
        elapsed: now - started,
        recalculating: els.every(el => el?.classList.contains('recalculating')),
        opacity: Math.max(...els.map(el => parseFloat(getComputedStyle(el.firstElementChild).opacity))),
      });
    } else {
      started = null;
      if (status.includes(final)) { window.fitWatch.done = true; return; }
    }
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""

_SETTLED = """ids => ids.every(id => {
  const el = document.getElementById(id), content = el?.firstElementChild;
  return !!content && !el.classList.contains('recalculating')
    && parseFloat(getComputedStyle(content).opacity) === 1;
})"""


def test_the_plots_a_running_fit_will_replace_are_dimmed_until_it_answers(page: Page, app):
    page.set_default_timeout(TIMEOUT)
    expect.set_options(timeout=TIMEOUT)
    page.goto(app.url)
    expect(page.locator(".lmm-fitted")).to_be_visible()
    page.get_by_role("tab", name="Diagnostics").click()
    page.wait_for_function(_SETTLED, arg=list(PLOTS))

    page.get_by_role("tab", name="Simulate").click()
    expect(page.locator(".lmm-fitted")).to_contain_text("100 observations")
    page.evaluate(_WATCH, [list(PLOTS), "2000000 observations"])
    page.locator("#data-n_per_site").fill("1000")
    page.locator("#data-n_sites").fill("2000")
    page.locator("#data-n_sites").press("Enter")
    page.wait_for_function("() => window.fitWatch.done")
    expect(page.locator(".lmm-fitted")).to_contain_text("2000000 observations")
    page.wait_for_function(_SETTLED, arg=list(PLOTS))

    samples = page.evaluate("window.fitWatch.fits.at(-1)")
    # Shiny marks the plots at once; a frame or two may pass between the status and the marks.
    assert all(s["recalculating"] for s in samples if s["elapsed"] > 200), samples[:5]
    faded = [s for s in samples if s["elapsed"] > FADE_MS]
    assert faded, f"the fit took {samples[-1]['elapsed']:.0f} ms: too short to see the fade"
    assert all(s["opacity"] <= 0.5 for s in faded), faded[:5]
