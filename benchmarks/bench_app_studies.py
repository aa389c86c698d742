"""The Recovery, Pooling and Model comparison panels' work on the default model, as the app runs it: through
the compute layer's worker processes, plus the figures and tables the panel then builds.

    python -m benchmarks.bench_app_studies            # from the repository root; --repeats N

- 200-replicate recovery shown: ``recovery_job`` in a worker (the fitted model as truth, and the simulation
  parameters of the seed design), progress read by the app, then the histograms and the table (target:
  under 5 s);
- pooling shown: ``pooling_job`` (a least-squares fit per site next to the fitted model's estimates) in a
  worker, then the grid and the shrinkage figure;
- comparison shown: ``comparison_job`` (lme4's anova of two REML fits, refitted by ML) in a worker, then
  the table.

Medians over the repeats, the best in parentheses. One untimed call of each job warms the workers first, as
the app's start does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from explorer import compute  # noqa: E402
from explorer.figures.pooling import pooling_grid, shown_levels, shrinkage_figure  # noqa: E402
from explorer.figures.recovery import recovery_histograms  # noqa: E402
from explorer.study_jobs import (  # noqa: E402
    ComparisonRequest,
    PoolingRequest,
    RecoveryRequest,
    comparison_job,
    pooling_job,
    recovery_job,
)
from explorer.tables.comparison import format_comparison  # noqa: E402
from explorer.tables.recovery_table import recovery_table  # noqa: E402

import lmmcore  # noqa: E402
from benchmarks.common import machine  # noqa: E402

DEFAULT = "Biomass ~ Temp + N + (1 + Temp | Site)"
SMALLER = "Biomass ~ Temp + N + (1 | Site)"


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f} ms ({min(times) * 1000:.0f} ms)"


def recovery_shown(request: RecoveryRequest) -> tuple[float, int]:
    """Seconds until the study's figure and table are built, and how many progress readings the app saw."""
    started = time.perf_counter()
    job = compute.submit(recovery_job, request, lane="small")
    readings = set()
    while not job.done():
        readings.add(job.progress())
        time.sleep(0.02)
    result = job.wait(60)
    recovery_histograms(result).to_json()
    recovery_table(result)
    if len(result.estimates) != request.nrep:
        raise RuntimeError(f"{request.nrep - len(result.estimates)} replicates failed")
    return time.perf_counter() - started, len(readings - {None})


def pooling_shown(request: PoolingRequest) -> float:
    started = time.perf_counter()
    view = compute.submit(pooling_job, request, lane="small").wait(60)
    pooling_grid(view, "Temp", shown_levels(view, ())).to_json()
    shrinkage_figure(view, "Temp").to_json()
    return time.perf_counter() - started


def comparison_shown(request: ComparisonRequest) -> float:
    started = time.perf_counter()
    format_comparison(compute.submit(comparison_job, request, lane="small").wait(60))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    data = lmmcore.datasets.load("biomass")
    m, m0 = lmmcore.fit(DEFAULT, data), lmmcore.fit(SMALLER, data)
    from_fit = RecoveryRequest("fitted", DEFAULT, True, "bench", (), 200, 1, 0.95, model=m)
    from_simulation = RecoveryRequest("simulation", DEFAULT, True, "", (), 200, 1, 0.95)
    pooling = PoolingRequest(("example", "biomass"), DEFAULT, True, "Site", model=m, frame=data)
    comparison = ComparisonRequest((1, 2), (SMALLER, DEFAULT), models=(m0, m))
    compute.start()
    recovery_shown(from_fit), pooling_shown(pooling), comparison_shown(comparison)  # warm the workers
    print(machine())
    print(f"default model {DEFAULT}, biomass ({m.nobs} rows); {args.repeats} repeats\n")
    print("| task | median (best) | target |\n| --- | --- | --- |")
    for label, request in (
        ("the fitted model as truth", from_fit),
        ("simulation parameters", from_simulation),
    ):
        runs = [recovery_shown(request) for _ in range(args.repeats)]
        seen = min(count for _, count in runs)
        print(
            f"| 200-replicate recovery, {label}: job with progress, histograms and table | "
            f"{_summary([t for t, _ in runs])} | < 5 s (at least {seen} progress readings) |"
        )
    pools = [pooling_shown(pooling) for _ in range(args.repeats)]
    print(f"| pooling of 20 sites: job, grid and shrinkage figures | {_summary(pools)} | none |")
    comparisons = [comparison_shown(comparison) for _ in range(args.repeats)]
    print(f"| LRT of two REML fits (ML refits): job and table | {_summary(comparisons)} | none |")
    compute.shutdown()


if __name__ == "__main__":
    main()
