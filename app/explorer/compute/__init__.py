"""The one way to run work off the event loop: worker processes in lanes, with budgets, cancel and progress.

``submit(fn, *args, lane=, budget=, owner=, kind=) -> Job``; ``await job.result()`` gives fn's value or
raises :class:`TaskCancelled`, :class:`TaskTimeout` or :class:`TaskFailed`. ``fn`` must be a picklable
module-level function; if it takes ``progress``, it receives ``progress(done, total) -> bool`` (pass it to
lmmcore's ``progress=``). Cancelling kills the job's worker process (and starts a fresh one from the warmed
fork server), so it takes effect at once whatever the task is doing. Settings: :mod:`.settings`.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import Any

from . import settings
from .errors import TaskCancelled, TaskError, TaskFailed, TaskTimeout
from .job import Job
from .memory import map_large_blocks, release_memory, release_memory_soon
from .outcome import TaskOutcome
from .replicates import close_replicate_executors, replicate_executor
from .scheduler import Scheduler
from .settings import lane_for

__all__ = [
    "Job",
    "TaskCancelled",
    "TaskError",
    "TaskFailed",
    "TaskOutcome",
    "TaskTimeout",
    "cancel_owner",
    "close_replicate_executors",
    "lane_for",
    "map_large_blocks",
    "release_memory",
    "release_memory_soon",
    "replicate_executor",
    "scheduler",
    "shutdown",
    "start",
    "submit",
]

_scheduler: Scheduler | None = None
_lock = threading.Lock()


def start() -> Scheduler:
    """Start the workers (idempotent); the app calls it at import so the first visitor finds them warm."""
    global _scheduler
    with _lock:
        if _scheduler is None:
            _scheduler = Scheduler()
        return _scheduler


scheduler = start  # the running scheduler (tests read its slots' pids)


def submit(
    fn: Callable,
    *args: Any,
    lane: str = "small",
    budget: float | None = None,
    owner: Any = None,
    kind: str = "long",
) -> Job:
    """Queue ``fn(*args)`` on ``lane``; ``budget`` seconds (default by ``kind``) once it runs.

    A ``kind="fit"`` job cancels the same ``owner``'s earlier fit by the same ``fn`` (one running live fit
    per session).
    """
    if lane not in settings.LANES:
        raise ValueError(f"lane must be one of {settings.LANES}, not {lane!r}")
    if kind not in settings.KINDS:
        raise ValueError(f"kind must be one of {settings.KINDS}, not {kind!r}")
    seconds = settings.budget(kind) if budget is None else float(budget)
    job = Job(fn, args, lane=lane, budget=seconds, owner=owner, kind=kind)
    start().submit(job)
    return job


def cancel_owner(owner: Any) -> None:
    """Cancel every job of ``owner`` (its session ended)."""
    if _scheduler is not None:
        _scheduler.cancel_owner(owner)


def shutdown() -> None:
    """Cancel everything and stop the workers (at interpreter exit; tests)."""
    global _scheduler
    with _lock:
        current, _scheduler = _scheduler, None
    if current is not None:
        current.close()


atexit.register(shutdown)
