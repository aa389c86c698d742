"""Model-quality times: R², ICC, group-deletion influence, and the whole Model check panel.

    python -m benchmarks.bench_quality           # from the repository root; --repeats N (default 21)

Each task starts from a fitted model (the fit is not timed). Targets (issue 11, medians): ``m.r2()`` and
``m.icc()`` under 1 ms, ``m.influence("Subject")`` on sleepstudy under 100 ms, and the whole panel on the
default model (both worker jobs and building every figure as JSON) within 1 s of the fit. The panel's time
here is its computation; in the app the jobs also cross to a worker process (pickling a small model).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import lmmcore
from benchmarks.common import ROOT, format_timing, machine, markdown_table, time_calls
from lmmcore.datasets import load

sys.path.insert(0, str(ROOT / "app"))  # the app's package is imported as ``explorer``, as shiny runs it

from explorer.check_jobs import check_job, influence_job  # noqa: E402
from explorer.figures import model_check as fig  # noqa: E402

DEFAULT = ("biomass", "Biomass ~ Temp + N + (1 + Temp | Site)", "Site")
SLEEP = ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "Subject")


def whole_panel(m, group: str) -> Callable[[], object]:
    """Both jobs of the panel and every figure serialised as the browser receives it."""

    def run():
        data = check_job(m, 1)
        influence = influence_job(m, group)
        figures = [
            fig.ppc_figure(data),
            fig.linearity_figure(data),
            fig.homogeneity_figure(data),
            fig.influence_figure(influence.cooks, group),
            fig.collinearity_figure(data.vif),
            fig.qq_residuals_figure(data.residual_qq),
            fig.qq_ranef_figure(data.ranef_qq),
        ]
        return [figure.to_json() for figure in figures]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=21)
    repeats = parser.parse_args().repeats
    print(f"Machine: {machine()}\n")
    rows = []
    for name, formula, group in (DEFAULT, SLEEP):
        m = lmmcore.fit(formula, load(name))
        tasks = [
            ("m.r2()", m.r2, 1e-3, repeats * 20),
            ("m.icc()", m.icc, 1e-3, repeats * 20),
            (f"m.influence({group!r})", lambda m=m, group=group: m.influence(group), 0.1, repeats),
            ("whole Model check panel", whole_panel(m, group), 1.0, max(5, repeats // 3)),
        ]
        for label, task, target, count in tasks:
            timing = time_calls(task, count)
            verdict = "ok" if timing.median < target else "OVER"
            rows.append([f"{name}: {label}", format_timing(timing), f"{target * 1e3:g} ms", verdict])
            print("  " + " | ".join(rows[-1]), flush=True)
    print("\n" + markdown_table(["task", "median (best)", "target", ""], rows))


if __name__ == "__main__":
    main()
