"""The worker process: receives one task at a time over its pipe, reports progress, sends the value back.

Workers are forked from a fork server that preloaded (and exercised) the engine, so a replacement is ready
in milliseconds; this is what makes "cancel = kill the worker" cheap and certain.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import threading
import time
from multiprocessing.connection import Connection

# Progress messages are throttled: a replicate loop may report thousands of times a second, the panel
# redraws twice a second.
_PROGRESS_INTERVAL = 0.05


class _Progress:
    """The ``progress(done, total) -> bool`` callable handed to a task; True means "go on"."""

    def __init__(self, conn: Connection):
        self._conn = conn
        self._last = 0.0

    def __call__(self, done: int, total: int) -> bool:
        now = time.monotonic()
        if done >= total or now - self._last >= _PROGRESS_INTERVAL:
            self._last = now
            self._conn.send(("progress", int(done), int(total)))
        # A cancelled task's worker is killed rather than asked: nothing is left to say False to.
        return True


def serve(conn: Connection, app_pid: int) -> None:
    """Run tasks from ``conn`` until the app closes its end or dies.

    Each message in is ``pickle((fn, args, wants_progress))``; each message out is ``("progress", done,
    total)`` or ``(status, payload, peak_growth_bytes)`` with status ``"done"`` (payload = fn's value) or
    ``"error"`` (payload = a message).
    """
    _exit_with(app_pid)
    baseline = _peak_rss()
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        status, value = _run(payload, conn)
        try:
            conn.send((status, value, _peak_rss() - baseline))
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            conn.send(("error", f"the result could not be sent back ({err})", _peak_rss() - baseline))
        del value


def _run(payload: bytes, conn: Connection) -> tuple[str, object]:
    try:
        fn, args, wants_progress = pickle.loads(payload)
        kwargs = {"progress": _Progress(conn)} if wants_progress else {}
        return "done", fn(*args, **kwargs)
    except Exception as err:  # the task's own bug: report it, keep the worker
        return "error", f"{type(err).__name__}: {err}"


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _exit_with(app_pid: int) -> None:
    """Leave when the app process is gone.

    A worker blocked in a long task never reads its pipe, so it would not notice the app dying (killed,
    crashed); the fork server then lives on too, as it stays up while any worker holds its liveness pipe.
    A daemon thread waiting on the app's pid fixes both.
    """

    def watch() -> None:
        if hasattr(os, "pidfd_open"):
            try:
                with open(os.pidfd_open(app_pid), "rb", buffering=0) as pidfd:
                    select.select([pidfd], [], [])
            except OSError:
                pass  # already gone
        else:
            while _alive(app_pid):
                time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="lmm-app-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
