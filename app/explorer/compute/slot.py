"""One worker process and the thread that feeds it jobs of its lane, watches budget and cancel, and
replaces the process when it is killed, crashes or grew large."""

from __future__ import annotations

import inspect
import logging
import multiprocessing
import os
import pickle
import threading
import time
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from . import settings
from .errors import TaskCancelled, TaskFailed, TaskTimeout
from .worker import serve

if TYPE_CHECKING:
    from .job import Job
    from .scheduler import Scheduler

_log = logging.getLogger(__name__)

# How often a running job's thread wakes to check its budget; cancel does not wait for it (it kills).
_TICK = 0.1
# A task is retried once after its worker died: tasks are deterministic, so a second death is the task's.
_MAX_ATTEMPTS = 2
_NO_WORKER_MESSAGE = "No worker process could be started for this computation; please Retry in a moment."
_CRASH_MESSAGE = (
    "The worker process computing this stopped unexpectedly, twice (out of memory?): try a smaller model "
    "or less data, then Retry."
)


class _Crashed(Exception):
    """The worker process died while running a job."""


def _context():
    # forkserver: workers fork from a clean server that preloaded (and exercised) the engine: fast, and
    # never forks the threads of the web server.
    _export_import_path()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["explorer.warm_engine"])
    return context


def _export_import_path() -> None:
    """Put the app's and the engine's directories on the fork server's PYTHONPATH.

    The fork server is a fresh interpreter that imports its preload modules before it learns the app's
    ``sys.path``, and silently skips one it cannot import: the app is run as ``shiny run app/app.py`` from
    the repository (neither ``explorer`` nor ``lmmcore`` installed), so without this every worker started
    cold and paid the engine's imports on its first task.
    """
    wanted = [str(Path(spec.origin).parents[1]) for spec in map(find_spec, ("explorer", "lmmcore")) if spec]
    present = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    missing = [path for path in dict.fromkeys(wanted) if path not in present]
    if missing:
        os.environ["PYTHONPATH"] = os.pathsep.join(missing + [p for p in present if p])


class WorkerSlot:
    """A place for one worker process of ``lane``; its thread runs jobs one at a time."""

    def __init__(self, scheduler: Scheduler, lane: str, index: int):
        self.scheduler, self.lane = scheduler, lane
        self.process = None
        self.conn = None
        self.current: Job | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"lmm-{lane}-worker-{index}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    @property
    def pid(self) -> int | None:
        process = self.process
        return None if process is None else process.pid

    def _loop(self) -> None:
        self._replace()
        while self._serve_next():
            pass
        self.stop()

    def _serve_next(self) -> bool:
        """Run the lane's next job; False once the layer shuts down.

        The job is a local of this call, not of the loop: a finished job holds its value (a 10^6-row data
        set or fit), and a loop variable would keep the last one alive while the thread waits for the next,
        after its session has ended.
        """
        job = self.scheduler.next_job(self.lane)
        if job is None:
            return False
        try:
            if self.process is None:
                self._start_process()
            self._run(job)
        except Exception:  # the thread must outlive anything: a dead thread would stall its lane
            _log.exception("the %s lane could not run %r", self.lane, job)
            job.settle(error=TaskFailed(_NO_WORKER_MESSAGE))
        finally:
            self.scheduler.finished(job)
        return True

    def _run(self, job: Job) -> None:
        self.current = job
        if not job.start(on_cancel=lambda: self.kill(job)):
            self.current = None
            return
        try:
            growth = self._execute(job)
        except _Crashed:
            self._replace()
            if job.cancel_requested:
                job.settle(error=TaskCancelled("Cancelled."))
            elif job.attempts < _MAX_ATTEMPTS:
                job.requeued()
                self.scheduler.requeue(job)
            else:
                job.settle(error=TaskFailed(_CRASH_MESSAGE))
            return
        except TaskTimeout as err:
            self.kill(job)
            self._replace()
            job.settle(error=err)
            return
        finally:
            self.current = None
        if growth > settings.recycle_bytes():
            self._replace()  # give a large task's memory back to the system

    def _execute(self, job: Job) -> int:
        """Send ``job`` to the worker and relay its messages; returns the worker's peak memory growth."""
        try:
            payload = pickle.dumps((job.fn, job.args, _wants_progress(job.fn)), pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            job.settle(error=TaskFailed(f"The task could not be sent to a worker ({err})."))
            return 0
        deadline = time.monotonic() + job.budget
        try:
            self.conn.send_bytes(payload)
            del payload
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TaskTimeout(settings.timeout_message(job.kind, job.budget))
                if not self.conn.poll(min(remaining, _TICK)):
                    continue
                message = self.conn.recv()
                if message[0] == "progress":
                    job.report(message[1], message[2])
                    continue
                status, value, growth = message
                job.settle(value) if status == "done" else job.settle(error=TaskFailed(_failed(value)))
                return growth
        except (EOFError, OSError, pickle.UnpicklingError) as err:
            raise _Crashed from err

    def kill(self, job: Job) -> None:
        """Stop ``job`` at once if this worker is still on it; the slot's thread then starts a replacement."""
        with self._lock:
            if self.current is job and self.process is not None and self.process.is_alive():
                self.process.kill()

    def _replace(self) -> None:
        """Drop the current process (if any) and start a fresh one from the fork server; when that fails,
        the next job tries again (and fails with a message if it cannot)."""
        self.stop()
        if self.scheduler.closed:
            return
        try:
            self._start_process()
        except Exception:
            _log.exception("could not start a worker process for the %s lane", self.lane)

    def _start_process(self) -> None:
        context = _context()
        parent, child = context.Pipe(duplex=True)
        process = context.Process(
            target=serve, args=(child, os.getpid()), name=f"lmm-{self.lane}-worker", daemon=True
        )
        process.start()
        child.close()
        with self._lock:
            self.process, self.conn = process, parent

    def stop(self) -> None:
        """End the worker process and reap it."""
        with self._lock:
            process, conn = self.process, self.conn
            self.process = self.conn = None
        if conn is not None:
            conn.close()  # an idle worker leaves on end-of-file
        if process is not None:
            process.join(timeout=0.5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


def _wants_progress(fn) -> bool:
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "progress" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _failed(detail: object) -> str:
    return f"The computation failed unexpectedly ({detail}); try a simpler model or less data, then Retry."
