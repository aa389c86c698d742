"""Shared links, downloads and the Code view end to end in headless Chromium.

A link made in one browser context is opened in a fresh one (no cookies, no storage): the view must come
back with the same numbers. Screenshots go to pytest's temporary directory (``LMM_SCREENSHOT_DIR``
overrides it), for looking at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

pytestmark = pytest.mark.browser

SHARE_DIR = Path(tempfile.mkdtemp(prefix="lmm-share-test-"))
app = create_app_fixture(
    "../../app/app.py", timeout_secs=60, env={**os.environ, "LMM_SHARE_DIR": str(SHARE_DIR)}
)

DATA_DIR = Path(__file__).resolve().parents[2] / "lmmcore" / "datasets" / "data"
TIMEOUT = 60_000  # ms; the machine is shared


@pytest.fixture(autouse=True)
def _patient(page: Page):
    expect.set_options(timeout=TIMEOUT)
    page.set_default_timeout(TIMEOUT)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("LMM_SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("share-screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module", autouse=True)
def _remove_share_dir():
    yield
    shutil.rmtree(SHARE_DIR, ignore_errors=True)


def _fitted(page: Page) -> str:
    """The fitted view's criterion line, once the status says the current request is fitted."""
    expect(page.locator(".lmm-fitted")).to_be_visible()
    return page.locator("#summary-crit").inner_text()


def _share(page: Page) -> str:
    page.locator("#share-share").click()
    url = page.locator("#lmm-share-url")
    expect(url).to_be_visible()
    expect(page.locator(".modal")).to_contain_text("kept on this server for 30 days")
    link = url.input_value()
    page.keyboard.press("Escape")
    return link


def _open_fresh(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = context.new_page()
    fresh.set_default_timeout(TIMEOUT)
    fresh.goto(url)
    return fresh


def test_a_changed_simulation_by_ml_restores_in_a_fresh_browser(page: Page, app, browser: Browser, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion")
    page.get_by_role("tab", name="Simulate").click()
    controller.InputNumeric(page, "data-n_sites").set("12")
    controller.InputNumeric(page, "data-seed").set("7")
    controller.InputRadioButtons(page, "model-method").set("ML")
    expect(page.locator(".lmm-fitted")).to_contain_text("by ML")
    expect(page.locator("#summary-crit")).to_contain_text("Deviance")
    page.get_by_role("tab", name="Diagnostics").click()
    criterion = _fitted(page)
    summary = page.locator("#summary-summary_text").inner_text()
    assert "12 groups" in summary or "Site, 12" in summary or "Site (12" in summary or "12" in summary

    link = _share(page)
    assert urlparse(link).query.startswith("_state_id_=")
    page.screenshot(path=shots / "share_1_simulation.png", full_page=True)

    fresh = _open_fresh(browser, link)
    expect(fresh.locator("#summary-crit")).to_have_text(criterion)
    assert fresh.locator("#summary-summary_text").inner_text() == summary
    controller.InputNumeric(fresh, "data-seed").expect_value("7")
    controller.InputNumeric(fresh, "data-n_sites").expect_value("12")
    controller.InputRadioButtons(fresh, "model-method").expect_selected("ML")
    controller.NavsetCardTab(fresh, "tabs").expect_value("diagnostics")
    fresh.screenshot(path=shots / "share_2_simulation_restored.png", full_page=True)
    fresh.context.close()


def test_an_uploaded_file_with_a_typed_formula_restores(page: Page, app, browser: Browser, shots, tmp_path):
    upload = tmp_path / "my sleep data.csv"
    upload.write_bytes((DATA_DIR / "sleepstudy.csv").read_bytes())
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion")
    page.get_by_role("tab", name="Upload CSV").click()
    page.locator("#data-upload").set_input_files(str(upload))
    expect(page.locator("#data-upload_message")).to_contain_text("180 rows")
    formula = page.locator("#model-formula")
    formula.fill("Reaction ~ Days + (Days || Subject)")
    formula.press("Enter")
    expect(page.locator(".lmm-fitted")).to_contain_text("(Days || Subject)")
    criterion = _fitted(page)
    summary = page.locator("#summary-summary_text").inner_text()

    link = _share(page)
    stored = list((SHARE_DIR / "uploads").iterdir())
    assert [p.name for p in stored] == [__import__("hashlib").sha256(upload.read_bytes()).hexdigest()]

    fresh = _open_fresh(browser, link)
    expect(fresh.locator("#summary-crit")).to_have_text(criterion)
    assert fresh.locator("#summary-summary_text").inner_text() == summary
    controller.InputText(fresh, "model-formula").expect_value("Reaction ~ Days + (Days || Subject)")
    fresh.screenshot(path=shots / "share_3_upload_restored.png", full_page=True)
    fresh.context.close()

    # The same link once its data expired: the default view and a message, not an error.
    for entry in stored:
        entry.unlink()
    expired = _open_fresh(browser, link)
    expect(expired.locator(".lmm-link-problem")).to_contain_text("expired")
    expect(expired.locator("#summary-crit")).to_contain_text("REML criterion at convergence: 321.8865")
    expired.screenshot(path=shots / "share_4_expired.png", full_page=True)
    expired.context.close()


def test_an_unknown_link_opens_the_default_view_with_a_message(page: Page, app):
    page.goto(app.url + "?_state_id_=0123456789abcdef")
    expect(page.locator(".lmm-link-problem")).to_contain_text("expired or was not made on this server")
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion at convergence: 321.8865")
