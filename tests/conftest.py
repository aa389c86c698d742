"""Fixtures shared by every test: lme4's references and the headless browser of the app's tests.

Browser tests (mark ``browser``, or any test using Playwright's ``page``/``browser`` fixtures) are
skipped when no Chromium is installed, unless ``LMM_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which
turns the missing browser into a failure so CI can never pass without running them.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

import pytest

from tests.refs import load_reference

_PLAYWRIGHT_FIXTURES = {"page", "browser", "context", "browser_context_args"}


@pytest.fixture(scope="session")
def reference():
    """The loader of lme4's reference fits: ``reference("sleepstudy_slopes")`` -> dict."""
    return load_reference


def _system_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@cache
def _playwright_chromium() -> str | None:
    """Playwright's own Chromium, when a user has downloaded one (never needed here)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


def _browser_missing_reason() -> str | None:
    try:
        import pytest_playwright  # noqa: F401
    except ImportError:
        return "pytest-playwright is not installed (pip install -r requirements-test.txt)"
    if _system_chromium() or _playwright_chromium():
        return None
    return "no Chromium found (apt-get install -y chromium)"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _PLAYWRIGHT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") is None:
        return
    reason = _browser_missing_reason()
    if reason is None:
        return
    if os.environ.get("LMM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LMM_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (Playwright's download is unreachable here); else Playwright's own."""
    executable = _system_chromium()
    return {**browser_type_launch_args, **({"executable_path": executable} if executable else {})}
