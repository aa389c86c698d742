"""Steps of the share-link browser tests: upload a file and type a formula, take the link, open it in a
fresh browser context whose console errors are collected."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

DATA_DIR = Path(__file__).resolve().parents[2] / "lmmcore" / "datasets" / "data"


def upload_sleepstudy(page: Page, url: str, upload: Path) -> None:
    """Open the app at ``url`` and upload lme4's sleepstudy, written to ``upload`` (its name as given)."""
    upload.write_bytes((DATA_DIR / "sleepstudy.csv").read_bytes())
    page.goto(url)
    expect(page.locator("#summary-crit")).to_contain_text("REML criterion")
    page.get_by_role("tab", name="Upload", exact=True).click()
    page.locator("#data-upload").set_input_files(str(upload))
    expect(page.locator("#data-upload_message")).to_contain_text("180 rows")


def apply_formula(page: Page, formula: str) -> None:
    """Type ``formula``, press Enter and wait for its fit."""
    field = page.locator("#model-formula")
    field.fill(formula)
    field.press("Enter")
    expect(page.locator(".lmm-fitted")).to_contain_text(formula)


def share_link(page: Page) -> str:
    """The link the Share button gives (its dialog also says how long uploaded data are kept)."""
    page.locator("#share-share").click()
    url = page.locator("#lmm-share-url")
    expect(url).to_be_visible()
    expect(page.locator(".modal")).to_contain_text("kept on this server for 30 days")
    link = url.input_value()
    page.keyboard.press("Escape")
    return link


def open_fresh(browser: Browser, url: str, timeout: float) -> tuple[Page, list[str]]:
    """``url`` in a new context, and the list its console errors and uncaught exceptions go to (Shiny's
    client reports a rejected update there and drops it)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    fresh = context.new_page()
    fresh.set_default_timeout(timeout)
    errors: list[str] = []
    fresh.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    fresh.on("pageerror", lambda error: errors.append(str(error)))
    fresh.goto(url)
    return fresh, errors


def close_clean(page: Page, errors: list[str]) -> None:
    """Close a page opened by :func:`open_fresh`, checking it logged no client error."""
    page.context.close()
    assert errors == []
