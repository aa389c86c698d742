"""A shared link to an upload, opened in a fresh browser: the model controls show the restored formula,
the upload's message is its final one, and the page logs no client error while it is restored."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from shiny.playwright import controller
from shiny.pytest import create_app_fixture

from tests.app.share_pages import apply_formula, close_clean, open_fresh, share_link, upload_sleepstudy

pytestmark = pytest.mark.browser

SHARE_DIR = Path(tempfile.mkdtemp(prefix="lmm-restore-test-"))
app = create_app_fixture(
    "../../app/app.py", timeout_secs=60, env={**os.environ, "LMM_SHARE_DIR": str(SHARE_DIR)}
)

TIMEOUT = 60_000  # ms; the machine is shared


@pytest.fixture(autouse=True)
def _patient(page: Page):
    expect.set_options(timeout=TIMEOUT)
    page.set_default_timeout(TIMEOUT)


@pytest.fixture(scope="module", autouse=True)
def _remove_share_dir():
    yield
    shutil.rmtree(SHARE_DIR, ignore_errors=True)


def test_a_link_to_an_upload_restores_the_controls_and_settles(page: Page, app, browser: Browser, tmp_path):
    upload_sleepstudy(page, app.url, tmp_path / "sleep.csv")
    apply_formula(page, "Reaction ~ Days + (Days || Subject)")
    criterion = page.locator("#summary-crit").inner_text()
    link = share_link(page)

    fresh, errors = open_fresh(browser, link, TIMEOUT)
    expect(fresh.locator(".lmm-fitted")).to_contain_text("(Days || Subject)")
    expect(fresh.locator("#summary-crit")).to_have_text(criterion)
    controller.InputSelect(fresh, "model-response").expect_selected("Reaction")
    controller.InputSelectize(fresh, "model-fixed").expect_selected(["Days"])
    controller.InputSelect(fresh, "model-re1_group").expect_selected("Subject")
    controller.InputSelect(fresh, "model-re1_struct").expect_selected("uncorrelated")
    expect(fresh.locator("#data-upload_message")).to_contain_text("180 rows")
    expect(fresh.locator("#data-upload_message")).not_to_contain_text("Reading the file")
    fresh.wait_for_timeout(1500)  # late messages of the restore have arrived
    fresh.screenshot(path=tmp_path / "restored_upload.png", full_page=True)  # for looking at
    close_clean(fresh, errors)


def test_a_type_change_in_a_restored_upload_keeps_the_model(page: Page, app, browser: Browser, tmp_path):
    upload_sleepstudy(page, app.url, tmp_path / "sleep.csv")
    apply_formula(page, "Reaction ~ Days + (Days || Subject)")
    fresh, errors = open_fresh(browser, share_link(page), TIMEOUT)
    expect(fresh.locator(".lmm-fitted")).to_contain_text("(Days || Subject)")
    apply_formula(fresh, "Reaction ~ Days + (1 | Subject)")
    fresh.get_by_role("tab", name="Data", exact=True).click()
    controller.InputSelectize(fresh, "data-type_column").set("Days")
    controller.InputSelect(fresh, "data-type_kind").set("factor")
    summary = fresh.locator("#summary-summary_text")
    expect(summary).to_contain_text("Days9")  # Days as a factor: one coefficient per day after the first
    expect(fresh.locator(".lmm-fitted")).to_contain_text("Reaction ~ Days + (1 | Subject)")
    controller.InputText(fresh, "model-formula").expect_value("Reaction ~ Days + (1 | Subject)")
    # Another formula, then the first again: each typed text applies.
    apply_formula(fresh, "Reaction ~ 1 + (1 | Subject)")
    expect(summary).not_to_contain_text("Days9")
    apply_formula(fresh, "Reaction ~ Days + (1 | Subject)")
    expect(summary).to_contain_text("Days9")
    close_clean(fresh, errors)
