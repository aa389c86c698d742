"""Running shiny's in-memory test server from a test: several sessions per test process."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest
import shiny.reactive._core

APP_FILE = Path(__file__).resolve().parents[2] / "app" / "app.py"


def load_app(name: str = "lmm_explorer_app"):
    """A fresh ``App`` from app/app.py, loaded as module ``name``: an App holds asyncio locks bound to the
    loop of its first session, so each test-server test needs its own."""
    spec = importlib.util.spec_from_file_location(name, APP_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@pytest.fixture
def fresh_reactive_lock(monkeypatch):
    """Shiny's reactive lock binds to the event loop of its first contended use, and every test-server
    session has a loop of its own: a second session in the same process then fails on contention
    ("bound to a different event loop"). Each test gets a lock created on its own session's loop."""
    monkeypatch.setattr(shiny.reactive._core._reactive_environment, "_lock", None)


def in_own_thread(scenario, *args) -> None:
    """Run a test-server scenario on a thread without an event loop (Playwright's sync API, used by the
    browser tests of this session, leaves one running on the main thread; test_server needs none)."""
    errors: list[BaseException] = []

    def run():
        try:
            scenario(*args)
        except BaseException as err:  # re-raised on the test's thread
            errors.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def settled(ts, output: str, done, timeout: float = 60.0):
    """Flush until ``done(value)`` holds for the output's value and return it (the work behind it runs in
    worker processes, off the session's loop)."""
    deadline = time.monotonic() + timeout
    while True:
        value = ts.get_output(output)
        if value.status == "ok" and done(value.value):
            return value.value
        if time.monotonic() > deadline:
            raise AssertionError(f"{output} never settled: {value!r}")
        time.sleep(0.02)
        ts.flush()
