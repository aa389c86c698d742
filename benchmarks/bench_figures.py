"""What a finished fit costs the Shiny event loop: every figure and table builder a live fit triggers there,
timed at 100 rows, 100,000 rows, 1,000,000 rows (``simulate_biomass``) and InstEval's size.

Each builder is timed as the app runs it: the figure built and serialised to JSON (``render_plotly`` sends
``figure.to_json()`` from the event loop), the tables formatted and rendered as HTML (their inference, R²
and ICC come from the fit's worker and are not timed). The fit itself runs in a
worker and is not timed here; it is done once per data set. The target is about 100 ms per builder at 1M
rows: anything longer delays every session's updates in the process.

Run from the repository root: ``python -m benchmarks.bench_figures [--repeats 5] [--sizes 100,100000,1000000]
[--no-insteval]``. Prints each builder's median and best wall time and its median CPU time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from benchmarks.common import ROOT, format_seconds, format_timing, machine, markdown_table, time_calls

sys.path.insert(0, str(ROOT / "app"))

FORMULA = "Biomass ~ Temp + N + (1 + Temp | Site)"
ROWS_PER_SITE = 100


def _simulated(rows: int):
    from lmmcore import datasets

    per_site = min(ROWS_PER_SITE, rows // 10)
    return FORMULA, datasets.simulate_biomass(n_sites=rows // per_site, n_per_site=per_site)


def _insteval():
    from lmmcore import datasets

    return datasets.describe("InstEval").formula, datasets.load("InstEval")


def builders(result, data) -> dict[str, Callable[[], object]]:
    """The work a finished fit starts on the event loop, as the panels call it (figures with their JSON)."""
    from explorer.figures import diagnostics as fig
    from explorer.figures.caterpillar import caterpillar
    from explorer.fit_data import fit_data
    from explorer.tables import summary_tables as tables
    from explorer.tables.inference_tables import summary_inference

    d = fit_data(result, data)
    group = next(iter(d.groups))
    inference = summary_inference(result)  # computed with the fit, in its worker
    measures = tables.quality_measures(inference.r2, inference.icc)
    labels = d.drawn_labels
    return {
        "fit_data": lambda: fit_data(result, data),
        "residuals vs fitted": lambda: fig.residuals_vs_fitted(d.fitted, d.pearson, labels).to_json(),
        "QQ residuals": lambda: fig.qq_residuals(d.pearson).to_json(),
        "QQ random effects": lambda: fig.qq_random_effects(d.ranef).to_json(),
        "residuals by group": lambda: fig.residuals_by_group(
            d.pearson, d.groups[group], group, labels
        ).to_json(),
        "observed vs fitted": lambda: fig.observed_vs_fitted(
            d.observed, d.fitted, d.response_name, labels
        ).to_json(),
        "caterpillar": lambda: caterpillar(result.ranef[group], result.ranef_sd[group], group).to_json(),
        "summary tables": lambda: [
            tables.format_fixed(inference.fixed).to_html(),
            tables.format_numbers(tables.random_effects(result)).to_html(),
            tables.model_info(result, True, measures).to_html(),
            tables.summary_warnings(result),
            result.summary(),
        ],
    }


def cpu_median(task: Callable[[], object], repeats: int) -> float:
    """Median CPU seconds of this process per call: what the call itself costs, whatever else loads the
    machine (the wall time on a shared machine includes waiting for a core)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        task()
        times.append(time.process_time() - start)
    return statistics.median(times)


def run(name: str, formula: str, data, repeats: int) -> list[list[str]]:
    from explorer import engine

    start = time.perf_counter()
    result = engine.fit(formula, data, reml=True)
    print(f"{name}: {len(data):,} rows, fitted in {time.perf_counter() - start:.1f} s (not on the loop)")
    rows = []
    for builder, task in builders(result, data).items():
        timing = time_calls(task, repeats)
        cpu = format_seconds(cpu_median(task, repeats))
        rows.append([name, builder, format_timing(timing), cpu])
        print(f"  {builder}: {format_timing(timing)}, CPU {cpu}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="100,100000,1000000", help="simulated row counts, comma-separated")
    parser.add_argument("--no-insteval", action="store_true")
    args = parser.parse_args()
    print(machine())
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        rows += run(f"{size:,} rows", *_simulated(size), args.repeats)
    if not args.no_insteval:
        rows += run("InstEval", *_insteval(), args.repeats)
    print()
    print(markdown_table(["data", "builder (with JSON / HTML)", "wall: median (best)", "CPU: median"], rows))


if __name__ == "__main__":
    main()
