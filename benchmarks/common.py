"""What both benchmark scripts share: timing, the machine's description, lme4 through Rscript."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LME4_SCRIPT = ROOT / "benchmarks" / "lme4_times.R"
DATA_DIR = ROOT / "lmmcore" / "datasets" / "data"


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated calls: the median, and the best as the least disturbed one.

    Both matter on a shared machine, where other processes' load lengthens some calls.
    """

    median: float
    best: float


def time_calls(task: Callable[[], object], repeats: int, warm_up: bool = True) -> Timing:
    """Time ``repeats`` calls, after one untimed call (imports, caches) unless ``warm_up`` is False."""
    if warm_up:
        task()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return Timing(statistics.median(times), min(times))


def machine() -> str:
    """CPU model, cores, load and library versions: the context every number needs."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    return (
        f"{model}, {os.cpu_count()} cores (load average {load}); Python {platform.python_version()}, "
        f"numpy {np.__version__}, BLAS threads {blas_threads}"
    )


def rscript_available() -> bool:
    return shutil.which("Rscript") is not None


def lme4_timing(
    task: str, csv: Path, formula: str, factors: list[str], repeats: int, nsim: int | None = None
) -> Timing | None:
    """Median seconds of lme4 doing ``task`` (see lme4_times.R); None when R or lme4 is missing."""
    if not rscript_available():
        return None
    command = ["Rscript", str(LME4_SCRIPT), task, str(csv), formula, ",".join(factors), str(repeats)]
    if nsim is not None:
        command.append(str(nsim))
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  lme4 failed for {task} {formula}: {done.stderr.strip().splitlines()[-1:]}")
        return None
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return Timing(report["median_seconds"], report["min_seconds"])


def format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def format_timing(timing: Timing | None) -> str:
    """``median (best)``, or the single time of a one-off run."""
    if timing is None:
        return "n/a"
    if timing.best == timing.median:
        return format_seconds(timing.median)
    return f"{format_seconds(timing.median)} ({format_seconds(timing.best)})"


def ratio(numerator: Timing | None, denominator: Timing | None) -> str:
    """Ratio of the medians."""
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator.median / denominator.median:.1f}x"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub table; a ``|`` inside a cell (lme4's bar) is escaped."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(row) for row in rows)])
