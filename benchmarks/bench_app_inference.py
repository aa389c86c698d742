"""The Intervals and Predictions panels' long tasks on the default model, as the app runs them: through the
compute layer's worker processes, plus the figures the panel then builds.

    python -m benchmarks.bench_app_inference            # from the repository root; --repeats N

- profile intervals shown: ``profile_job`` in a worker, then the dot-and-whisker figure (target: under
  1 s); the zeta plots' whole profiles (``zeta_job`` and the zeta figure) are timed apart;
- 1,000-draw bootstrap band drawn: ``band_job`` in a worker with progress reported to the app process,
  then the predictions figure (target: under 3 s);
- Cancel: a 10,000-draw bootstrap cancelled once its progress has moved; the time until the job is settled
  as cancelled and until its worker process is gone (target: under 0.5 s).

Medians over the repeats, the best in parentheses. The first job of a fresh worker pays for imports: one
untimed call of each job warms the workers first, as the app's start does.

``--browser`` also runs the app and measures in Chromium (Playwright, Debian's ``chromium``): from a new
level to the profile intervals in the table, and from a new seed to the redrawn 1,000-draw band.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from explorer import compute  # noqa: E402
from explorer import prediction_grid as pg  # noqa: E402
from explorer.figures.intervals import intervals_figure  # noqa: E402
from explorer.figures.predictions import PredictionPlot, predictions_figure  # noqa: E402
from explorer.figures.profile_zeta import zeta_figure  # noqa: E402
from explorer.inference_jobs import band_job, profile_job, simulation_job, zeta_job  # noqa: E402
from explorer.tables.intervals import IntervalSet, parameter_estimates  # noqa: E402

import lmmcore  # noqa: E402
from benchmarks.common import machine  # noqa: E402

DEFAULT = "Biomass ~ Temp + N + (1 + Temp | Site)"


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f} ms ({min(times) * 1000:.0f} ms)"


def profile_shown(m) -> float:
    """Seconds until the profile intervals' figure is built (the zeta plots are a task of their own)."""
    started = time.perf_counter()
    outcome = compute.submit(profile_job, m, 0.95, lane="small").wait(60)
    intervals = {"wald": m.confint("wald"), "profile": outcome.intervals}
    intervals_figure(IntervalSet(parameter_estimates(m), intervals, tuple(m.fixef.index), 0.95)).to_json()
    return time.perf_counter() - started


def zeta_shown(m) -> float:
    started = time.perf_counter()
    outcome = compute.submit(zeta_job, m, lane="small").wait(60)
    zeta_figure(outcome.profile, None, 0.95).to_json()
    return time.perf_counter() - started


def band_drawn(m, plan: pg.PredictionPlan, response: str, nsim: int = 1000) -> tuple[float, int]:
    """Seconds until the band's figure is built, and how many progress readings the app saw."""
    started = time.perf_counter()
    job = compute.submit(band_job, m, plan.grid, None, nsim, 1, lane="small")
    readings = set()
    while not job.done():
        readings.add(job.progress())
        time.sleep(0.02)
    outcome = job.wait(60)
    plot = PredictionPlot(
        outcome.band, plan.x, response, plan.curve_labels, plan.levels, plan.points, nsim=nsim
    )
    predictions_figure(plot).to_json()
    return time.perf_counter() - started, len(readings - {None})


def cancel_time(m) -> tuple[float, float]:
    """Seconds from ``cancel()`` to the job settled as cancelled, and to its worker process gone."""
    job = compute.submit(simulation_job, m, 10_000, 1, lane="small")
    while (job.progress() or (0, 0))[0] == 0:
        time.sleep(0.01)
    pids = {slot.pid for slot in compute.scheduler().slots if slot.current is job}
    started = time.perf_counter()
    job.cancel()
    try:
        job.wait(5)
    except compute.TaskCancelled:
        settled = time.perf_counter() - started
    else:
        raise RuntimeError("the job finished instead of being cancelled")
    while any(_alive(pid) for pid in pids if pid is not None) and time.perf_counter() - started < 5:
        time.sleep(0.005)
    return settled, time.perf_counter() - started


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a killed child stays a zombie until its parent reaps it: that counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_server(url: str, server: subprocess.Popen) -> None:
    import urllib.request

    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError("the app stopped while starting")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the app did not start within 60 s")


# From the last keystroke in the level field (the user's change; Shiny sends it after its 250 ms debounce)
# to the first frame whose table has the new level's profile column.
_WATCH_TABLE = """header => {
  window.lmmLevelAt = null; window.lmmTableAt = null;
  const field = document.getElementById('intervals-level');
  field.oninput = () => { window.lmmLevelAt = performance.now(); };
  const table = document.getElementById('intervals-table');
  const seen = () => [...table.querySelectorAll('th')].some(th => th.innerText.startsWith(header));
  const observer = new MutationObserver(() => {
    if (window.lmmLevelAt === null || !seen()) return;
    window.lmmTableAt = performance.now();
    observer.disconnect();
  });
  observer.observe(table, {childList: true, subtree: true, characterData: true});
}"""


def browser_timings(repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from a new level to its profile intervals in the table, and from a new seed to the band
    redrawn, each measured in the page (the last input event to the DOM update / Plotly.react resolved)."""
    from playwright.sync_api import sync_playwright
    from shiny.playwright import controller

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "shiny", "run", "--port", str(port), str(ROOT / "app" / "app.py")]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_server(url, server)
        with sync_playwright() as playwright:
            chromium = shutil.which("chromium") or shutil.which("chromium-browser")
            browser = playwright.chromium.launch(**({"executable_path": chromium} if chromium else {}))
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.wait_for_selector(".lmm-fitted")
            page.get_by_role("tab", name="Intervals").click()
            page.wait_for_selector("#intervals-table th:has-text('Profile likelihood')")
            profile = []
            for k in range(repeats):
                level = round(0.9 - 0.02 * k, 2)
                header = f"Profile likelihood [{100 * (1 - level) / 2:g} %"
                page.evaluate(_WATCH_TABLE, header)
                controller.InputNumeric(page, "intervals-level").set(str(level))
                page.wait_for_function("() => window.lmmTableAt !== null")
                profile.append(page.evaluate("() => window.lmmTableAt - window.lmmLevelAt") / 1000)
            page.get_by_role("tab", name="Predictions").click()
            page.wait_for_function(
                "(window.lmmRenders || []).some(r => r.id === 'predictions-prediction_plot')"
            )
            band = []
            for k in range(repeats):
                page.evaluate(
                    "document.getElementById('predictions-seed').oninput ="
                    " () => { window.lmmChangedAt = performance.now(); }"
                )
                controller.InputNumeric(page, "predictions-seed").set(str(100 + k))
                page.wait_for_function(
                    "() => window.lmmRenders.some(r => r.id === 'predictions-prediction_plot'"
                    " && r.t > window.lmmChangedAt)"
                )
                band.append(
                    page.evaluate(
                        "() => window.lmmRenders.find(r => r.id === 'predictions-prediction_plot'"
                        " && r.t > window.lmmChangedAt).t - window.lmmChangedAt"
                    )
                    / 1000
                )
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    return profile, band


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--browser", action="store_true", help="also measure in Chromium")
    args = parser.parse_args()
    data = lmmcore.datasets.load("biomass")
    m = lmmcore.fit(DEFAULT, data)
    used = data.loc[m.row_index]
    info = pg.model_predictors(m.design.formula, used)
    plan = pg.plan(info, used, m.design.y, "Temp", (), None)
    compute.start()
    profile_shown(m), zeta_shown(m), band_drawn(m, plan, info.response)  # warm the workers
    print(machine())
    print(f"default model {DEFAULT}, biomass ({m.nobs} rows); {args.repeats} repeats\n")
    print("| task | median (best) | target |\n| --- | --- | --- |")
    profile = [profile_shown(m) for _ in range(args.repeats)]
    print(f"| profile intervals, job and figure | {_summary(profile)} | < 1 s |")
    zeta = [zeta_shown(m) for _ in range(args.repeats)]
    print(f"| zeta plots' profile, job and figure | {_summary(zeta)} | |")
    bands = [band_drawn(m, plan, info.response) for _ in range(args.repeats)]
    seen = min(count for _, count in bands)
    print(
        f"| 1,000-draw bootstrap band, job with progress and figure | {_summary([t for t, _ in bands])} "
        f"| < 3 s (at least {seen} progress readings) |"
    )
    cancels = [cancel_time(m) for _ in range(args.repeats)]
    print(
        f"| Cancel of a 10,000-draw bootstrap: job settled | {_summary([s for s, _ in cancels])} | < 0.5 s |"
    )
    print(f"| Cancel: worker process gone | {_summary([g for _, g in cancels])} | < 0.5 s |")
    compute.shutdown()
    if args.browser:
        profile, band = browser_timings(args.repeats)
        print(f"| Chromium: new level to its profile intervals in the table | {_summary(profile)} | < 1 s |")
        print(f"| Chromium: new seed to the 1,000-draw band redrawn | {_summary(band)} | < 3 s |")


if __name__ == "__main__":
    main()
