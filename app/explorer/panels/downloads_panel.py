"""Downloads of the current view: the HTML report (built in a worker) and the CSVs of the fit and of the
results the session computed for it. Every file is named by what it holds and the model."""

from __future__ import annotations

import asyncio

from shiny import module, reactive, render, ui

from .. import compute
from ..downloads import (
    bootstrap_draws_table,
    csv_text,
    data_as_fitted,
    fixed_effects_table,
    random_effects_table,
    safe_filename,
    variance_components_table,
    variance_parameter_intervals,
)
from ..plotly_output import shown_figures
from ..report.content import ReportRequest
from ..report.job import ReportOutcome, build_report, failure_page
from .current_view import current_view, interval_settings, session_results

REPORT_BUDGET_SECONDS = 60.0
FILES = {
    "report": "Report (HTML, interactive plots)",
    "fixed_csv": "Fixed effects with intervals",
    "intervals_csv": "Variance-parameter intervals",
    "ranef_csv": "Random effects with conditional SDs",
    "varcomp_csv": "Variance components",
    "boot_csv": "Bootstrap draws (once run in Intervals)",
    "data_csv": "Data as fitted (rows used, fitted, residuals)",
}


@module.ui
def downloads_ui():
    links = [ui.download_link(id, label, class_="d-block small lmm-download") for id, label in FILES.items()]
    return ui.div(ui.tags.b("Download", class_="small"), *links, class_="lmm-downloads mt-2")


def _no_results_csv(what: str) -> str:
    return f"message\n{what} were not computed for this model in this session.\n"


@module.server
def downloads_server(input, output, session, outcome, dataset, state):
    """Returns the view's calcs ``(fitted, provenance, spec)`` for the Code view."""
    root = session.root_scope()
    fitted, provenance, spec = current_view(session, outcome, dataset)

    def name(what: str, ext: str) -> str:
        with reactive.isolate():
            formula = fitted().request.formula
        return f"{safe_filename(what + '_' + ''.join(formula.split()))}.{ext}"

    def results():
        with reactive.isolate():
            current = fitted()
            level, nsim, seed = interval_settings(root.input)
        return current, session_results(state.cache, current.request, level, nsim, seed)

    @render.download_link(filename=lambda: name("report", "html"))
    async def report():
        current, computed = results()
        with reactive.isolate():
            request = ReportRequest(
                current.result,
                dataset().frame,
                dataset().label,
                await provenance(),
                await spec(),
                computed.intervals,
                computed.profile,
                tuple(shown_figures(session, current.request.tag).items()),
            )
        result = current.result
        lane = compute.lane_for(result.nobs, max((t.k for t in result.design.reterms), default=1))
        job = compute.submit(
            build_report, request, lane=lane, budget=REPORT_BUDGET_SECONDS, owner=root.id, kind="long"
        )
        try:
            built = await job.result()
        except compute.TaskError as err:
            built = ReportOutcome(error=f"The report could not be built: {err}")
        if built.error:
            ui.notification_show(built.error, type="error", duration=15)
            yield failure_page(built.error)
            return
        yield built.html

    @render.download_link(filename=lambda: name("fixed-effects", "csv"))
    def fixed_csv():
        current, computed = results()
        yield csv_text(fixed_effects_table(current.result, computed.intervals))

    @render.download_link(filename=lambda: name("variance-parameter-intervals", "csv"))
    def intervals_csv():
        current, computed = results()
        given = {"wald": current.result.confint("wald"), **computed.intervals}
        yield csv_text(variance_parameter_intervals(current.result, given))

    @render.download_link(filename=lambda: name("random-effects", "csv"))
    def ranef_csv():
        current, _ = results()
        yield csv_text(random_effects_table(current.result))

    @render.download_link(filename=lambda: name("variance-components", "csv"))
    def varcomp_csv():
        current, _ = results()
        yield csv_text(variance_components_table(current.result))

    @render.download_link(filename=lambda: name("bootstrap-draws", "csv"))
    def boot_csv():
        _, computed = results()
        if computed.boot is None:
            yield _no_results_csv("Bootstrap draws (Intervals tab, with its current nsim and seed)")
            return
        yield csv_text(bootstrap_draws_table(computed.boot))

    @render.download_link(filename=lambda: name("data-as-fitted", "csv"))
    async def data_csv():
        current, _ = results()
        with reactive.isolate():
            frame = dataset().frame
        # A large data set takes a while to write: not on the event loop.
        yield await asyncio.to_thread(lambda: csv_text(data_as_fitted(current.result, frame)))

    return fitted, provenance, spec
