"""Pooling panel: complete, no and partial pooling lines per group, and the shrinkage of the per-group
estimates toward the population estimate.

The pooling study runs in a worker (it refits the model and one least-squares fit per group) as a long
task tagged with the fit it belongs to; the predictor and the groups shown only redraw its result.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from shiny import module, reactive, render, req, ui

from .. import compute
from ..figures.pooling import MAX_ALL_LEVELS, pooling_grid, shown_levels, shrinkage_figure
from ..inputs import InputError, choice, choices
from ..plotly_output import output_plotly, render_plotly
from ..share.restore import restored_choices
from ..study_jobs import PoolingRequest, PoolingView, StudyFailure, pooling_job
from .live_fit import settled
from .long_task import long_task_server, long_task_ui, opened_once
from .no_fit import no_fit_notice

GROUP_LABEL = "Grouping factor"
X_LABEL = "Predictor (x axis)"
LEVELS_LABEL = "Groups shown"
NO_LINES = (
    "This model has no numeric predictor entering it as a straight line (a numeric column by its own "
    "name), so there are no pooling lines to draw. The shrinkage of each group's estimate is shown below."
)


@module.ui
def pooling_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.layout_columns(
                # a shared link's value offered until the server fills the choices (else dropped); a selectize
                # input gets its restored values as choices from shiny
                ui.input_select("group", GROUP_LABEL, choices=restored_choices("group")),
                ui.input_select("x", X_LABEL, choices=restored_choices("x")),
                ui.input_selectize(
                    "levels",
                    LEVELS_LABEL,
                    choices=[],
                    multiple=True,
                    options={"placeholder": f"all up to {MAX_ALL_LEVELS}, else 12 spread over the range"},
                ),
                col_widths=(3, 3, 6),
            ),
            long_task_ui("task"),
            ui.output_ui("message"),
            output_plotly("grid", height="520px"),
            ui.p(
                "Complete pooling (grey dashes) fits one line to all groups; no pooling (blue dots) fits "
                "each group alone; partial pooling (red), the mixed model, lies between them: closer to "
                "the complete-pooling line for groups with few or noisy points. Other predictors are "
                "held at the group's mean, and the points moved there with them (their residuals around "
                "the red line); with one predictor they are the data.",
                class_="small text-muted lmm-hint",
            ),
            output_plotly("shrinkage", height="480px"),
            ui.p(
                "Each arrow goes from a group's own estimate (no pooling, open circle) to its mixed-model "
                "estimate (filled): toward the population estimate (star, dotted lines).",
                class_="small text-muted lmm-hint",
            ),
            id=module.resolve_id("content"),
        ),
    )


def _kept(chosen, allowed) -> list[str] | str | None:
    """A restored or earlier selection that is still valid, else None."""
    if isinstance(chosen, str):
        return chosen if chosen in allowed else None
    if isinstance(chosen, (list, tuple)):
        return [c for c in chosen if c in allowed]
    return None


@module.server
def pooling_server(input, output, session, outcome, dataset, state, shown=lambda: True):
    """``outcome``: the live fit's outcome calc; ``dataset``: the data panel's; ``state``: the session's
    :class:`SessionState`; ``shown``: whether the panel is on screen (a reactive read): the pooling study
    (a refit and a least-squares fit per group) starts on the panel's first showing, not before."""

    opened = opened_once(shown)

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        return current

    @reactive.calc
    def groups() -> list[str]:
        return list(dict.fromkeys(fitted().result.ranef))

    @reactive.effect
    def _group_choices():
        names = groups()
        with reactive.isolate():
            chosen = _kept(input.group(), names)
        ui.update_select("group", choices=names, selected=chosen or names[0])

    @reactive.calc
    def group() -> str | InputError:
        try:
            return choice(input.group(), GROUP_LABEL, groups())
        except InputError as err:
            return err

    @reactive.calc
    def request() -> PoolingRequest | None:
        current, chosen = settled(outcome), group()
        if not opened() or current is None or not current.ok or isinstance(chosen, InputError):
            return None
        fit = current.request
        return PoolingRequest(fit.data_key, fit.formula, fit.reml, chosen)

    def start(target: PoolingRequest):
        with reactive.isolate():
            current, data = fitted(), dataset()
        fit = current.request
        if (fit.data_key, fit.formula, fit.reml) != (target.data_key, target.formula, target.reml):
            raise ValueError("The model changed before pooling started: press Retry.")
        if data.key != target.data_key:
            raise ValueError("The data changed before pooling started: press Retry.")
        lane = compute.lane_for(current.result.nobs)
        return pooling_job, (replace(target, model=current.result, frame=data.frame),), lane, None

    task = long_task_server("task", request, start, state.cache)

    @reactive.calc
    def view() -> PoolingView:
        finished = task()
        req(finished.ok and isinstance(finished.value, PoolingView))
        return finished.value

    @reactive.effect
    def _predictor_choices():
        names = list(view().predictors)
        with reactive.isolate():
            chosen = _kept(input.x(), names)
        ui.update_select("x", choices=names, selected=chosen or (names[0] if names else None))

    @reactive.effect
    def _level_choices():
        levels = list(view().levels)
        with reactive.isolate():
            chosen = _kept(input.levels(), levels) or []
        ui.update_selectize("levels", choices=levels, selected=chosen, server=True)

    def predictor(current: PoolingView) -> str | None:
        try:
            return choice(input.x(), X_LABEL, current.predictors)
        except InputError:
            return None

    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("content"))

    @render.ui
    def message():
        chosen = group()
        if isinstance(chosen, InputError):
            return _alert(str(chosen), "warning")
        finished = task()
        if finished.ok and isinstance(finished.value, StudyFailure):
            return _alert(finished.value.message, "warning")
        if finished.ok and not finished.value.predictors:
            # no grid to draw: its empty placeholder goes while the message is on the page
            return ui.TagList(
                _alert(NO_LINES, "info"), ui.tags.style(f"#{session.ns('grid')}{{display:none}}")
            )
        try:
            choices(input.levels(), LEVELS_LABEL, finished.value.levels if finished.ok else ())
        except InputError as err:
            return _alert(str(err), "warning")
        return None

    # The figures take tens to hundreds of milliseconds (a trace per group and line): built in a thread so
    # the event loop keeps answering.
    @render_plotly
    async def grid():
        current, tag = view(), fitted().request.tag
        x = predictor(current)
        req(x is not None)
        try:
            picked = choices(input.levels(), LEVELS_LABEL, current.levels)
        except InputError:
            picked = ()
        return await asyncio.to_thread(pooling_grid, current, x, shown_levels(current, picked)), tag

    @render_plotly
    async def shrinkage():
        current, tag = view(), fitted().request.tag
        return await asyncio.to_thread(shrinkage_figure, current, predictor(current)), tag


def _alert(text: str, kind: str):
    return ui.div(text, class_=f"alert alert-{kind} small py-1 px-2 lmm-study-message")
