"""The load test's short form (the full one: ``python -m benchmarks.load_test``, figures in the README): a
few protocol sessions, one of them running bootstraps, plus one Chromium page, for a few seconds on one app.
It checks that everyone is answered without errors; speed is measured by the full form, by hand."""

from __future__ import annotations

import pytest
from shiny.pytest import create_app_fixture

from benchmarks.load_test import run_load

pytestmark = pytest.mark.browser

app = create_app_fixture("../../app/app.py", timeout_secs=90)


def test_concurrent_sessions_are_all_answered(app, browser):
    report = run_load(
        app.url, browser, app.proc.pid, sessions=4, seconds=12, bootstraps=1, large=False, settle_seconds=5
    )
    print(report.summary())
    assert report.errors == []
    assert len(report.idle_latencies) >= 3  # each idle session's changes were answered
    assert report.browser_latencies  # and the real page's
    assert report.bootstraps_done >= 1
    assert report.memory_mb["baseline"] > 50  # the process tree was measured (app + workers)
