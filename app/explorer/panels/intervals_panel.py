"""Intervals panel: every parameter's interval by Wald, profile likelihood, parametric bootstrap and
posterior simulation, as dot-and-whisker plot and table, and the profile zeta plots.

Wald intervals come from the fit at once; the profile and the simulations are long tasks (progress,
Cancel, results cached per fit and settings). Each method appears as soon as it is ready; a task's
request names the fit it belongs to, so an earlier model's intervals are never shown for the current one.
"""

from __future__ import annotations

import math

from shiny import module, reactive, render, req, ui

from .. import compute
from ..figures.intervals import intervals_figure
from ..figures.profile_zeta import zeta_figure
from ..inference_jobs import profile_job, simulation_job, zeta_job
from ..inference_settings import (
    LEVEL_BOUNDS,
    LEVEL_LABEL,
    MAX_NSIM,
    MAX_SEED,
    NSIM_LABEL,
    SEED_LABEL,
    simulation_settings,
)
from ..inputs import InputError
from ..plotly_output import output_plotly, render_plotly
from ..tables.intervals import METHOD_LABELS, IntervalSet, interval_table, parameter_estimates
from .live_fit import settled
from .long_task import long_task_server, long_task_ui, opened_once, ready
from .no_fit import no_fit_notice


@module.ui
def intervals_ui():
    low, high = LEVEL_BOUNDS
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.layout_columns(
                ui.input_numeric("level", LEVEL_LABEL, 0.95, min=low + 0.01, max=high, step=0.01),
                ui.input_numeric("nsim", NSIM_LABEL, 500, min=1, max=MAX_NSIM, step=100),
                ui.input_numeric("seed", SEED_LABEL, 1, min=0, max=MAX_SEED, step=1),
                col_widths=(4, 4, 4),
            ),
            ui.output_ui("settings_error"),
            ui.layout_columns(
                ui.div(ui.tags.b("Profile likelihood"), long_task_ui("profile_task")),
                ui.div(ui.tags.b("Bootstrap and posterior simulation"), long_task_ui("simulation_task")),
                col_widths=(6, 6),
            ),
            ui.output_ui("notes"),
            output_plotly("intervals_plot", height="420px"),
            ui.div(ui.output_ui("table"), class_="lmm-table lmm-interval-table"),
            ui.p(
                "Rows are named as lme4's confint(m, oldNames = FALSE) names them (lme4's default "
                "names the variance parameters .sig01, .sig02, ..., .sigma). Wald intervals exist for "
                "fixed effects only; posterior simulation (arm::sim) conditions on the estimated variance "
                "parameters, so it gives no interval for SDs and correlations (NA, as in R).",
                class_="small text-muted lmm-hint",
            ),
            ui.div(ui.tags.b("Profile zeta plots"), long_task_ui("zeta_task")),
            output_plotly("zeta_plot", height="420px"),
            id=module.resolve_id("content"),
        ),
    )


def _lane(result) -> str:
    return compute.lane_for(result.nobs, max((term.k for term in result.design.reterms), default=1))


def _format(value: float) -> str:
    return "NA" if not math.isfinite(value) else f"{value:.4g}"


def table_ui(intervals: IntervalSet) -> ui.Tag:
    """The interval table as HTML, one ``[lower, upper]`` column per method (htmltools escapes every name
    from the data)."""
    table = interval_table(intervals)
    methods = intervals.methods()
    low, high = next(iter(intervals.intervals.values())).columns[:2]
    header = ui.tags.tr(
        ui.tags.th("parameter"),
        ui.tags.th("estimate"),
        *[ui.tags.th(f"{METHOD_LABELS[m]} [{low}, {high}]") for m in methods],
    )
    rows = []
    for name, row in zip(table.index, table.to_numpy(float)):
        cells = [
            "NA"
            if not math.isfinite(row[1 + 2 * k])
            else f"[{_format(row[1 + 2 * k])}, {_format(row[2 + 2 * k])}]"
            for k in range(len(methods))
        ]
        rows.append(
            ui.tags.tr(ui.tags.td(name), ui.tags.td(_format(row[0])), *[ui.tags.td(c) for c in cells])
        )
    return ui.tags.table(ui.tags.thead(header), ui.tags.tbody(*rows), class_="table table-sm")


@module.server
def intervals_server(input, output, session, outcome, state, shown=lambda: True):
    """``outcome``: the live fit's outcome calc; ``state``: the session's :class:`SessionState`;
    ``shown``: whether the panel is on screen (a reactive read): nothing is computed before its first
    showing, and from then on for every fit, so coming back to the panel finds the results ready."""

    opened = opened_once(shown)

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        return current

    @reactive.calc
    def settings():
        """The validated settings, or the InputError saying which input to change."""
        try:
            return simulation_settings(input.level(), input.nsim(), input.seed())
        except InputError as err:
            return err

    def valid_settings():
        current = settings()
        req(not isinstance(current, InputError))
        return current

    @reactive.calc
    def profile_request():
        current = settled(outcome)
        if not opened() or current is None or not current.ok or isinstance(settings(), InputError):
            return None
        return ("profile", current.request, settings().level)

    @reactive.calc
    def zeta_request():
        current = settled(outcome)
        return None if not opened() or current is None or not current.ok else ("zeta", current.request)

    @reactive.calc
    def simulation_request():
        current = settled(outcome)
        if not opened() or current is None or not current.ok or isinstance(settings(), InputError):
            return None
        return ("simulation", current.request, settings().nsim, settings().seed)

    def model_for(request):
        with reactive.isolate():
            current = fitted()
        if current.request != request[1]:
            raise ValueError("The model changed before this computation started; it will start again.")
        return current.result

    def start_profile(request):
        result = model_for(request)
        return profile_job, (result, request[2]), _lane(result), None

    def start_zeta(request):
        result = model_for(request)
        return zeta_job, (result,), _lane(result), None

    def start_simulation(request):
        result = model_for(request)
        return simulation_job, (result, request[2], request[3]), _lane(result), None

    profile_outcome = long_task_server("profile_task", profile_request, start_profile, state.cache)
    simulation_outcome = long_task_server(
        "simulation_task", simulation_request, start_simulation, state.cache
    )
    zeta_outcome = long_task_server("zeta_task", zeta_request, start_zeta, state.cache)

    @reactive.calc
    def interval_set() -> IntervalSet:
        current, level = fitted(), valid_settings().level
        result = current.result
        intervals = {"wald": result.confint("wald", level=level)}
        profiled = ready(profile_outcome)
        if profiled is not None and profiled.ok and profiled.value.intervals is not None:
            intervals["profile"] = profiled.value.intervals
        simulated = ready(simulation_outcome)
        nsim = None
        if simulated is not None and simulated.ok:
            intervals.update(simulated.value.intervals(level))
            nsim = simulated.value.nsim
        return IntervalSet(parameter_estimates(result), intervals, tuple(result.fixef.index), level, nsim)

    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("content"))

    @render.ui
    def settings_error():
        current = settings()
        if isinstance(current, InputError):
            return ui.div(str(current), class_="alert alert-warning small lmm-input-error")
        return None

    @render.ui
    def notes():
        messages = []
        for task in (profile_outcome, simulation_outcome, zeta_outcome):
            finished = ready(task)
            if finished is not None and finished.ok and finished.value.note:
                messages.append(finished.value.note)
        if not messages:
            return None
        return ui.div(*[ui.p(m, class_="mb-1") for m in messages], class_="alert alert-info small lmm-notes")

    @render_plotly
    def intervals_plot():
        return intervals_figure(interval_set()), fitted().request.tag

    @render.ui
    def table():
        return table_ui(interval_set())

    @render_plotly
    def zeta_plot():
        traced = zeta_outcome()
        req(traced.ok and traced.value.profile is not None)
        profiled = ready(profile_outcome)
        if profiled is None and profile_request() is not None:
            # The new level's interval ends are coming: keep the plot (dimmed) rather than draw it twice.
            req(False, cancel_output="progress")
        if profiled is not None and profiled.ok and profiled.value.intervals is not None:
            level, intervals = profiled.request[2], profiled.value.intervals
        else:
            level, intervals = valid_settings().level, None
        return zeta_figure(traced.value.profile, intervals, level), traced.request[1].tag
