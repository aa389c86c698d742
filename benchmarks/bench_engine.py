"""Fit times: lmmcore.fit against statsmodels' MixedLM and lme4 (through Rscript, when installed).

    python -m benchmarks.bench_engine            # from the repository root; --quick for fewer repeats

Every engine fits the same model by REML to the same rows; times are medians of repeats (one warm-up
call first) and include formula handling, as a user sees them. The largest case (1,000,000 rows) runs
lmmcore alone in a fresh process that also reports its peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

import lmmcore
from benchmarks.common import (
    DATA_DIR,
    Timing,
    format_timing,
    lme4_timing,
    machine,
    markdown_table,
    ratio,
    time_calls,
)
from lmmcore.datasets import load, simulate_biomass


@dataclass(frozen=True)
class Case:
    """One model on one data set, with MixedLM's spelling of it (None: MixedLM cannot fit it)."""

    label: str
    data: pd.DataFrame
    formula: str
    groups: list[str]
    mixedlm: tuple[str, str, str] | None  # (fixed formula, group column, re_formula)
    repeats: int
    csv: Path | None = None  # the bundled file lme4 reads; None: written to a temporary file


def cases(quick: bool) -> list[Case]:
    few = 1 if quick else 3
    many = 3 if quick else 15
    biomass = "Biomass ~ Temp + N + (1 + Temp | Site)"
    return [
        Case(
            "sleepstudy, (Days | Subject)",
            load("sleepstudy"),
            "Reaction ~ Days + (Days | Subject)",
            ["Subject"],
            ("Reaction ~ Days", "Subject", "~Days"),
            many,
            DATA_DIR / "sleepstudy.csv",
        ),
        Case(
            "seed biomass, 100 rows / 20 sites",
            load("biomass"),
            biomass,
            ["Site"],
            ("Biomass ~ Temp + N", "Site", "~Temp"),
            many,
            DATA_DIR / "biomass.csv",
        ),
        Case(
            "biomass, 10,000 rows / 400 sites",
            simulate_biomass(400, 25, seed=1),
            biomass,
            ["Site"],
            ("Biomass ~ Temp + N", "Site", "~Temp"),
            few,
        ),
        Case(
            "InstEval, 73,421 rows, crossed",
            load("InstEval"),
            "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
            ["s", "d", "studage", "lectage", "service", "dept"],
            None,  # crossed factors: MixedLM's variance components would need a dense 73,421 x 4,128 Z
            few,
            DATA_DIR / "InstEval.csv.gz",
        ),
    ]


def time_lmmcore(case: Case) -> tuple[Timing, object]:
    fitted = lmmcore.fit(case.formula, case.data)
    return time_calls(lambda: lmmcore.fit(case.formula, case.data), case.repeats, warm_up=False), fitted


def time_mixedlm(case: Case) -> tuple[Timing | None, object]:
    if case.mixedlm is None:
        return None, None
    fixed, group, re_formula = case.mixedlm

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MixedLM's convergence chatter; agreement is checked below
            model = smf.mixedlm(fixed, case.data, groups=case.data[group], re_formula=re_formula)
            return model.fit(reml=True)

    fitted = fit()
    return time_calls(fit, case.repeats, warm_up=False), fitted


def time_lme4(case: Case) -> Timing | None:
    if case.csv is not None:
        return lme4_timing("fit", case.csv, case.formula, case.groups, case.repeats)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        case.data.to_csv(path, index=False)
        return lme4_timing("fit", path, case.formula, case.groups, case.repeats)


def agreement(ours, theirs) -> str:
    """Largest relative difference of the fixed effects: both engines must agree before timings count."""
    if theirs is None:
        return "n/a"
    mine = pd.Series(ours.fixef)
    other = pd.Series(theirs.fe_params).reindex(mine.index)
    return f"{float(((mine - other).abs() / mine.abs()).max()):.0e}"


def run_large(n_sites: int, n_per_site: int) -> dict:
    """The 1,000,000-row case in this process (called in a fresh one): time and memory.

    The fit is timed first; a second fit under tracemalloc measures the most memory it holds at once
    (numpy's arrays included), apart from the data. The process's peak RSS includes the data frame.
    """
    data = simulate_biomass(n_sites, n_per_site, seed=1)
    formula = "Biomass ~ Temp + N + (1 + Temp | Site)"
    start = time.perf_counter()
    fitted = lmmcore.fit(formula, data)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    lmmcore.fit(formula, data)
    fit_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "fit_peak_mb": fit_peak / 2**20,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_mb": data.memory_usage(deep=True).sum() / 2**20,
        "fixef": {k: float(v) for k, v in pd.Series(fitted.fixef).items()},
    }


def large_case(n_sites: int, n_per_site: int, repeats: int) -> list[str]:
    """Median time and the worst peak memory of fresh processes fitting the 1,000,000-row case."""
    command = [sys.executable, "-m", "benchmarks.bench_engine", "--large-worker"]
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [*command, str(n_sites), str(n_per_site)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    seconds = [r["seconds"] for r in runs]
    timing = Timing(float(np.median(seconds)), min(seconds))
    fit_peak = max(r["fit_peak_mb"] for r in runs)
    rss = max(r["peak_rss_mb"] for r in runs)
    label = (
        f"biomass, {n_sites * n_per_site:,} rows / {n_sites:,} sites: the fit holds at most "
        f"{fit_peak:.0f} MB (tracemalloc), process peak RSS {rss:.0f} MB with the data"
    )
    return [label, format_timing(timing), "n/a", "n/a", "n/a", "n/a", "n/a"]


def case_row(case: Case) -> list[str]:
    ours, fitted = time_lmmcore(case)
    theirs, other = time_mixedlm(case)
    lme4 = time_lme4(case)
    return [
        case.label,
        format_timing(ours),
        format_timing(theirs),
        format_timing(lme4),
        ratio(theirs, ours),
        ratio(lme4, ours),
        agreement(fitted, other),
    ]


HEADER = ["case (REML)", "lmmcore", "MixedLM", "lme4", "MixedLM / lmmcore", "lme4 / lmmcore", "fixef diff"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--skip-large", action="store_true", help="skip the 1,000,000-row case")
    parser.add_argument("--large-worker", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_worker:
        print(json.dumps(run_large(*args.large_worker)))
        return

    print(f"Machine: {machine()}\n")
    rows = []
    for case in cases(args.quick):
        rows.append(case_row(case))
        print("  " + " | ".join(rows[-1]), flush=True)
    if not args.skip_large:
        rows.append(large_case(10_000, 100, 1 if args.quick else 3))
    print("\n" + markdown_table(HEADER, rows))


if __name__ == "__main__":
    main()
