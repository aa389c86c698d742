"""Which job runs next, on which lane: the fair-sharing rules of the compute layer.

- a session has at most one fit: submitting a fit cancels the session's earlier fit by the same function
  (its worker stops);
- the small lane's workers run only fits of small designs, so these never wait behind another user's large
  fit or long task; the large lane's workers run everything else (and small fits when free);
- within a lane, fits go before long tasks, then the session with the fewest running jobs goes first, then
  the oldest job; a session runs at most ``LMM_SESSION_LONG_TASKS`` long tasks at once (more wait);
- a job whose worker died goes back to the front of the queue (it is retried once).
"""

from __future__ import annotations

import threading
from collections import Counter

from . import settings
from .job import Job
from .slot import WorkerSlot


class Scheduler:
    """The queue of every lane and the worker slots that take jobs from it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[Job] = []
        self._running: list[Job] = []
        self._closed = False
        self.slots = [
            WorkerSlot(self, lane, index)
            for lane in settings.LANES
            for index in range(settings.workers(lane))
        ]
        for slot in self.slots:
            slot.start()

    def submit(self, job: Job) -> None:
        superseded = self._fits_like(job) if job.kind == "fit" and job.owner is not None else []
        with self._cond:
            if self._closed:
                raise RuntimeError("the compute layer was shut down")
            self._queue.append(job)
            self._cond.notify_all()
        for old in superseded:
            old.cancel()

    def cancel_owner(self, owner) -> None:
        """Cancel every queued or running job of ``owner`` (a session that ended)."""
        with self._cond:
            jobs = [job for job in self._queue + self._running if job.owner == owner]
        for job in jobs:
            job.cancel()

    def next_job(self, lane: str) -> Job | None:
        """Block until a job of ``lane`` may run; None once the layer shuts down."""
        with self._cond:
            while not self._closed:
                self._queue = [job for job in self._queue if not job.done()]
                job = self._pick(lane)
                if job is not None:
                    self._queue.remove(job)
                    self._running.append(job)
                    return job
                self._cond.wait()
            return None

    def finished(self, job: Job) -> None:
        with self._cond:
            if job in self._running:
                self._running.remove(job)
            self._cond.notify_all()
        if job.done():
            job.args = ()  # a settled job may be kept by a panel: let its data go

    def requeue(self, job: Job) -> None:
        """Put a job whose worker died back at the front (called before :meth:`finished`)."""
        with self._cond:
            self._queue.insert(0, job)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout: float = 5.0) -> None:
        """Cancel every job, then wait for the workers to stop (no orphans, nothing left to reap)."""
        with self._cond:
            self._closed = True
            jobs = self._queue + self._running
            self._cond.notify_all()
        for job in jobs:
            job.cancel()
        for slot in self.slots:
            slot.join(timeout)

    def running(self) -> list[Job]:
        with self._cond:
            return list(self._running)

    def pid_of(self, job: Job) -> int | None:
        """The process id of the worker running ``job``, or None when it is not running."""
        return next((slot.pid for slot in self.slots if slot.current is job), None)

    def queued(self) -> list[Job]:
        with self._cond:
            return [job for job in self._queue if not job.done()]

    def _fits_like(self, new: Job) -> list[Job]:
        """The owner's earlier fits by the same function (the live fit's previous request; a panel's own
        refits, by another function, are not the live fit's to cancel)."""
        with self._cond:
            return [
                job
                for job in self._queue + self._running
                if job.owner == new.owner and job.kind == "fit" and job.fn is new.fn
            ]

    def _pick(self, lane: str) -> Job | None:
        busy = Counter(job.owner for job in self._running)
        long_busy = Counter(job.owner for job in self._running if job.kind == "long")
        cap = settings.long_tasks_per_session()
        waiting = [
            job
            for job in self._queue
            if _serves(lane, job) and (job.kind != "long" or job.owner is None or long_busy[job.owner] < cap)
        ]
        if not waiting:
            return None
        # Retried jobs first (they already waited), then fits, then the least busy session, then the oldest.
        return min(
            waiting, key=lambda job: (job.attempts == 0, job.kind != "fit", busy[job.owner], job.number)
        )


def _serves(lane: str, job: Job) -> bool:
    """Whether a worker of ``lane`` may run ``job``: the small lane's workers are kept for fits of small
    designs (a long task, even on small data, could hold one for a minute); the large lane's take anything,
    small fits included when they are free."""
    return lane == "large" or (job.lane == "small" and job.kind == "fit")
