"""Inference times: bootstrap, profile intervals, Satterthwaite tests, a parameter-recovery study.

    python -m benchmarks.bench_inference          # from the repository root; --quick for fewer refits

Each task starts from an already fitted model (the fit is not timed); lme4's time for the same task is
measured through Rscript when R is installed. A task whose lmmcore function is not available in this
checkout is listed as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import copy
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import lmmcore
from benchmarks.common import (
    DATA_DIR,
    format_timing,
    lme4_timing,
    machine,
    markdown_table,
    ratio,
    time_calls,
)
from lmmcore.datasets import load

SLEEP = ("sleepstudy", "Reaction ~ Days + (Days | Subject)", ["Subject"])
BIOMASS = ("biomass", "Biomass ~ Temp + N + (1 + Temp | Site)", ["Site"])


@dataclass(frozen=True)
class Task:
    """A timed inference task: ``prepare()`` fits and returns the call to time (raises if unavailable)."""

    label: str
    prepare: Callable[[], Callable[[], object]]
    repeats: int
    lme4: tuple[str, tuple[str, str, list[str]], int | None] | None  # (task, model, nsim)


def _public(name: str) -> Callable:
    """``lmmcore.<name>``, or the function of the same name in ``lmmcore.inference.<name>``."""
    if hasattr(lmmcore, name):
        return getattr(lmmcore, name)
    module = importlib.import_module(f"lmmcore.inference.{name}")
    return getattr(module, name)


def _fitted(model: tuple[str, str, list[str]]):
    name, formula, _ = model
    return lmmcore.fit(formula, load(name))


# Every timed call works on a fresh copy of the fitted model: results cache what inference computed
# (Satterthwaite's derivatives, bootstrap draws), and a benchmark must not time a cache lookup.


def bootstrap_task(nsim: int) -> Callable[[], object]:
    bootstrap = _public("bootstrap")
    m = _fitted(BIOMASS)
    return lambda: bootstrap(copy.copy(m), nsim=nsim, seed=1)


def profile_task(model: tuple[str, str, list[str]]) -> Callable[[], object]:
    m = _fitted(model)
    return lambda: copy.copy(m).confint("profile")


def satterthwaite_task() -> Callable[[], object]:
    m = _fitted(SLEEP)
    copy.copy(m).satterthwaite()  # fail here, not inside the timing, when it is missing
    return lambda: copy.copy(m).satterthwaite()


def recovery_task(nrep: int) -> Callable[[], object]:
    recovery = _public("recovery")
    return lambda: recovery({}, BIOMASS[1], nrep=nrep, seed=1)


def tasks(quick: bool) -> list[Task]:
    nsim, nrep = (100, 20) if quick else (1000, 200)
    return [
        Task(f"{nsim:,} bootstrap refits, seed biomass model", lambda: bootstrap_task(nsim), 1,
             ("boot", BIOMASS, nsim)),
        Task("profile intervals, seed biomass model", lambda: profile_task(BIOMASS), 1 if quick else 3,
             ("profile", BIOMASS, None)),
        Task("profile intervals, sleepstudy (Days | Subject)", lambda: profile_task(SLEEP),
             1 if quick else 3, ("profile", SLEEP, None)),
        Task("Satterthwaite table, sleepstudy (Days | Subject)", satterthwaite_task, 3 if quick else 15,
             ("satterthwaite", SLEEP, None)),
        Task(f"recovery study, {nrep} replicates of the seed biomass design", lambda: recovery_task(nrep), 1,
             None),
    ]  # fmt: skip


def task_row(task: Task) -> list[str]:
    try:
        call = task.prepare()
    except (ImportError, AttributeError, NotImplementedError) as missing:
        return [task.label, f"skipped: not available yet ({missing})", "", ""]
    try:
        # hundreds of refits: a warm-up call would only double the run
        ours = time_calls(call, task.repeats, warm_up=task.repeats > 1)
    except Exception as error:  # a benchmark reports a broken task and goes on to the next
        return [task.label, f"failed: {type(error).__name__}: {error}", "", ""]
    theirs = None
    if task.lme4 is not None:
        kind, (name, formula, factors), nsim = task.lme4
        csv = DATA_DIR / f"{name}.csv"
        theirs = lme4_timing(kind, csv, formula, factors, task.repeats, nsim)
    return [task.label, format_timing(ours), format_timing(theirs), ratio(theirs, ours)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 bootstrap refits, 20 replicates")
    args = parser.parse_args()
    print(f"Machine: {machine()}\n")
    rows = []
    for task in tasks(args.quick):
        rows.append(task_row(task))
        print("  " + " | ".join(rows[-1]), flush=True)
    print("\n" + markdown_table(["task", "lmmcore", "lme4", "lme4 / lmmcore"], rows))


if __name__ == "__main__":
    main()
