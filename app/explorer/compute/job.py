"""One submitted task: its value or error arrives from a worker thread; any thread or event loop may wait."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any

from .errors import TaskCancelled

_numbers = itertools.count(1)


class Job:
    """A task on its way through a lane: queued, running on a worker, then settled exactly once.

    Created by :func:`explorer.compute.submit`; panels only call :meth:`result`, :meth:`cancel` and
    :meth:`progress`.
    """

    def __init__(self, fn: Callable, args: tuple, *, lane: str, budget: float, owner: Any, kind: str):
        self.fn, self.args = fn, args
        self.lane, self.budget, self.owner, self.kind = lane, budget, owner, kind
        self.number = next(_numbers)
        self.attempts = 0
        self.started_at: float | None = None
        self._future: Future = Future()
        self._lock = threading.Lock()
        self._progress: tuple[int, int] | None = None
        self._cancel_requested = False
        self._on_cancel: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"<Job {self.number} {self.kind} {self.lane} of {self.owner!r}>"

    async def result(self) -> Any:
        """fn's value; raises TaskCancelled, TaskTimeout or TaskFailed. Cancelling the awaiting task
        cancels the job."""
        try:
            return await asyncio.shield(asyncio.wrap_future(self._future))
        except asyncio.CancelledError:
            self.cancel()
            raise

    def wait(self, timeout: float | None = None) -> Any:
        """:meth:`result` for code without an event loop (tests, benchmarks)."""
        return self._future.result(timeout)

    def cancel(self) -> None:
        """Stop the job: its worker is killed at once (and replaced); waiting callers get TaskCancelled."""
        with self._lock:
            if self._future.done():
                return
            self._cancel_requested = True
            stop = self._on_cancel
        self.settle(error=TaskCancelled("Cancelled."))
        if stop is not None:
            stop()

    def progress(self) -> tuple[int, int] | None:
        """The latest ``(done, total)`` the task reported, or None before its first report."""
        return self._progress

    def done(self) -> bool:
        return self._future.done()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    @property
    def elapsed(self) -> float:
        """Seconds since the job started running (0 while queued)."""
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    # The worker side (explorer.compute internals).

    def start(self, on_cancel: Callable[[], None]) -> bool:
        """Mark the job running on a worker that ``on_cancel`` stops; False if it was cancelled first."""
        with self._lock:
            if self._cancel_requested:
                return False
            self._on_cancel = on_cancel
            self.attempts += 1
            self.started_at = time.monotonic()
            return True

    def requeued(self) -> None:
        with self._lock:
            self._on_cancel = None

    def report(self, done: int, total: int) -> None:
        self._progress = (int(done), int(total))

    def settle(self, value: Any = None, error: BaseException | None = None) -> bool:
        """Set the outcome once; False if it was already set (cancelled meanwhile)."""
        try:
            if error is None:
                self._future.set_result(value)
            else:
                self._future.set_exception(error)
        except InvalidStateError:
            return False
        return True
