"""The diagnostics update drawn by the app's own plotly binding against shinywidgets' ``render_plotly`` with
in-place ``FigureWidget`` updates, in Chromium.

Two minimal Shiny apps show the five diagnostics figures of the seed model (residuals vs fitted, QQ of the
residuals, QQ of the random effects, residuals by site, observed vs fitted), built by the app's own
figure builders. A select switches between simulated data sets (``simulate_biomass(seed=s)``) whose fits
are computed once at start, so only the plotting is measured. Per change: from the select's change event
in the page to the first animation frame on which all five plots show the new data (every plot's
``layout.meta`` is the new seed); a change not shown within ``--timeout`` seconds is counted as missed,
with the number of plots that did update.

- binding: ``explorer.plotly_output.render_plotly`` sends each figure's JSON; the page redraws it with
  ``Plotly.react``.
- shinywidgets: five ``render_plotly`` outputs return ``go.FigureWidget`` once; a change updates each
  widget in place (``batch_update``: every trace and the layout), which the widget syncs to the page.

Run from the repository root: ``python -m benchmarks.bench_plotting [--changes 9]``. Needs Chromium
(Debian's ``/usr/bin/chromium`` or Playwright's) and shinywidgets (``pip install shinywidgets``: no longer
a requirement of the app, because of this measurement). Results are printed and recorded in
docs/plotting.md.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from functools import cache

from benchmarks.common import ROOT, machine

sys.path.insert(0, str(ROOT / "app"))

STACKS = ("binding", "shinywidgets")
PLOTS = ("resid", "qq_resid", "qq_ranef", "by_group", "obs_fit")
SEEDS = tuple(range(1, 11))
FORMULA = "Biomass ~ Temp + N + (1 + Temp | Site)"

# performance.now() once every plot shows the draw ``seed`` (its layout.meta), else false (polled per frame).
_SHOWN_JS = """([ids, seed]) => ids.every(id => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  return gd && gd.layout && gd.layout.meta === seed;
}) && performance.now()"""
_UPDATED_JS = """([ids, seed]) => ids.filter(id =>
  document.querySelector('#' + id + ' .js-plotly-plot')?.layout?.meta === seed).length"""
_CHANGE_JS = """seed => { const el = document.getElementById('seed'); window.__t0 = performance.now();
  el.value = String(seed); el.dispatchEvent(new Event('change', {bubbles: true})); return window.__t0; }"""


# --- the two apps ----------------------------------------------------------------------------------------
@cache
def _fit_data(seed: int):
    from explorer import engine
    from explorer.fit_data import fit_data

    data = engine.simulate(seed=seed)
    return fit_data(engine.fit(FORMULA, data, reml=True), data)


def figures(seed: int) -> dict:
    """The diagnostics panel's five figures for the draw ``seed`` (``layout.meta`` = seed, for waiting)."""
    from explorer.figures import diagnostics as fig

    d = _fit_data(seed)
    built = {
        "resid": fig.residuals_vs_fitted(d.fitted, d.pearson, d.point_labels),
        "qq_resid": fig.qq_residuals(d.pearson),
        "qq_ranef": fig.qq_random_effects(d.ranef),
        "by_group": fig.residuals_by_group(d.pearson, d.groups["Site"], "Site", d.point_labels),
        "obs_fit": fig.observed_vs_fitted(d.observed, d.fitted, d.response_name, d.point_labels),
    }
    for figure in built.values():
        figure.layout.meta = seed
    return built


def _page(outputs):
    from shiny import ui

    return ui.page_fluid(
        ui.input_select("seed", "Draw", {str(s): f"seed {s}" for s in SEEDS}, selected=str(SEEDS[0])),
        ui.layout_column_wrap(*outputs, width=1 / 2),
    )


def _named(fn, name: str):
    """``fn`` named ``name``: a renderer created in a session registers itself as the output of its
    function's name."""
    fn.__name__ = name
    return fn


def _seed(input) -> int:
    from explorer.inputs import choice

    return int(choice(input.seed(), "Draw", [str(s) for s in SEEDS]))


def binding_app():
    """The app's own binding: the server sends the figure JSON, ``Plotly.react`` redraws it."""
    from explorer.plotly_output import output_plotly, render_plotly
    from shiny import App

    def server(input, output, session):
        def drawer(name: str):
            def draw():
                seed = _seed(input)
                return figures(seed)[name], f"seed{seed}"

            return _named(draw, name)

        for name in PLOTS:
            render_plotly(drawer(name))

    return App(_page([output_plotly(name) for name in PLOTS]), server)


def widget_app():
    """shinywidgets: each FigureWidget is created once and then updated in place."""
    import plotly.graph_objects as go
    from shiny import App, reactive
    from shinywidgets import output_widget, render_plotly

    def server(input, output, session):
        def creator(name: str):
            def create():
                with reactive.isolate():
                    return go.FigureWidget(figures(_seed(input))[name])

            return _named(create, name)

        widgets = {name: render_plotly(creator(name)) for name in PLOTS}

        @reactive.effect
        @reactive.event(input.seed, ignore_init=True)
        def _update():
            for name, figure in figures(_seed(input)).items():
                widget = widgets[name].widget
                if widget is None:
                    continue
                with widget.batch_update():
                    for trace, new in zip(widget.data, figure.data):
                        trace.update(new.to_plotly_json())
                    widget.layout.update(figure.layout.to_plotly_json())

    return App(_page([output_widget(name, height="380px") for name in PLOTS]), server)


def serve(stack: str, port: int) -> None:
    """Run one stack's app (in its own process) until killed."""
    from shiny import run_app

    for seed in SEEDS:
        figures(seed)  # fits and plotly's validators ready before the first page
    app = binding_app() if stack == "binding" else widget_app()
    run_app(app, host="127.0.0.1", port=port, log_level="warning")


# --- the measurement ---------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError("the benchmark app exited before it served")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"the benchmark app did not listen on {port}")


def _chromium(playwright):
    import shutil

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    return playwright.chromium.launch(**({"executable_path": executable} if executable else {}))


def server_side_ms(repeats: int = 5) -> dict[str, float]:
    """Median milliseconds the server spends per switch on the five figures (built already): the JSON the
    binding sends, against the in-place update of five FigureWidgets (plotly validates every property)."""
    import plotly.graph_objects as go

    widgets = {name: go.FigureWidget(figure) for name, figure in figures(SEEDS[0]).items()}

    def send_json(seed: int) -> None:
        for figure in figures(seed).values():
            figure.to_json()

    def update_widgets(seed: int) -> None:
        for name, figure in figures(seed).items():
            with widgets[name].batch_update():
                for trace, new in zip(widgets[name].data, figure.data):
                    trace.update(new.to_plotly_json())
                widgets[name].layout.update(figure.layout.to_plotly_json())

    out = {}
    for stack, step in (("binding", send_json), ("shinywidgets", update_widgets)):
        times = []
        for i in range(repeats):
            start = time.perf_counter()
            step(SEEDS[(i + 1) % len(SEEDS)])
            times.append((time.perf_counter() - start) * 1000)
        out[stack] = statistics.median(times)
    return out


def _update_ms(page, seed: int, timeout_ms: float) -> float | None:
    """Milliseconds from the select's change to every plot showing ``seed``; None past ``timeout_ms``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    t0 = page.evaluate(_CHANGE_JS, seed)
    try:
        done = page.wait_for_function(_SHOWN_JS, arg=[list(PLOTS), seed], timeout=timeout_ms)
    except PlaywrightTimeout:
        return None
    return done.json_value() - t0


def measure(stack: str, changes: int, timeout_s: float) -> dict:
    """First page and ``changes`` data switches of one stack (ms; None for a switch not shown in time)."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    command = [sys.executable, "-m", "benchmarks.bench_plotting", "--serve", stack, "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT)
    try:
        _wait_for_port(port, server)
        with sync_playwright() as playwright:
            browser = _chromium(playwright)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(300_000)  # a loaded machine: widget start-up took up to 40 s
            page.goto(f"http://127.0.0.1:{port}/")
            first = page.wait_for_function(_SHOWN_JS, arg=[list(PLOTS), SEEDS[0]]).json_value()
            times, shown = [], []
            for i in range(changes):
                seed = SEEDS[(i + 1) % len(SEEDS)]  # never the draw already shown
                times.append(_update_ms(page, seed, timeout_s * 1000))
                shown.append(page.evaluate(_UPDATED_JS, [list(PLOTS), seed]))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"first_page_ms": first, "update_ms": times, "plots_updated": shown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=9, help="data switches per stack (median reported)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a switch may take to be shown")
    parser.add_argument("--serve", choices=STACKS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    print(machine())
    for stack, ms in server_side_ms().items():
        print(f"{stack:13s} server side per switch (5 figures): median {ms:5.0f} ms")
    for stack in STACKS:
        print(_report(stack, measure(stack, args.changes, args.timeout), args.timeout))


def _report(stack: str, result: dict, timeout_s: float) -> str:
    done = [t for t in result["update_ms"] if t is not None]
    line = f"{stack:13s} first page {result['first_page_ms']:6.0f} ms; update of 5 plots: "
    if done:
        line += f"median {statistics.median(done):5.0f} ms, best {min(done):5.0f}, worst {max(done):5.0f}"
    missed = len(result["update_ms"]) - len(done)
    line += f" ({len(done)} of {len(result['update_ms'])} switches shown"
    if missed:
        line += f"; {missed} not within {timeout_s:.0f} s, plots updated: {result['plots_updated']} of 5"
    return line + ")"


if __name__ == "__main__":
    main()
