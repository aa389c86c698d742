"""Task functions the compute-layer tests run in worker processes (module level, so they pickle by name)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def add(a, b):
    return a + b


def whoami() -> int:
    return os.getpid()


def spin(seconds: float, progress=None) -> int:
    """Busy for ``seconds`` (CPU, like a fit), reporting progress every 10 ms; returns the worker's pid."""
    started = time.monotonic()
    steps = max(int(seconds * 100), 1)
    for step in range(steps):
        while time.monotonic() < started + (step + 1) * seconds / steps:
            pass
        if progress is not None:
            progress(step + 1, steps)
    return os.getpid()


def die_once(marker: str) -> str:
    """Kill its own worker the first time (the marker file records it); succeed when retried."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return f"survived after {path.read_text()}"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fail() -> None:
    raise RuntimeError("a bug in the task")


def unpicklable_result():
    return lambda: None


def allocate(megabytes: int) -> int:
    """Touch ``megabytes`` of memory (the worker's peak grows), keep none of it."""
    block = bytearray(megabytes * 2**20)
    block[::4096] = b"x" * len(block[::4096])
    return len(block)


def logged_spin(seconds: float, log_dir: str, progress=None) -> float:
    """:func:`spin` that leaves a file per run in ``log_dir`` (named by the worker's pid and the time), so a
    test counts how often a request was computed; returns ``seconds``."""
    Path(log_dir, f"{os.getpid()}-{time.monotonic_ns()}").write_text(str(seconds))
    spin(seconds, progress)
    return seconds


def process_running(pid: int) -> bool:
    """Whether process ``pid`` runs, for the tests' checks that a worker stopped (a zombie has exited: it only
    waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
