"""Load test: many concurrent sessions on one app process, on loopback, bounded in count and time.

Sessions are driven at Shiny's protocol level (tests/hosting/shiny_client.py), so twenty of them cost the
client little on a 2-core machine, plus one real Chromium page measuring what a user sees. Roles:

- idle sessions change an input every 3-8 s, as a user reading the results does (REML <-> ML), and time
  the change until the status names the new fit: the responsiveness a user feels (target: 95th percentile
  within 1 s);
- bootstrap sessions keep the Intervals panel open and draw a new seed now and then (500 parametric
  bootstrap refits and arm::sim each time);
- one large session fits a 1,000,000-row simulation (2,000 sites x 500 samples).

The app's process tree (app + workers) is measured before, at the peak and after every session closed.

    python -m benchmarks.load_test                      # 20 sessions for 60 s; starts its own app
    python -m benchmarks.load_test --sessions 4 --seconds 15 --bootstraps 1 --no-large
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

from tests.hosting.sessions import DEFAULT_STATUS, plain_text
from tests.hosting.shiny_client import ShinyClient, capture_init

APP_FILE = Path(__file__).resolve().parents[1] / "app" / "app.py"
THINK_SECONDS = (3.0, 8.0)  # an idle session: a user reads the result, then changes one input
LARGE = {"data-source": "simulate", "data-n_sites:shiny.number": 2000, "data-n_per_site:shiny.number": 500}


@dataclass
class LoadReport:
    """What the run measured; latencies in seconds."""

    sessions: int
    seconds: float
    idle_latencies: list[float] = field(default_factory=list)
    browser_latencies: list[float] = field(default_factory=list)
    bootstraps_done: int = 0
    large_fit_seconds: float | None = None
    errors: list[str] = field(default_factory=list)
    memory_mb: dict[str, float] = field(default_factory=dict)
    loop_stalls: list[float] = field(default_factory=list)

    @staticmethod
    def describe(values: list[float]) -> str:
        if not values:
            return "n=0"
        return (
            f"n={len(values)}, median {statistics.median(values):.3f} s, "
            f"p95 {np.percentile(values, 95):.3f} s, max {max(values):.3f} s"
        )

    def summary(self) -> str:
        lines = [
            f"{self.sessions} protocol sessions + 1 Chromium page for {self.seconds:.0f} s "
            f"(machine load average at the end {os.getloadavg()[0]:.1f})",
            f"idle sessions' input change -> new fit shown: {self.describe(self.idle_latencies)}",
            f"Chromium page, click -> status: {self.describe(self.browser_latencies)}",
            f"/healthz polled every 0.2 s (the event loop's free time): {self.describe(self.loop_stalls)}",
            f"bootstrap intervals completed: {self.bootstraps_done}; large fit (1,000,000 rows) shown after: "
            + (f"{self.large_fit_seconds:.1f} s" if self.large_fit_seconds is not None else "n/a"),
            "memory of the app's process tree (MB): "
            + ", ".join(f"{k} {v:.0f}" for k, v in self.memory_mb.items()),
            f"errors: {len(self.errors)}" + "".join(f"\n  - {e}" for e in self.errors[:20]),
        ]
        return "\n".join(lines)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the app and its worker processes)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total / 2**20


async def _idle(client: ShinyClient, report: LoadReport, stop: float, rng: random.Random) -> None:
    method, changes = "REML", 0
    while time.monotonic() < stop or changes == 0:
        await asyncio.sleep(rng.uniform(*THINK_SECONDS))
        method = "ML" if method == "REML" else "REML"
        await client.update({"model-method": method})
        try:
            waited = await client.wait_for(lambda c, m=method: f"by {m}:" in plain_text(c, "fit-status"), 30)
            report.idle_latencies.append(waited)
            changes += 1
        except (TimeoutError, ConnectionError) as err:
            report.errors.append(f"idle session: {err}")
            return


async def _bootstrap(client: ShinyClient, report: LoadReport, stop: float, rng: random.Random) -> None:
    # As the page does on a tab switch: the Intervals panel's outputs become visible.
    shown = {f".clientdata_output_intervals-{name}_hidden": False for name in ("table", "intervals_plot")}
    await client.update({"tabs": "intervals", **shown})
    seed = 1
    while time.monotonic() < stop:
        try:
            await client.wait_for(lambda c: "Parametric bootstrap" in plain_text(c, "intervals-table"), 120)
            report.bootstraps_done += 1
        except (TimeoutError, ConnectionError) as err:
            report.errors.append(f"bootstrap session: {err}")
            return
        await asyncio.sleep(rng.uniform(2.0, 5.0))
        seed += 1
        client.values.pop("intervals-table", None)
        await client.update({"intervals-seed:shiny.number": seed})


async def _large(client: ShinyClient, report: LoadReport) -> None:
    start = time.monotonic()
    await client.update(LARGE)
    try:
        await client.wait_for(lambda c: "1000000 observations" in plain_text(c, "fit-status"), 180)
        report.large_fit_seconds = time.monotonic() - start
    except (TimeoutError, ConnectionError) as err:
        report.errors.append(f"large session: {err} (status: {plain_text(client, 'fit-status')[:200]})")


async def drive(url: str, init: dict, report: LoadReport, *, bootstraps: int, large: bool, seed: int = 1):
    """Open the sessions (with the outputs a page shows at first: ``init`` as captured), run their roles for
    ``report.seconds``, close them all."""
    rng = random.Random(seed)
    clients = []
    for _ in range(report.sessions):
        client = await ShinyClient(url).connect()
        await client.init(init)
        clients.append(client)
    for client in clients:
        await client.wait_for(lambda c: DEFAULT_STATUS in plain_text(c, "fit-status"), 120)
    stop = time.monotonic() + report.seconds
    roles = []
    for k, client in enumerate(clients):
        if large and k == 0:
            roles.append(_large(client, report))
        elif k <= bootstraps - (0 if large else 1):
            roles.append(_bootstrap(client, report, stop, rng))
        else:
            roles.append(_idle(client, report, stop, rng))
    await asyncio.gather(*roles)
    for client in clients:
        report.errors.extend(f"output {name}: {message}" for name, message in client.text_errors().items())
        if client.closed:
            report.errors.append("a session was closed by the server")
        await client.close()


def _browser_session(browser, url: str, report: LoadReport, stop: float) -> None:
    """A real page: click ML / REML and time the click until the status names the new fit (at least once,
    however long the page took to load)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url, timeout=120_000)
        page.wait_for_function(
            "s => (document.querySelector('#fit-status')?.innerText || '').includes(s)",
            arg=DEFAULT_STATUS,
            timeout=120_000,
        )
        method = "REML"
        while time.monotonic() < stop or not report.browser_latencies:
            page.wait_for_timeout(2000)
            method = "ML" if method == "REML" else "REML"
            start = time.monotonic()
            page.locator("#model-method").get_by_label(method, exact=True).check()
            page.wait_for_function(
                "m => (document.querySelector('#fit-status')?.innerText || '').includes('by ' + m + ':')",
                arg=method,
                timeout=60_000,
            )
            report.browser_latencies.append(time.monotonic() - start)
    except Exception as err:  # reported, never hidden
        report.errors.append(f"Chromium session: {err}")
    finally:
        page.close()


def run_load(
    url: str,
    browser,
    app_pid: int | None,
    *,
    sessions: int,
    seconds: float,
    bootstraps: int,
    large: bool,
    settle_seconds: float = 20.0,
) -> LoadReport:
    """The whole test against a running app at ``url`` (``app_pid`` for memory; None skips it)."""
    report = LoadReport(sessions=sessions, seconds=seconds)
    init = capture_init(browser, url)
    if app_pid:
        report.memory_mb["baseline"] = tree_rss_mb(app_pid)
        report.memory_mb["app process alone"] = psutil.Process(app_pid).memory_info().rss / 2**20
    peak = [0.0]
    done = threading.Event()

    def watch_memory():
        while app_pid and not done.wait(0.5):
            peak[0] = max(peak[0], tree_rss_mb(app_pid))

    def watch_loop():
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while not done.wait(0.2):
            start = time.monotonic()
            try:
                opener.open(url + "healthz", timeout=60).read()
            except OSError as err:
                report.errors.append(f"/healthz: {err}")
            report.loop_stalls.append(time.monotonic() - start)

    for watch in (watch_memory, watch_loop):
        threading.Thread(target=watch, daemon=True).start()
    failure = []

    def protocol():
        try:
            asyncio.run(drive(url, init, report, bootstraps=bootstraps, large=large))
        except Exception as err:
            failure.append(err)

    driver = threading.Thread(target=protocol)
    driver.start()
    _browser_session(browser, url, report, time.monotonic() + seconds)
    driver.join(timeout=seconds + 600)
    done.set()
    if failure:
        report.errors.append(f"driver: {failure[0]!r}")
    if app_pid:
        report.memory_mb["peak"] = peak[0]
        time.sleep(settle_seconds)
        report.memory_mb[f"{settle_seconds:.0f} s after close"] = tree_rss_mb(app_pid)
        with contextlib.suppress(psutil.NoSuchProcess):
            report.memory_mb["app process alone then"] = psutil.Process(app_pid).memory_info().rss / 2**20
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--bootstraps", type=int, default=3)
    parser.add_argument("--no-large", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.seconds <= 600:
        parser.error("at most 50 sessions and 600 s: this is a bounded test")

    from playwright.sync_api import sync_playwright
    from shiny.run import run_shiny_app

    app = run_shiny_app(APP_FILE, timeout_secs=120)  # loopback, a free port
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            report = run_load(
                app.url,
                chromium,
                app.proc.pid,
                sessions=args.sessions,
                seconds=args.seconds,
                bootstraps=args.bootstraps,
                large=not args.no_large,
            )
            chromium.close()
    finally:
        app.close()
    print(f"{psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GB")
    print(report.summary())


if __name__ == "__main__":
    main()
