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
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LME4_SCRIPT = ROOT / "benchmarks" / "lme4_times.R"
DATA_DIR = ROOT / "lmmcore" / "datasets" / "data"


def median_seconds(task: Callable[[], object], repeats: int) -> float:
    """Median wall-clock time of ``repeats`` calls (one untimed warm-up call first, for imports)."""
    task()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    return (
        f"{model}, {os.cpu_count()} cores (load average {load}); Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )


def rscript_available() -> bool:
    return shutil.which("Rscript") is not None


def lme4_seconds(
    task: str, csv: Path, formula: str, factors: list[str], repeats: int, nsim: int | None = None
) -> float | None:
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
    return json.loads(done.stdout.strip().splitlines()[-1])["median_seconds"]


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator / denominator:.1f}x"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub table; a ``|`` inside a cell (lme4's bar) is escaped."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(row) for row in rows)])
