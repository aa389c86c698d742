"""The summary with inference in Chromium: lmerTest's df and p of the default model, the type III ANOVA of
a model with an interaction, the singular-fit banner naming the term, R² and ICC beside the criterion,
and the ML summary text reachable at 1024x768.

Screenshots go to pytest's temporary directory (``LMM_SCREENSHOT_DIR`` overrides it), for looking at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

from tests.refs import load_reference

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=60)

FIT_TIMEOUT = 60_000  # ms; the machine is shared
SIZES = [(1400, 1000), (1024, 768)]


@pytest.fixture(autouse=True)
def _patient_expectations(page: Page):
    expect.set_options(timeout=FIT_TIMEOUT)
    page.set_default_timeout(FIT_TIMEOUT)


def _row(page: Page, table: str, term: str):
    return page.locator(f"#{table} tr", has=page.locator("td", has_text=term)).first


def _cells(page: Page, table: str, term: str) -> list[str]:
    return [c.strip() for c in _row(page, table, term).locator("td").all_inner_texts()]


def _refit(page: Page, formula: str) -> None:
    box = page.locator("#model-formula")
    box.fill(formula)
    box.press("Enter")


@pytest.mark.parametrize("size", SIZES)
def test_default_model_shows_lmertests_df_and_p_and_quality(page: Page, app, shots, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app.url)
    ref = load_reference("biomass_seed")
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion", timeout=FIT_TIMEOUT)
    temp = _row(page, "summary-fixed", "Temp")
    expect(temp).to_contain_text("0.0787 .")
    cells = _cells(page, "summary-fixed", "Temp")
    assert cells[0] == "Temp" and cells[3].startswith("13.82") and cells[5] == "0.0787 ."
    low, high = ref["confint_wald"]["values"][5]
    assert float(cells[6]) == pytest.approx(low, rel=1e-3)
    assert float(cells[7]) == pytest.approx(high, rel=1e-3)
    header = page.locator("#summary-fixed th").all_inner_texts()
    assert [h.strip() for h in header] == [
        "term", "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)", "2.5 %", "97.5 %"
    ]  # fmt: skip
    expect(page.locator("#summary-quality")).to_contain_text("R² marginal 0.770")
    expect(page.locator("#summary-quality")).to_contain_text("ICC adjusted 0.572")
    expect(page.locator("#summary-anova_block")).to_be_empty()  # numeric effects only: no ANOVA
    aligned = page.evaluate(
        "() => [...document.querySelectorAll('#summary-fixed th')].map(th => getComputedStyle(th).textAlign)"
    )
    assert aligned[0] in ("left", "start") and set(aligned[1:]) == {"right"}, aligned
    page.screenshot(path=shots / f"summary_default_{width}.png", full_page=True)
    page.locator("#summary-fixed table").scroll_into_view_if_needed()
    page.screenshot(path=shots / f"summary_default_fixed_{width}.png")
    # Wider than its column at 1024 px: it scrolls inside it, and the last column comes into view.
    wrapper = page.locator("#summary-fixed").locator("xpath=ancestor::div[contains(@class,'lmm-table')]")
    assert wrapper.evaluate("e => getComputedStyle(e).overflowX") in ("auto", "scroll")
    wrapper.evaluate("e => e.scrollLeft = e.scrollWidth")
    last = page.locator("#summary-fixed th").last.bounding_box()
    box = wrapper.bounding_box()
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 1, (last, box)
    page.screenshot(path=shots / f"summary_default_fixed_scrolled_{width}.png")


def test_interaction_model_gets_the_type3_anova_and_singular_fit_names_the_term(page: Page, app, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion", timeout=FIT_TIMEOUT)
    _refit(page, "Biomass ~ Temp * N + (1 | Site)")
    anova = page.locator("#summary-anova_block")
    expect(anova).to_contain_text("Type III ANOVA")
    expect(_row(page, "summary-anova_block", "Temp:N")).to_be_visible()
    assert len(page.locator("#summary-anova_block tbody tr").all()) == 3
    anova.locator("table").scroll_into_view_if_needed()
    page.screenshot(path=shots / "summary_anova_1400.png")

    _refit(page, "Biomass ~ Temp + N + (1 + N | Site)")
    banner = page.locator("#summary-random_warnings")
    expect(banner).to_contain_text(
        "Site: the (1 + N | Site) covariance is singular: correlation (Intercept)-N is -1.00"
    )
    expect(anova).to_be_empty()
    page.screenshot(path=shots / "summary_singular_1400.png", full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_ml_summary_text_is_reachable_whole(page: Page, app, shots, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion", timeout=FIT_TIMEOUT)
    controller.InputRadioButtons(page, "model-method").set("ML")
    expect(page.locator("#summary-crit")).to_contain_text("Deviance", timeout=FIT_TIMEOUT)
    text = page.locator("#summary-summary_text")
    expect(text).to_contain_text("fit by maximum likelihood")
    box = page.evaluate(
        "() => { const pre = document.querySelector('#summary-summary_text');"
        " const wrap = pre.closest('.lmm-summary-text'); const card = wrap.closest('.card');"
        " return {pre: pre.scrollWidth, wrap: wrap.scrollWidth, visible: wrap.clientWidth,"
        " overflow: getComputedStyle(wrap).overflowX, right: wrap.getBoundingClientRect().right,"
        " cardRight: card.getBoundingClientRect().right, window: window.innerWidth}; }"
    )
    # Every character is inside the scrolling box (nothing clipped by the pre or the card), and the box
    # scrolls when the text is wider than it.
    assert box["pre"] <= box["wrap"] + 1, box
    assert box["wrap"] <= box["visible"] + 1 or box["overflow"] in ("auto", "scroll"), box
    assert box["right"] <= box["cardRight"] + 1 and box["right"] <= box["window"] + 1, box
    page.locator(".lmm-summary-text").evaluate("e => e.scrollLeft = e.scrollWidth")
    page.screenshot(path=shots / f"summary_ml_{width}.png", full_page=True)
