"""The compute layer's own costs, as the app pays them (worker processes from the warmed fork server).

    python -m benchmarks.bench_app_tasks            # from the repository root; --repeats N

- submit-to-result overhead: a task that does nothing, submitted and awaited (pickling both ways, the
  pipe, the scheduler's threads);
- the live fit of the default model through the layer against the same fit in-process;
- cancel latency: a busy task cancelled once its progress has moved; the time until the job is settled as
  cancelled, until its worker process is gone, and until the lane answers the next task (a fresh worker
  forked from the fork server);
- a small fit while every large-lane worker is busy with another session's long task.

Medians over the repeats, the best in parentheses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from explorer import compute, engine  # noqa: E402
from explorer.fitting import FitRequest, fit_in_worker  # noqa: E402

from benchmarks.common import machine  # noqa: E402


def nothing() -> None:
    return None


def busy(seconds: float, progress=None) -> None:
    """CPU-bound for ``seconds``, reporting progress every 10 ms."""
    started = time.monotonic()
    steps = max(int(seconds * 100), 1)
    for step in range(steps):
        while time.monotonic() < started + (step + 1) * seconds / steps:
            pass
        if progress is not None:
            progress(step + 1, steps)


def _summary(name: str, seconds: list[float]) -> str:
    return f"  {name}: {1000 * statistics.median(seconds):.1f} ms ({1000 * min(seconds):.1f} ms)"


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"


def submit_overhead(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        compute.submit(nothing, lane="small").wait(60)
        times.append(time.perf_counter() - started)
    return times


def fit_through_layer(repeats: int) -> tuple[list[float], list[float]]:
    data = engine.load_example(engine.DEFAULT_EXAMPLE)
    request = FitRequest(engine.DEFAULT_FORMULA, True, ("example", engine.DEFAULT_EXAMPLE))
    layer, direct = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        compute.submit(fit_in_worker, request, data, lane="small", kind="fit").wait(60)
        layer.append(time.perf_counter() - started)
        started = time.perf_counter()
        fit_in_worker(request, data)
        direct.append(time.perf_counter() - started)
    return layer, direct


def cancel_latency(repeats: int) -> tuple[list[float], list[float], list[float]]:
    settled, exited, answered = [], [], []
    scheduler = compute.scheduler()
    for _ in range(repeats):
        job = compute.submit(busy, 60, lane="large")
        while job.progress() is None:
            time.sleep(0.001)
        pid = scheduler.pid_of(job)
        started = time.perf_counter()
        job.cancel()
        try:
            job.wait(5)
        except compute.TaskCancelled:
            settled.append(time.perf_counter() - started)
        while not _gone(pid):
            time.sleep(0.0005)
        exited.append(time.perf_counter() - started)
        compute.submit(nothing, lane="large").wait(60)
        answered.append(time.perf_counter() - started)
    return settled, exited, answered


def small_fit_beside_large_tasks(repeats: int) -> list[float]:
    data = engine.load_example(engine.DEFAULT_EXAMPLE)
    request = FitRequest(engine.DEFAULT_FORMULA, True, ("example", engine.DEFAULT_EXAMPLE))
    large_workers = sum(slot.lane == "large" for slot in compute.scheduler().slots)
    hogs = [compute.submit(busy, 600, lane="large", owner=f"hog-{i}") for i in range(large_workers)]
    times = []
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            compute.submit(fit_in_worker, request, data, lane="small", owner="newcomer", kind="fit").wait(60)
            times.append(time.perf_counter() - started)
    finally:
        for hog in hogs:
            hog.cancel()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    repeats = parser.parse_args().repeats
    print(machine())
    compute.start()
    compute.submit(nothing, lane="small").wait(120)
    compute.submit(nothing, lane="large").wait(120)
    print(_summary("submit to result, a task doing nothing", submit_overhead(repeats)))
    layer, direct = fit_through_layer(repeats)
    print(_summary("default model fit through the compute layer", layer))
    print(_summary("the same fit (and its summary inference) in-process", direct))
    settled, exited, answered = cancel_latency(repeats)
    print(_summary("cancel: job settled as cancelled", settled))
    print(_summary("cancel: worker process gone", exited))
    print(_summary("cancel: lane answers the next task (fresh worker)", answered))
    print(_summary("small fit while the large lane is busy", small_fit_beside_large_tasks(repeats)))
    compute.shutdown()


if __name__ == "__main__":
    main()
