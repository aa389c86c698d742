"""Coroutines of a test run on an event loop of their own, in a thread.

Playwright's sync API, used by the browser tests of the same pytest session, leaves an event loop running
on the main thread: after any browser test, ``asyncio.run`` there raises "cannot be called from a running
event loop". CI runs every test in one session, so a test that needs a loop starts its own thread.
"""

from __future__ import annotations

import asyncio
import threading


def run_on_own_loop(coroutine):
    """Run ``coroutine`` on a new event loop in a thread of its own and return its result."""
    result = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as err:  # handed back to the test
            result["error"] = err

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]
