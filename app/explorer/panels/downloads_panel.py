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
from .live_fit import settled

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


NO_FIT = "There is no fitted model to download yet: fix the model or data (see the message above the tabs)."
NO_FIT_CSV = f"message\n{NO_FIT}\n"


class NoFit(Exception):
    """The download was asked for while no fit is on screen."""


def _no_results_csv(what: str) -> str:
    return f"message\n{what} were not computed for this model in this session.\n"


@module.server
def downloads_server(input, output, session, outcome, dataset, state):
    """Returns the view's calcs ``(fitted, provenance, spec)`` for the Code view."""
    root = session.root_scope()
    fitted, provenance, spec = current_view(session, outcome, dataset)

    def current_fit():
        """The fit on screen, or None while there is none (a failed or running fit)."""
        with reactive.isolate():
            current = settled(outcome)
        return current if current is not None and current.ok else None

    def name(what: str, ext: str) -> str:
        current = current_fit()
        formula = current.request.formula if current is not None else "no-fit"
        return f"{safe_filename(what + '_' + ''.join(formula.split()))}.{ext}"

    def results():
        current = current_fit()
        if current is None:
            raise NoFit()
        with reactive.isolate():
            level, nsim, seed = interval_settings(root.input)
        return current, session_results(state.cache, current.request, level, nsim, seed)

    @render.download_link(filename=lambda: name("report", "html"))
    async def report():
        try:
            current, computed = results()
        except NoFit:
            yield failure_page(NO_FIT)
            return
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

    def csv_of(build) -> str:
        """The CSV of ``build(fit outcome, session results)`` (a frame, or a message), or the no-fit note."""
        try:
            current, computed = results()
        except NoFit:
            return NO_FIT_CSV
        table = build(current, computed)
        return table if isinstance(table, str) else csv_text(table)

    @render.download_link(filename=lambda: name("fixed-effects", "csv"))
    def fixed_csv():
        yield csv_of(lambda current, computed: fixed_effects_table(current.result, computed.intervals))

    @render.download_link(filename=lambda: name("variance-parameter-intervals", "csv"))
    def intervals_csv():
        def build(current, computed):
            given = {"wald": current.result.confint("wald"), **computed.intervals}
            return variance_parameter_intervals(current.result, given)

        yield csv_of(build)

    @render.download_link(filename=lambda: name("random-effects", "csv"))
    def ranef_csv():
        yield csv_of(lambda current, _: random_effects_table(current.result))

    @render.download_link(filename=lambda: name("variance-components", "csv"))
    def varcomp_csv():
        yield csv_of(lambda current, _: variance_components_table(current.result))

    @render.download_link(filename=lambda: name("bootstrap-draws", "csv"))
    def boot_csv():
        def build(_, computed):
            if computed.boot is None:
                return _no_results_csv("Bootstrap draws (Intervals tab, with its current nsim and seed)")
            return bootstrap_draws_table(computed.boot)

        yield csv_of(build)

    @render.download_link(filename=lambda: name("data-as-fitted", "csv"))
    async def data_csv():
        with reactive.isolate():
            frame = dataset().frame
        try:
            current, _ = results()
        except NoFit:
            yield NO_FIT_CSV
            return
        # A large data set takes a while to write: not on the event loop.
        yield await asyncio.to_thread(lambda: csv_text(data_as_fitted(current.result, frame)))

    return fitted, provenance, spec
