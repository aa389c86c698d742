"""Recovery panel: K replicate data sets simulated from a known truth (the simulation's parameters, or the
fitted model), each fitted with the current formula; the estimates' distributions against the truth and
per parameter bias, RMSE, interval coverage and power.

The study is a long task (progress, Cancel, results cached per request); its request names the formula,
the criterion, the truth and the settings, so a result is never shown for another model.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from shiny import module, reactive, render, req, ui

from .. import compute
from ..figures.recovery import recovery_histograms
from ..inference_settings import LEVEL_BOUNDS, LEVEL_LABEL, MAX_SEED, SEED_LABEL
from ..inputs import InputError
from ..plotly_output import output_plotly, render_plotly
from ..study_jobs import RecoveryRequest, StudyFailure, recovery_job
from ..study_settings import (
    MAX_NREP,
    NOT_SIMULATED,
    NREP_LABEL,
    TRUTH_LABEL,
    TRUTHS,
    RecoverySettings,
    recovery_settings,
    simulation_parameters,
)
from ..tables.recovery_table import recovery_counts, recovery_table
from .live_fit import settled
from .long_task import long_task_server, long_task_ui, opened_once
from .no_fit import no_fit_notice


@module.ui
def recovery_ui():
    low, high = LEVEL_BOUNDS
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.input_radio_buttons("truth", TRUTH_LABEL, TRUTHS, selected="fitted", inline=True),
            ui.layout_columns(
                ui.input_numeric("nrep", NREP_LABEL, 200, min=1, max=MAX_NREP, step=50),
                ui.input_numeric("seed", SEED_LABEL, 1, min=0, max=MAX_SEED, step=1),
                ui.input_numeric("level", LEVEL_LABEL, 0.95, min=low + 0.01, max=high, step=0.01),
                col_widths=(4, 4, 4),
            ),
            ui.output_ui("settings_error"),
            long_task_ui("task"),
            ui.output_ui("message"),
            output_plotly("histograms", height="480px"),
            ui.output_ui("counts"),
            ui.div(ui.output_table("table"), class_="lmm-table"),
            ui.p(
                "Bias: mean estimate minus the truth (compare it with its Monte Carlo SE). RMSE: root mean "
                "squared distance to the truth. Coverage and power use each replicate's Wald interval, "
                "so they exist for fixed effects only. The fitted model as truth draws new random effects "
                "and noise on the same design (lme4's simulate(m)).",
                class_="small text-muted lmm-hint",
            ),
            id=module.resolve_id("content"),
        ),
    )


@module.server
def recovery_server(input, output, session, outcome, state, shown=lambda: True):
    """``outcome``: the live fit's outcome calc; ``state``: the session's :class:`SessionState`; ``shown``:
    whether the panel is on screen (a reactive read): the study (``nrep`` refits) starts on the panel's
    first showing, not before."""

    opened = opened_once(shown)

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        return current

    @reactive.calc
    def settings() -> RecoverySettings | InputError:
        try:
            return recovery_settings(input.truth(), input.nrep(), input.seed(), input.level())
        except InputError as err:
            return err

    @reactive.calc
    def request() -> RecoveryRequest | None:
        current, chosen = settled(outcome), settings()
        if not opened() or current is None or not current.ok or isinstance(chosen, InputError):
            return None
        fit = current.request
        common = {"nrep": chosen.nrep, "seed": chosen.seed, "level": chosen.level}
        if chosen.truth == "fitted":
            return RecoveryRequest("fitted", fit.formula, fit.reml, fit.tag, (), **common)
        params = simulation_parameters(fit.data_key)
        if params is None:
            return None
        return RecoveryRequest("simulation", fit.formula, fit.reml, "", params, **common)

    def start(target: RecoveryRequest):
        with reactive.isolate():
            current = fitted()
        if target.source == "fitted" and current.request.tag != target.fit_tag:
            raise ValueError("The model changed before the study started: press Retry.")
        result = current.result
        lane = compute.lane_for(result.nobs, max((t.k for t in result.design.reterms), default=1))
        model = result if target.source == "fitted" else None
        return recovery_job, (replace(target, model=model),), lane, None

    task = long_task_server("task", request, start, state.cache)

    @reactive.calc
    def study():
        finished = task()
        req(finished.ok and not isinstance(finished.value, StudyFailure))
        return finished.value

    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("content"))

    @render.ui
    def settings_error():
        chosen = settings()
        if isinstance(chosen, InputError):
            return _alert(str(chosen), "warning")
        current = settled(outcome)
        simulation = chosen.truth == "simulation" and current is not None and current.ok
        if simulation and simulation_parameters(current.request.data_key) is None:
            return _alert(NOT_SIMULATED, "info")
        return None

    @render.ui
    def message():
        finished = task()
        if finished.ok and isinstance(finished.value, StudyFailure):
            return _alert(finished.value.message, "warning")
        return None

    @render_plotly
    async def histograms():
        result, tag = study(), fitted().request.tag
        return await asyncio.to_thread(
            recovery_histograms, result
        ), tag  # a figure per parameter: off the loop

    @render.ui
    def counts():
        result = study()
        notes = [n for n in result.notes if not n.startswith("coverage of SDs")]
        return ui.div(
            ui.p(recovery_counts(result), class_="mb-1 lmm-recovery-counts"),
            *[ui.p(n, class_="mb-1 text-muted") for n in notes],
            class_="small",
        )

    @render.table
    def table():
        return recovery_table(study())


def _alert(text: str, kind: str):
    return ui.div(text, class_=f"alert alert-{kind} small py-1 px-2 lmm-study-message")
