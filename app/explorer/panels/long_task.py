"""Shiny glue of a long task (bootstrap, profile, recovery): runs the current request in the compute layer,
shows its progress with Cancel and Retry, caches results per request, and only ever answers the current
request.

A panel supplies ``request`` (a reactive calc returning a hashable, picklable request, or None when there is
nothing to compute) and ``start(request) -> (fn, args, lane, budget)``; it reads the returned calc, which
gives the :class:`TaskOutcome` of the current request and stays silent (outputs dimmed as recalculating)
while that request is still being computed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable

from htmltools import HTMLDependency
from shiny import module, reactive, render, req, ui
from shiny.types import SilentException

from .. import compute
from ..compute import TaskOutcome
from ..session_state import ResultCache

__all__ = ["TaskOutcome", "long_task_server", "long_task_ui", "opened_once", "ready"]

# The progress bar redraws this often while a task runs (the issue asks for at least every 0.5 s).
REFRESH_SECONDS = 0.25

# A button that cannot act is hidden rather than greyed: Cancel shows while the task runs, Retry after a
# failure or a cancel. They stay in the static page (enabled and disabled by the server), never re-created.
_STYLE = HTMLDependency(
    "lmm-long-task",
    "1.0",
    head=ui.tags.style(
        ".lmm-task-buttons .btn:disabled{display:none}"
        ".lmm-long-task{min-height:2.2rem}.lmm-task-progress .progress{height:0.6rem}"
    ),
)


@module.ui
def long_task_ui():
    return ui.div(
        _STYLE,
        ui.output_ui("progress"),
        ui.div(
            ui.input_action_button("cancel", "Cancel", class_="btn-sm btn-outline-danger", disabled=True),
            ui.input_action_button("retry", "Retry", class_="btn-sm btn-outline-primary", disabled=True),
            class_="lmm-task-buttons d-flex gap-2",
        ),
        class_="lmm-long-task",
    )


@module.server
def long_task_server(
    input,
    output,
    session,
    request: Callable[[], Hashable | None],
    start: Callable[[Hashable], tuple[Callable, tuple, str, float | None]],
    cache: ResultCache,
) -> Callable[[], TaskOutcome]:
    """Run ``request``'s task when it changes (the superseded one is cancelled: its worker stops).

    Returns a reactive calc giving the current request's :class:`TaskOutcome`: from the cache when this
    request was computed before, else once its job ends; ``req()``-silent while it runs or when the request
    is None.
    """
    running: reactive.Value[tuple[Hashable, compute.Job] | None] = reactive.value(None)
    finished: reactive.Value[TaskOutcome | None] = reactive.value(None)
    waiters: set[asyncio.Task] = set()
    prefix = session.ns("task")

    def cache_key(target: Hashable) -> tuple:
        return (prefix, target)

    @reactive.effect
    def _launch():
        target = request()
        with reactive.isolate():
            _consider(target, retry=False)

    @reactive.effect
    @reactive.event(input.retry)
    def _retry():
        _consider(request(), retry=True)

    def _consider(target: Hashable | None, retry: bool) -> None:
        current, last = running(), finished()
        if current is not None and (current[0] == target and not current[1].done()):
            return
        _stop(current)
        if target is None or cache_key(target) in cache:
            return
        if last is not None and last.request == target and not retry:
            return  # this request's failure or cancel stays shown until Retry (or another request)
        _run(target)

    def _stop(current) -> None:
        if current is not None:
            current[1].cancel()
            running.set(None)

    def _run(target: Hashable) -> None:
        try:
            fn, args, lane, budget = start(target)
            job = compute.submit(fn, *args, lane=lane, budget=budget, owner=session.id, kind="long")
        except ValueError as err:  # start() validates what it hands on; say what to change
            finished.set(TaskOutcome(target, error=str(err)))
            return
        finished.set(None)
        running.set((target, job))
        waiter = asyncio.create_task(_wait(target, job))
        waiters.add(waiter)
        waiter.add_done_callback(waiters.discard)

    async def _wait(target: Hashable, job: compute.Job) -> None:
        try:
            outcome = TaskOutcome(target, await job.result(), seconds=job.elapsed)
        except compute.TaskCancelled:
            outcome = TaskOutcome(target, cancelled=True, seconds=job.elapsed)
        except compute.TaskError as err:
            outcome = TaskOutcome(target, error=str(err), seconds=job.elapsed)
        async with reactive.lock():
            if outcome.ok:
                cache.put(cache_key(target), outcome)
            current = running()
            if current is not None and current[1] is job:
                running.set(None)
                finished.set(outcome)
            await reactive.flush()

    @reactive.effect
    @reactive.event(input.cancel)
    def _cancel():
        current = running()
        if current is not None:
            current[1].cancel()  # _wait records the cancelled outcome

    @reactive.calc
    def outcome() -> TaskOutcome:
        target = request()
        req(target is not None)
        cached = cache.get(cache_key(target))
        if cached is not None:
            return cached
        last = finished()
        if last is not None and last.request == target:
            return last
        req(False, cancel_output="progress")

    @reactive.effect
    def _buttons():
        current, last, target = running(), finished(), request()
        busy = current is not None and current[0] == target
        failed = last is not None and last.request == target and not last.ok
        ui.update_action_button("cancel", disabled=not busy)
        ui.update_action_button("retry", disabled=not failed)

    @render.ui
    def progress():
        current, target = running(), request()
        if current is not None and current[0] == target:
            reactive.invalidate_later(REFRESH_SECONDS)
            return progress_bar(current[1])
        last = finished()
        if last is None or last.request != target:
            return None
        if last.cancelled:
            return ui.div("Cancelled. Press Retry to compute it again.", class_="text-muted lmm-task-status")
        if last.error is not None:
            return ui.div(f"✗ {last.error}", class_="text-danger lmm-task-status lmm-task-error")
        return ui.div(f"✓ Done in {last.seconds:.1f} s", class_="text-success lmm-task-status")

    return outcome


def ready(outcome):
    """A long task's outcome, or None while it runs or has nothing to compute (a reader still depends on
    it, so it updates when the outcome arrives)."""
    try:
        return outcome()
    except SilentException:
        return None


def opened_once(shown):
    """A reactive flag that turns True the first time ``shown()`` is True and stays so.

    A panel's long tasks start only once it has been opened: a session that never looks at the pooling
    lines or the recovery study never spends a worker on them (for a large model, seconds to minutes per
    fit). From then on they follow every fit, so coming back to the panel finds the results ready.
    """
    opened = reactive.value(False)

    @reactive.effect
    def _watch():
        if shown():
            opened.set(True)

    return opened


def progress_bar(job: compute.Job) -> ui.Tag:
    """A Bootstrap progress bar with "done / total" and the time left, or the waiting state."""
    if job.started_at is None:
        return _bar(0, "Waiting for a free worker…")
    reported = job.progress()
    if reported is None or reported[1] <= 0:
        return _bar(0, f"Starting… {job.elapsed:.1f} s")
    done, total = reported
    return _bar(done / total, f"{done} / {total} · {time_left(job.elapsed, done, total)}")


def time_left(elapsed: float, done: int, total: int) -> str:
    """The remaining time at the pace so far, in words."""
    if done <= 0:
        return "estimating time left"
    seconds = elapsed * (total - done) / done
    return f"about {seconds:.0f} s left" if seconds >= 1 else "less than 1 s left"


def _bar(fraction: float, label: str) -> ui.Tag:
    percent = f"{100 * min(max(fraction, 0.0), 1.0):.0f}"
    return ui.div(
        ui.div(
            ui.div(
                class_="progress-bar progress-bar-striped progress-bar-animated",
                role="progressbar",
                style=f"width:{percent}%",
                aria_valuenow=percent,
                aria_valuemin="0",
                aria_valuemax="100",
            ),
            class_="progress",
        ),
        ui.div(label, class_="small text-muted lmm-task-label"),
        class_="lmm-task-progress",
    )
