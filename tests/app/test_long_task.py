"""The long-task glue in shiny's in-memory test server: progress, Cancel, Retry, the per-request cache, the
current request only, and the session's state dropped at its end."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from explorer import compute
from explorer.panels.long_task import long_task_server, long_task_ui, progress_bar, time_left
from explorer.session_state import ResultCache, SessionState
from shiny import App, reactive, render, ui
from shiny.testserver import test_server

from tests.app import compute_tasks as tasks
from tests.app.shiny_sessions import fresh_reactive_lock, in_own_thread, settled  # noqa: F401 (a fixture)

PATIENCE = 60.0


def _app(log_dir: Path, states: list) -> App:
    """One numeric input ``tenths``; its long task spins for that many tenths of a second (0: nothing)."""
    app_ui = ui.page_fluid(
        ui.input_numeric("tenths", "Tenths", 0), long_task_ui("task"), ui.output_text("shown")
    )

    def server(input, output, session):
        state = SessionState(session)
        states.append(state)

        @reactive.calc
        def request():
            return ("spin", input.tenths()) if input.tenths() else None

        def start(request):
            return tasks.logged_spin, (request[1] / 10, str(log_dir)), "small", None

        outcome = long_task_server("task", request=request, start=start, cache=state.cache)

        @render.text
        def shown():
            current = outcome()
            return f"{current.request[1]}|{current.value}|{current.error}|{current.cancelled}"

    return App(app_ui, server)


def _runs(log_dir: Path) -> list[float]:
    return sorted(float(path.read_text()) for path in log_dir.iterdir())


@pytest.mark.usefixtures("fresh_reactive_lock")
def test_a_long_task_answers_the_current_request_with_progress_cancel_retry_and_cache(tmp_path):
    in_own_thread(_scenario, tmp_path)


def _scenario(tmp_path: Path) -> None:
    log_dir = tmp_path / "runs"
    log_dir.mkdir()
    states: list[SessionState] = []
    with test_server(_app(log_dir, states), timeout_secs=60) as ts:
        ts.set_inputs(tenths=2)
        assert settled(ts, "shown", lambda v: v.startswith("2|")) == "2|0.2|None|False"
        assert "Done in" in str(ts.get_output("task-progress").value)

        # A long request shows progress "done / total" and the time left while it runs.
        ts.set_inputs(tenths=300)
        bar = settled(ts, "task-progress", lambda v: "/ 3000" in str(v))
        assert "left" in str(bar) and "progress-bar" in str(bar)

        # A new request supersedes it: the old job is cancelled and never shown as the answer.
        (running,) = [job for job in compute.scheduler().running() if job.owner == states[0].owner]
        ts.set_inputs(tenths=3)
        assert settled(ts, "shown", lambda v: v.startswith("3|")) == "3|0.3|None|False"
        assert running.done() and running.cancel_requested

        # Cancel stops it; Retry computes it again.
        ts.set_inputs(tenths=290)
        settled(ts, "task-progress", lambda v: "/ 2900" in str(v))
        ts.set_inputs(**{"task-cancel": 1})
        assert settled(ts, "shown", lambda v: v.startswith("290|")) == "290|None|None|True"
        assert "Cancelled" in str(ts.get_output("task-progress").value)
        ts.set_inputs(tenths=4)
        settled(ts, "shown", lambda v: v.startswith("4|"))
        assert _runs(log_dir) == [0.2, 0.3, 0.4, 29.0, 30.0]

        # Earlier settings come from the cache: shown at once, not computed again.
        ts.set_inputs(tenths=2)
        assert settled(ts, "shown", lambda v: v.startswith("2|")) == "2|0.2|None|False"
        ts.set_inputs(tenths=3)
        assert settled(ts, "shown", lambda v: v.startswith("3|")) == "3|0.3|None|False"
        assert _runs(log_dir) == [0.2, 0.3, 0.4, 29.0, 30.0]
        assert len(states[0].cache) == 3

        # Back to the cancelled request: only results are kept, so it is computed again; Cancel, then Retry.
        ts.set_inputs(tenths=290)
        settled(ts, "task-progress", lambda v: "/ 2900" in str(v))
        ts.set_inputs(**{"task-cancel": 2})
        assert settled(ts, "shown", lambda v: v.startswith("290|")) == "290|None|None|True"
        ts.set_inputs(**{"task-retry": 1})
        assert settled(ts, "shown", lambda v: not v.endswith("True")) == "290|29.0|None|False"
        assert _runs(log_dir) == [0.2, 0.3, 0.4, 29.0, 29.0, 29.0, 30.0]
        state = states[0]
        # The session ends while a task runs.
        ts.set_inputs(tenths=600)
        settled(ts, "task-progress", lambda v: "/ 6000" in str(v))
        (left_running,) = [job for job in compute.scheduler().running() if job.owner == state.owner]
        pid = compute.scheduler().pid_of(left_running)
    # The session ended: its results are gone, its task was cancelled and its worker stopped.
    assert len(state.cache) == 0 and state.closed
    assert left_running.cancel_requested
    with pytest.raises(compute.TaskCancelled):
        left_running.wait(5)
    deadline = time.monotonic() + 5
    while tasks.process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not tasks.process_running(pid)


def test_the_cache_keeps_the_most_recently_used_entries():
    cache = ResultCache(max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert cache.get("b", "missing") == "missing"
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("elapsed", "done", "total", "words"),
    [
        (2.0, 1, 3, "about 4 s left"),
        (1.0, 99, 100, "less than 1 s left"),
        (0.5, 0, 10, "estimating time left"),
    ],
)
def test_time_left_follows_the_pace_so_far(elapsed, done, total, words):
    assert time_left(elapsed, done, total) == words


def test_the_progress_bar_shows_done_of_total():
    job = compute.submit(tasks.spin, 0.3, lane="small")
    assert "Waiting for a free worker" in str(progress_bar(job)) or "Starting" in str(progress_bar(job))
    deadline = time.monotonic() + PATIENCE
    while job.progress() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    html = str(progress_bar(job))
    done, total = job.progress()
    assert f"/ {total}" in html and 'role="progressbar"' in html
    job.wait(PATIENCE)
