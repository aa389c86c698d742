"""Fitting off the event loop: a module-level process pool and the picklable top-level worker function.

Every result is tagged with the request it answers (formula, criterion, data key), so a panel can refuse to
show an old fit as the answer to a newer request.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

WORKERS_ENV = "LMM_APP_WORKERS"


@dataclass(frozen=True)
class FitRequest:
    """What a fit is computed from: every field is an input or derived from inputs and the data."""

    formula: str
    reml: bool
    data_key: tuple

    @property
    def label(self) -> str:
        return f"{self.formula} by {'REML' if self.reml else 'ML'}"

    @property
    def tag(self) -> str:
        """A short stable name of this request (shown on every plot as ``data-fit``)."""
        return hashlib.sha1(repr(self).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class FitOutcome:
    """The answer to one request: a result, or the message of the error that stopped the fit."""

    request: FitRequest
    result: Any = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def fit_in_worker(request: FitRequest, data: pd.DataFrame) -> FitOutcome:
    """Run one fit (in a worker process); user errors come back as messages, never as crashes."""
    from . import engine

    started = time.perf_counter()
    try:
        result = engine.fit(request.formula, data, reml=request.reml)
    except engine.LmmError as err:
        return FitOutcome(request, error=str(err), seconds=time.perf_counter() - started)
    except (ValueError, TypeError, ArithmeticError, MemoryError) as err:
        # An engine bug or an impossible model lmmcore did not classify: say so rather than crash the session.
        message = f"The fit failed unexpectedly ({type(err).__name__}: {err}); try a simpler model."
        return FitOutcome(request, error=message, seconds=time.perf_counter() - started)
    return FitOutcome(request, result=result, seconds=time.perf_counter() - started)


def _warm_up() -> bool:
    """Import the engine in a worker so the first real fit does not pay for it."""
    from . import engine  # noqa: F401

    return True


_executor: ProcessPoolExecutor | None = None


def get_executor() -> ProcessPoolExecutor:
    """The module-level pool, started (and warmed up) on first use."""
    global _executor
    if _executor is None:
        _executor = _make_executor()
    return _executor


def reset_executor() -> None:
    """Drop a broken pool (a worker died); the next fit starts a fresh one."""
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=False, cancel_futures=True)
    _executor = None


def _exit_with(app_pid: int) -> None:
    """Worker initializer: leave when the app process is gone.

    A pool worker holds both ends of its task queue, so it never sees end-of-file when the app dies
    without shutting the pool down (killed, crashed); the fork server then lives on too, as it stays up
    while any worker holds its liveness pipe. A daemon thread waiting on the app's pid fixes both.
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


def _make_executor() -> ProcessPoolExecutor:
    # forkserver: workers fork from a clean server that preloaded (and exercised) the engine: fast, and
    # never forks the threads of the web server.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["explorer.warm_engine"])
    workers = int(os.environ.get(WORKERS_ENV, "2"))
    executor = ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    )
    executor.submit(_warm_up)
    return executor
