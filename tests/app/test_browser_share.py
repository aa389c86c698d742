"""Shared links, downloads and the Code view end to end in headless Chromium.

A link made in one browser context is opened in a fresh one (no cookies, no storage): the view must come
back with the same numbers. Screenshots go to pytest's temporary directory (``LMM_SCREENSHOT_DIR``
overrides it), for looking at.
"""

from __future__ import annotations

import hashlib
import os
import re
import runpy
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest
from explorer.plotly_output import image_filename
from playwright.sync_api import Browser, Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

from tests.app.share_pages import apply_formula, close_clean, open_fresh, share_link, upload_sleepstudy

pytestmark = pytest.mark.browser

SHARE_DIR = Path(tempfile.mkdtemp(prefix="lmm-share-test-"))
app = create_app_fixture(
    "../../app/app.py", timeout_secs=60, env={**os.environ, "LMM_SHARE_DIR": str(SHARE_DIR)}
)

TIMEOUT = 60_000  # ms; the machine is shared
DEFAULT_FORMULA = "Biomass ~ Temp + N + (1 + Temp | Site)"


@pytest.fixture(autouse=True)
def _patient(page: Page):
    expect.set_options(timeout=TIMEOUT)
    page.set_default_timeout(TIMEOUT)


@pytest.fixture(scope="module", autouse=True)
def _remove_share_dir():
    yield
    shutil.rmtree(SHARE_DIR, ignore_errors=True)


def _fitted(page: Page) -> str:
    """The fitted view's criterion line, once the status says the current request is fitted."""
    expect(page.locator(".lmm-fitted")).to_be_visible()
    return page.locator("#summary-crit").inner_text()


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
    assert re.search(r"groups:\s+Site, 12\b", summary), summary

    link = share_link(page)
    assert urlparse(link).query.startswith("_state_id_=")
    page.screenshot(path=shots / "share_1_simulation.png", full_page=True)

    fresh, fresh_errors = open_fresh(browser, link, TIMEOUT)
    expect(fresh.locator("#summary-crit")).to_have_text(criterion)
    assert fresh.locator("#summary-summary_text").inner_text() == summary
    controller.InputNumeric(fresh, "data-seed").expect_value("7")
    controller.InputNumeric(fresh, "data-n_sites").expect_value("12")
    controller.InputRadioButtons(fresh, "model-method").expect_selected("ML")
    controller.NavsetCardTab(fresh, "tabs").expect_value("diagnostics")
    fresh.screenshot(path=shots / "share_2_simulation_restored.png", full_page=True)
    close_clean(fresh, fresh_errors)


def test_an_uploaded_file_with_a_typed_formula_restores(page: Page, app, browser: Browser, shots, tmp_path):
    upload = tmp_path / "my sleep data.csv"
    upload_sleepstudy(page, app.url, upload)
    apply_formula(page, "Reaction ~ Days + (Days || Subject)")
    criterion = _fitted(page)
    summary = page.locator("#summary-summary_text").inner_text()

    link = share_link(page)
    stored = list((SHARE_DIR / "uploads").iterdir())
    assert [p.name for p in stored] == [hashlib.sha256(upload.read_bytes()).hexdigest()]

    fresh, fresh_errors = open_fresh(browser, link, TIMEOUT)
    expect(fresh.locator("#summary-crit")).to_have_text(criterion)
    assert fresh.locator("#summary-summary_text").inner_text() == summary
    controller.InputText(fresh, "model-formula").expect_value("Reaction ~ Days + (Days || Subject)")
    fresh.screenshot(path=shots / "share_3_upload_restored.png", full_page=True)
    close_clean(fresh, fresh_errors)

    # The same link once its data expired: the default view and a message, not an error.
    for entry in stored:  # as the sweep or the size cap removes them: the store's copy and the links'
        for copy in [entry, *SHARE_DIR.glob(f"links/*/{entry.name}")]:
            copy.unlink()
    expired, expired_errors = open_fresh(browser, link, TIMEOUT)
    expect(expired.locator(".lmm-link-problem")).to_contain_text("expired")
    expect(expired.locator("#summary-crit")).to_contain_text("REML criterion at convergence: 321.8865")
    expired.screenshot(path=shots / "share_4_expired.png", full_page=True)
    close_clean(expired, expired_errors)


def test_an_unknown_link_opens_the_default_view_with_a_message(page: Page, app):
    page.goto(app.url + "?_state_id_=0123456789abcdef")
    expect(page.locator(".lmm-link-problem")).to_contain_text("expired or was not made on this server")
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion at convergence: 321.8865")


def _app_hosts(requests: list[str], app_url: str) -> set[str]:
    own = urlparse(app_url).netloc
    return {
        urlparse(url).netloc for url in requests if urlparse(url).scheme in ("http", "https", "ws", "wss")
    } - {own}


def test_the_app_asks_no_other_host_and_its_modebar_has_no_cloud_button(page: Page, app, shots):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    expect(page.locator(".lmm-fitted")).to_be_visible()
    page.get_by_role("tab", name="Diagnostics").click()
    page.wait_for_function("document.querySelector('#diag-resid .js-plotly-plot')?.data?.length > 0")
    plot = page.locator("#diag-resid .js-plotly-plot")
    plot.hover()
    expect(page.locator("#diag-resid .modebar")).to_be_attached()
    titles = page.locator("#diag-resid .modebar-btn").evaluate_all("bs => bs.map(b => b.dataset.title)")
    assert "Download plot as a PNG" in titles and "Zoom" in titles and "Pan" in titles
    assert not [t for t in titles if "Share" in t or "Chart Studio" in t or "Cloud" in t]
    image = plot.evaluate("p => p._context.toImageButtonOptions.filename")
    assert image == image_filename("Pearson residuals vs fitted", DEFAULT_FORMULA)
    page.locator("#diag-resid").screenshot(path=shots / "share_5_modebar.png")
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("#code-python")).to_contain_text("lmmcore.fit")
    assert _app_hosts(requests, app.url) == set()


def test_the_report_opens_offline_with_every_plot_drawn(page: Page, app, browser: Browser, shots, tmp_path):
    page.goto(app.url)
    expect(page.locator(".lmm-fitted")).to_be_visible()
    criterion = page.locator("#summary-crit").inner_text()
    page.get_by_role("tab", name="Pooling").click()  # another panel's plots, as shown, join the report
    page.wait_for_function("document.querySelector('#pooling-shrinkage .js-plotly-plot')?.data?.length > 0")
    with page.expect_download() as download:
        page.locator("#downloads-report").click()
    report = tmp_path / download.value.suggested_filename
    download.value.save_as(report)
    assert report.name == "report_Biomass~Temp+N+(1+Temp_Site).html"

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.set_offline(True)
    offline = context.new_page()
    offline.goto(report.as_uri())
    offline.wait_for_function(
        "document.querySelectorAll('script.lmm-figure').length > 0 && "
        "Number(document.body.dataset.plotsDrawn) === document.querySelectorAll('script.lmm-figure').length",
        timeout=TIMEOUT,
    )
    drawn = offline.evaluate("[...document.querySelectorAll('.plot')].map(p => p.data ? p.data.length : 0)")
    assert len(drawn) >= 7 and all(n > 0 for n in drawn)
    text = offline.locator("body").inner_text()
    assert criterion.split(": ")[1] in text
    assert "Pooling (as shown in the app)" in text
    assert [url for url in requests if not url.startswith("file:")] == []
    offline.screenshot(path=shots / "share_6_report_offline.png", full_page=True)
    context.close()


def test_the_code_views_python_gives_the_apps_numbers(page: Page, app, tmp_path):
    page.goto(app.url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion")
    page.get_by_role("tab", name="Simulate").click()
    controller.InputNumeric(page, "data-seed").set("5")
    controller.InputRadioButtons(page, "model-method").set("ML")
    expect(page.locator(".lmm-fitted")).to_contain_text("by ML")
    criterion = _fitted(page)
    page.get_by_role("tab", name="Code").click()
    code = page.locator("#code-python")
    expect(code).to_contain_text("seed=5")
    script = tmp_path / "reproduce.py"
    script.write_text(code.inner_text())
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        names = runpy.run_path(str(script), run_name="__main__")
    assert criterion == f"Deviance: {float(names['m'].criterion):.4f}"
    shown = page.locator("#summary-summary_text").text_content()  # in the hidden Summary tab
    assert shown.strip() == names["m"].summary().strip()


# Each panel's settings: (input id, kind, value set before sharing). The selects whose choices the server
# fills (Predictions' and Pooling's) restore because their UI offers the link's value from the start.
PANEL_SETTINGS = (
    ("intervals-level", "numeric", "0.9"),
    ("intervals-nsim", "numeric", "200"),
    ("intervals-seed", "numeric", "3"),
    ("predictions-x", "select", "N"),
    ("predictions-group", "select", "Site"),
    ("predictions-nsim", "numeric", "300"),
    ("pooling-x", "select", "N"),
    ("recovery-nrep", "numeric", "50"),
    ("recovery-seed", "numeric", "9"),
    ("ranef-order", "select", "each"),
)


def _set(page: Page, input_id: str, kind: str, value: str) -> None:
    if kind == "numeric":
        controller.InputNumeric(page, input_id).set(value)
    else:
        controller.InputSelect(page, input_id).set(value)


def _value(page: Page, input_id: str) -> str:
    return page.locator(f"#{input_id}").input_value()


def test_each_panels_settings_and_the_open_tab_restore(page: Page, app, browser: Browser, shots):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app.url)
    expect(page.locator(".lmm-fitted")).to_be_visible()
    for tab, prefix in (("Intervals", "intervals"), ("Predictions", "predictions"), ("Pooling", "pooling")):
        page.get_by_role("tab", name=tab).click()
        for input_id, kind, value in PANEL_SETTINGS:
            if input_id.startswith(prefix):
                if kind == "select":
                    expect(page.locator(f"#{input_id} option[value='{value}']")).to_be_attached()
                _set(page, input_id, kind, value)
    for tab, prefix in (("Recovery", "recovery"), ("Random effects", "ranef")):
        page.get_by_role("tab", name=tab).click()
        for input_id, kind, value in PANEL_SETTINGS:
            if input_id.startswith(prefix):
                _set(page, input_id, kind, value)
    page.get_by_role("tab", name="Intervals").click()
    for input_id, _, value in PANEL_SETTINGS:
        assert _value(page, input_id) == value, input_id
    link = share_link(page)

    fresh, fresh_errors = open_fresh(browser, link, TIMEOUT)
    expect(fresh.locator(".lmm-fitted")).to_be_visible()
    controller.NavsetCardTab(fresh, "tabs").expect_value("intervals")
    fresh.get_by_role("tab", name="Predictions").click()
    expect(fresh.locator("#predictions-x option[value='N']")).to_be_attached()
    fresh.get_by_role("tab", name="Pooling").click()
    expect(fresh.locator("#pooling-x option[value='N']")).to_be_attached()
    fresh.get_by_role("tab", name="Intervals").click()
    fresh.wait_for_timeout(1000)  # a panel that refills its choices has had its round trip
    lost = {input_id for input_id, _, value in PANEL_SETTINGS if _value(fresh, input_id) != value}
    fresh.screenshot(path=shots / "share_7_panels_restored.png", full_page=True)
    close_clean(fresh, fresh_errors)
    assert lost == set(), lost


def test_an_uploads_column_types_restore(page: Page, app, browser: Browser, tmp_path):
    upload_sleepstudy(page, app.url, tmp_path / "sleep.csv")
    apply_formula(page, "Reaction ~ Days + (1 | Subject)")
    page.get_by_role("tab", name="Data", exact=True).click()
    controller.InputSelectize(page, "data-type_column").set("Days")
    controller.InputSelect(page, "data-type_kind").set("factor")
    expect(page.locator("#data-column_types")).not_to_have_value("")
    # The typed formula (also the suggestion for the types as read) is refitted with Days as a factor: one
    # coefficient per day after the first. The new types' suggestion is offered beside it.
    summary = page.locator("#summary-summary_text")
    expect(summary).to_contain_text("Days9")
    expect(page.locator(".lmm-fitted")).to_contain_text("Reaction ~ Days + (1 | Subject)")
    controller.InputText(page, "model-formula").expect_value("Reaction ~ Days + (1 | Subject)")
    expect(page.locator("#model-use_suggestion")).to_be_visible()
    text = summary.text_content()

    link = share_link(page)
    fresh, fresh_errors = open_fresh(browser, link, TIMEOUT)
    expect(fresh.locator("#summary-summary_text")).to_contain_text("Days9")
    expect(fresh.locator(".lmm-fitted")).to_contain_text("Reaction ~ Days + (1 | Subject)")
    assert fresh.locator("#summary-summary_text").text_content() == text
    controller.InputSelect(fresh, "model-response").expect_selected("Reaction")
    controller.InputSelect(fresh, "model-re1_group").expect_selected("Subject")
    close_clean(fresh, fresh_errors)
