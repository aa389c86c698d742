"""The compute layer: values, progress, cancel, budgets, fair sharing and fault isolation, with real worker
processes (the tasks are in ``tests/app/compute_tasks.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from explorer import compute

from tests.app import compute_tasks as tasks
from tests.app.shiny_sessions import in_own_thread

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")

# Waits for something that takes milliseconds on an idle machine; generous because the machine is shared.
PATIENCE = 60.0


@pytest.fixture
def layer(monkeypatch):
    """A fresh compute layer: two large workers, one small, long tasks capped at two per session."""
    compute.shutdown()
    monkeypatch.setenv("LMM_APP_WORKERS", "2")
    monkeypatch.setenv("LMM_APP_SMALL_WORKERS", "1")
    monkeypatch.setenv("LMM_SESSION_LONG_TASKS", "2")
    scheduler = compute.start()
    for lane in ("small", "large"):  # every worker up before a test measures anything
        compute.submit(tasks.add, 1, 1, lane=lane).wait(PATIENCE)
    yield scheduler
    compute.shutdown()


def _until(condition, timeout: float = PATIENCE, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.005)
    return value


def _running(layer, job) -> int:
    """Wait until ``job`` runs and has reported progress; its worker's pid."""
    _until(lambda: job.progress() is not None, what=f"{job} running")
    return layer.pid_of(job)


@pytest.fixture
def large_lane_busy(layer):
    """Both large-lane workers busy with other sessions' long tasks: a small fit can only run on the small
    lane's one worker."""
    hogs = [compute.submit(tasks.spin, 120, lane="large", owner=f"hog-{i}") for i in range(2)]
    for hog in hogs:
        _running(layer, hog)
    yield hogs
    for hog in hogs:
        hog.cancel()


def test_a_value_and_the_progress_come_back(layer):
    job = compute.submit(tasks.spin, 0.5, lane="small")
    pid = _running(layer, job)
    done, total = job.progress()
    assert total == 50 and 1 <= done <= 50
    assert job.wait(PATIENCE) == pid
    assert job.progress() == (50, 50)
    assert compute.submit(tasks.add, 2, 3).wait(PATIENCE) == 5


def test_cancel_stops_the_worker_within_half_a_second(layer):
    job = compute.submit(tasks.spin, 60, lane="large")
    pid = _running(layer, job)
    started = time.monotonic()
    job.cancel()
    with pytest.raises(compute.TaskCancelled):
        job.wait(0.5)
    _until(lambda: not tasks.process_running(pid), timeout=0.5, what="the cancelled worker's exit")
    assert time.monotonic() - started < 0.5
    # The slot has a fresh worker: the lane keeps working.
    assert compute.submit(tasks.add, 1, 2, lane="large").wait(PATIENCE) == 3


def test_a_queued_job_cancelled_never_runs(large_lane_busy):
    queued = compute.submit(tasks.whoami, lane="large", owner="b")
    queued.cancel()
    with pytest.raises(compute.TaskCancelled):
        queued.wait(0.1)
    for hog in large_lane_busy:
        hog.cancel()
    assert compute.submit(tasks.add, 1, 1, lane="large").wait(PATIENCE) == 2  # the lane is free again
    assert queued.started_at is None


def test_a_new_fit_of_a_session_cancels_its_running_fit_and_stops_its_worker(layer):
    first = compute.submit(tasks.spin, 60, lane="large", owner="session-a", kind="fit")
    other_session = compute.submit(tasks.spin, 1, lane="large", owner="session-b", kind="fit")
    other_function = compute.submit(tasks.add, 1, 1, lane="small", owner="session-a", kind="fit")
    assert other_function.wait(PATIENCE) == 2  # a panel's own refit is not the live fit's predecessor
    pid = _running(layer, first)
    second = compute.submit(tasks.spin, 0.1, lane="small", owner="session-a", kind="fit")
    with pytest.raises(compute.TaskCancelled):
        first.wait(PATIENCE)
    _until(lambda: not tasks.process_running(pid), timeout=5, what="the superseded fit's worker exit")
    assert isinstance(second.wait(PATIENCE), int)
    assert isinstance(other_session.wait(PATIENCE), int)  # another session's fit is left alone


def test_a_task_past_its_budget_ends_with_what_to_simplify(layer):
    job = compute.submit(tasks.spin, 60, lane="large", budget=0.5, kind="fit")
    with pytest.raises(compute.TaskTimeout) as raised:
        job.wait(PATIENCE)
    assert str(raised.value) == (
        "The fit did not finish within 0.5 s: simplify the model (fewer random slopes, a factor with fewer "
        "levels, or fewer rows)."
    )
    long_job = compute.submit(tasks.spin, 60, lane="small", budget=0.3, kind="long")
    with pytest.raises(compute.TaskTimeout, match=r"within 0.3 s: ask for less \(fewer simulations"):
        long_job.wait(PATIENCE)


def test_default_budgets_come_from_the_environment(layer, monkeypatch):
    assert compute.submit(tasks.add, 1, 1, kind="fit").budget == 30
    assert compute.submit(tasks.add, 1, 1, kind="long").budget == 120
    monkeypatch.setenv("LMM_FIT_BUDGET_SECONDS", "12.5")
    monkeypatch.setenv("LMM_TASK_BUDGET_SECONDS", "not a number")
    assert compute.submit(tasks.add, 1, 1, kind="fit").budget == 12.5
    assert compute.submit(tasks.add, 1, 1, kind="long").budget == 120


def test_a_killed_worker_fails_only_its_task_which_is_retried_once(layer, tmp_path):
    bystander = compute.submit(tasks.spin, 1.5, lane="large", owner="b")
    _running(layer, bystander)
    survivor = compute.submit(tasks.die_once, str(tmp_path / "marker"), lane="large", owner="a")
    assert survivor.wait(PATIENCE).startswith("survived after ")
    assert survivor.attempts == 2
    doomed = compute.submit(tasks.die, lane="large", owner="a")
    with pytest.raises(compute.TaskFailed, match="stopped unexpectedly, twice"):
        doomed.wait(PATIENCE)
    assert doomed.attempts == 2
    assert isinstance(bystander.wait(PATIENCE), int)  # the other task on the other worker completed


def test_a_worker_killed_from_outside_is_replaced_and_its_task_retried(layer):
    job = compute.submit(tasks.spin, 1, lane="small")
    pid = _running(layer, job)
    os.kill(pid, 9)
    new_pid = job.wait(PATIENCE)
    assert new_pid != pid and job.attempts == 2


def test_a_lane_whose_worker_cannot_start_fails_its_task_with_a_message_and_recovers(
    layer, large_lane_busy, monkeypatch
):
    from explorer.compute.slot import WorkerSlot

    running = compute.submit(tasks.spin, 60, lane="small", kind="fit")
    _running(layer, running)

    def cannot_start(self):
        raise OSError("no fork server")

    with monkeypatch.context() as patch:
        patch.setattr(WorkerSlot, "_start_process", cannot_start)
        running.cancel()  # its worker is killed; the replacement cannot start
        with pytest.raises(compute.TaskFailed, match="No worker process could be started"):
            compute.submit(tasks.add, 1, 1, lane="small", kind="fit").wait(PATIENCE)
    assert compute.submit(tasks.add, 1, 1, lane="small", kind="fit").wait(PATIENCE) == 2


def test_a_task_error_is_reported_and_the_worker_kept(large_lane_busy):
    pid = compute.submit(tasks.whoami, lane="small", kind="fit").wait(PATIENCE)
    with pytest.raises(compute.TaskFailed, match=r"RuntimeError: a bug in the task.*then Retry"):
        compute.submit(tasks.fail, lane="small", kind="fit").wait(PATIENCE)
    with pytest.raises(compute.TaskFailed, match="could not be sent back"):
        compute.submit(tasks.unpicklable_result, lane="small", kind="fit").wait(PATIENCE)
    assert compute.submit(tasks.whoami, lane="small", kind="fit").wait(PATIENCE) == pid


def test_long_tasks_never_occupy_the_small_lanes_worker(large_lane_busy):
    long_on_small_data = compute.submit(tasks.spin, 30, lane="small", owner="bootstrapper")
    fit = compute.submit(tasks.add, 1, 1, lane="small", owner="newcomer", kind="fit")
    assert fit.wait(PATIENCE) == 2
    assert long_on_small_data.started_at is None  # waits for a large-lane worker
    long_on_small_data.cancel()


def test_small_fits_do_not_wait_behind_large_ones(layer):
    large = [compute.submit(tasks.spin, 30, lane="large", owner=f"big-{i}", kind="fit") for i in range(3)]
    for job in large[:2]:
        _running(layer, job)
    small = compute.submit(tasks.add, 1, 1, lane="small", owner="newcomer", kind="fit")
    assert small.wait(PATIENCE) == 2
    assert all(not job.done() for job in large) and large[2].started_at is None
    for job in large:
        job.cancel()


def test_a_session_runs_at_most_its_cap_of_long_tasks(layer, monkeypatch):
    monkeypatch.setenv("LMM_SESSION_LONG_TASKS", "1")
    first = compute.submit(tasks.spin, 30, lane="large", owner="greedy")
    second = compute.submit(tasks.spin, 0.1, lane="large", owner="greedy")
    other = compute.submit(tasks.spin, 0.1, lane="large", owner="modest")
    _running(layer, first)
    assert isinstance(other.wait(PATIENCE), int)  # took the second worker, which greedy's cap kept free
    assert second.started_at is None
    first.cancel()
    assert isinstance(second.wait(PATIENCE), int)  # ran once its session's first task ended


def test_cancel_owner_cancels_queued_and_running_jobs(layer):
    jobs = [compute.submit(tasks.spin, 30, lane="large", owner="gone") for _ in range(3)]
    keep = compute.submit(tasks.spin, 0.2, lane="small", owner="stays")
    _running(layer, jobs[0])
    compute.cancel_owner("gone")
    for job in jobs:
        with pytest.raises(compute.TaskCancelled):
            job.wait(1)
    assert isinstance(keep.wait(PATIENCE), int)


def test_a_worker_that_grew_large_is_replaced_after_its_task(large_lane_busy, monkeypatch):
    monkeypatch.setenv("LMM_WORKER_RECYCLE_MB", "64")

    def on_the_small_worker(fn, *args):
        return compute.submit(fn, *args, lane="small", kind="fit").wait(PATIENCE)

    pid = on_the_small_worker(tasks.whoami)
    assert on_the_small_worker(tasks.allocate, 16) == 16 * 2**20
    assert on_the_small_worker(tasks.whoami) == pid  # small growth: kept
    assert on_the_small_worker(tasks.allocate, 200) == 200 * 2**20
    _until(lambda: not tasks.process_running(pid), timeout=5, what="the grown worker's exit")
    assert on_the_small_worker(tasks.whoami) != pid


def test_bad_lane_or_kind_is_refused():
    with pytest.raises(ValueError, match="lane must be one of"):
        compute.submit(tasks.add, 1, 1, lane="huge")
    with pytest.raises(ValueError, match="kind must be one of"):
        compute.submit(tasks.add, 1, 1, kind="forever")


def test_lanes_are_decided_by_rows_times_random_effect_columns():
    assert compute.lane_for(200_000) == "small"
    assert compute.lane_for(200_001) == "large"
    assert compute.lane_for(5_000, 50) == "large"
    assert compute.lane_for(5_000, 2) == "small"


def test_release_memory_trims_the_heap_on_glibc():
    import platform

    assert compute.release_memory() is (platform.libc_ver()[0] == "glibc")


_APP_EXITING = """
import sys
sys.path[:0] = [{app_dir!r}, {root!r}]
from explorer import compute
from tests.app import compute_tasks as tasks
if __name__ == "__main__":
    for lane in ("small", "large"):
        compute.submit(tasks.add, 1, 1, lane=lane).wait(120)
    running = compute.submit(tasks.spin, 60, lane="large")
    while running.progress() is None:
        pass
    print(" ".join(str(slot.pid) for slot in compute.scheduler().slots), flush=True)
    # A normal exit with a task still running: the layer's atexit hook must leave nothing behind.
"""


def test_a_clean_exit_leaves_no_worker_and_no_leaked_semaphore(tmp_path):
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "app.py"
    script.write_text(_APP_EXITING.format(app_dir=str(root / "app"), root=str(root)))
    finished = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert finished.returncode == 0, finished.stderr
    workers = [int(pid) for pid in finished.stdout.split()]
    assert len(workers) == 3
    assert "leaked" not in finished.stderr and "Traceback" not in finished.stderr, finished.stderr
    _until(lambda: not any(map(tasks.process_running, workers)), timeout=10, what="every worker's exit")


def test_memory_is_released_once_after_a_burst_of_session_ends(monkeypatch):
    in_own_thread(_memory_is_released_once_after_a_burst_of_session_ends, monkeypatch)


def _memory_is_released_once_after_a_burst_of_session_ends(monkeypatch):
    """On a thread without a running loop (Playwright's sync API leaves one on the main thread)."""
    import asyncio

    from explorer.compute import memory

    released = []
    monkeypatch.setattr(memory, "release_memory", lambda: released.append(True))

    async def three_sessions_end():
        before = len(released)
        for _ in range(3):
            compute.release_memory_soon(delay=0.05)
        assert len(released) == before  # not during the sessions' teardown
        await asyncio.sleep(0.2)

    asyncio.run(three_sessions_end())
    assert released == [True]
    asyncio.run(three_sessions_end())  # another loop (a test server's) while none is pending
    assert released == [True, True]
    compute.release_memory_soon()  # no event loop: at once
    assert released == [True, True, True]


_HEAP_GROWTH = """
import sys
import numpy as np
from explorer.compute import memory

def heap_mb():
    lines = open("/proc/self/smaps").read().splitlines()
    for i, line in enumerate(lines):
        if line.endswith("[heap]"):
            rss = next(follow for follow in lines[i + 1:] if follow.startswith("Rss:"))
            return int(rss.split()[1]) / 1024
    return 0.0

if sys.argv[1] == "fixed":
    assert memory.map_large_blocks()
big = np.ones(4 * 2**20 // 8)  # a 4 MB block: freeing it raises glibc's default threshold to 4 MB
del big
before = heap_mb()
blocks = [np.ones(256 * 2**10 // 8) for _ in range(200)]  # 50 MB in 256 KB blocks
print(round(heap_mb() - before))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_large_blocks_of_the_app_process_are_mapped_on_their_own_never_taken_from_the_heap():
    def heap_growth(mode: str) -> int:
        finished = subprocess.run(
            [sys.executable, "-c", _HEAP_GROWTH, mode],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(compute.__file__).resolve().parents[2],
            check=True,
        )
        return int(finished.stdout.strip())

    assert heap_growth("default") > 40  # glibc's default: after one large free, such blocks fill the heap
    assert heap_growth("fixed") < 5  # with the fixed threshold each is a mapping, unmapped when freed
