"""Model check panel (performance's ``check_model`` in spirit): a grid of small plots, each titled with what
a good model shows, and the fit's R² and ICC.

The posterior predictive check, smoothers, QQ bands and VIFs come from one worker job per fit and seed; the
influence of a grouping factor (one refit per level) is a second job with its own progress and Cancel.
Both are long tasks whose requests name the fit they belong to, cached per fit and settings.
"""

from __future__ import annotations

import math

from shiny import module, reactive, render, req, ui

from .. import compute
from ..check_jobs import CheckFailure, check_job, influence_job, too_many_levels
from ..figures import model_check as fig
from ..figures.check_data import CheckData
from ..inputs import InputError, choice, number
from ..plotly_output import output_plotly, render_plotly
from .live_fit import settled
from .long_task import long_task_server, long_task_ui, ready
from .no_fit import no_fit_notice

SEED_LABEL = "Simulation seed"
GROUP_LABEL = "Influence of"
MAX_SEED = 2**32 - 1
PLOT_HEIGHT = f"{fig.HEIGHT}px"
# Two plots a row from 1200 px wide; one below (beside the sidebar a half row is too narrow for the titles).
PAIR = {"sm": (12, 12), "xl": (6, 6)}


def _card(id: str, height: str = PLOT_HEIGHT):
    return ui.card(output_plotly(id, height=height), class_="lmm-check-card")


@module.ui
def check_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.layout_columns(
                ui.input_numeric("seed", SEED_LABEL, 1, min=0, max=MAX_SEED, step=1),
                ui.input_select("group", GROUP_LABEL, choices=[]),
                ui.output_ui("quality"),
                col_widths=(3, 3, 6),
            ),
            ui.output_ui("input_error"),
            ui.layout_columns(
                ui.div(ui.tags.b("Simulations and residual checks"), long_task_ui("check_task")),
                ui.div(ui.tags.b("Influence (one refit per group)"), long_task_ui("influence_task")),
                col_widths=(6, 6),
            ),
            ui.output_ui("notes"),
            ui.layout_columns(_card("ppc"), _card("linearity"), col_widths=PAIR),
            ui.layout_columns(_card("homogeneity"), _card("influence"), col_widths=PAIR),
            ui.layout_columns(_card("collinearity"), _card("qq_resid"), col_widths=PAIR),
            _card("qq_ranef"),
            ui.p(
                "Simulated responses are drawn from the fitted model (lme4's simulate: new random effects "
                "and residuals). Cook's distance of a group measures how far the fixed effects move when "
                "the model is refitted without it (lme4's influence).",
                class_="small text-muted lmm-hint",
            ),
            id=module.resolve_id("content"),
        ),
    )


@module.server
def check_server(input, output, session, outcome, state, shown=lambda: True):
    """``outcome``: the live fit's outcome calc; ``state``: the session's :class:`SessionState`;
    ``shown``: whether the panel is on screen (a reactive read). The jobs run only while it is: leaving the
    tab cancels a running one (finished results stay cached), so hidden checks never hold a worker."""

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        return current

    @reactive.calc
    def groups() -> list[str]:
        return list(fitted().result.ngroups)

    # The selection sent to the browser for a new fit's factors, until the select reports it back: the
    # previous fit's factor meanwhile is no user error (no warning flashes when the data change).
    pushed: reactive.Value[str | None] = reactive.value(None)

    @reactive.effect
    def _group_choices():
        names = groups()
        with reactive.isolate():
            chosen = input.group()
        selected = chosen if chosen in names else names[0]
        pushed.set(None if selected == chosen else selected)
        ui.update_select("group", choices=names, selected=selected)

    @reactive.effect
    def _group_echo():
        if pushed() is not None and input.group() == pushed():
            pushed.set(None)

    @reactive.calc
    def seed() -> int | InputError:
        try:
            return int(number(input.seed(), SEED_LABEL, 0, MAX_SEED, integer=True))
        except InputError as err:
            return err

    @reactive.calc
    def group() -> str | InputError | None:
        """The validated factor, its InputError, or None while a new fit's choices are on their way."""
        value = input.group()
        if pushed() is not None and value != pushed():
            return None
        try:
            return choice(value, GROUP_LABEL, groups())
        except InputError as err:
            return err

    def current_fit():
        if not shown():
            return None
        current = settled(outcome)
        return current if current is not None and current.ok else None

    @reactive.calc
    def check_request():
        current, chosen = current_fit(), seed()
        if current is None or isinstance(chosen, InputError):
            return None
        return ("check", current.request, chosen)

    @reactive.calc
    def influence_request():
        current, chosen = current_fit(), group()
        if current is None or chosen is None or isinstance(chosen, InputError):
            return None
        return ("influence", current.request, chosen)

    def model_for(request):
        with reactive.isolate():
            current = fitted()
        if current.request != request[1]:
            raise ValueError("The model changed before this check started; it will start again.")
        return current.result

    def lane(result) -> str:
        return compute.lane_for(result.nobs, max(term.k for term in result.design.reterms))

    def start_check(request):
        result = model_for(request)
        return check_job, (result, request[2]), lane(result), None

    def start_influence(request):
        result = model_for(request)
        refused = too_many_levels(result, request[2])
        if refused is not None:
            raise ValueError(refused)
        return influence_job, (result, request[2]), lane(result), None

    check_task = long_task_server("check_task", check_request, start_check, state.cache)
    influence_task = long_task_server("influence_task", influence_request, start_influence, state.cache)

    def checked() -> tuple[CheckData, str]:
        finished = check_task()
        req(finished.ok and isinstance(finished.value, CheckData))
        return finished.value, finished.request[1].tag

    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("content"))

    @render.ui
    def quality():
        # From the fit's worker: recomputing them here would hold the event loop on a large fit.
        inference = fitted().inference
        req(inference is not None and inference.r2 is not None and inference.icc is not None)
        return ui.div(quality_line(inference.r2, inference.icc), class_="small lmm-quality pt-4")

    @render.ui
    def input_error():
        problems = [str(value) for value in (seed(), group()) if isinstance(value, InputError)]
        if not problems:
            return None
        return ui.div(*[ui.p(p, class_="mb-0") for p in problems], class_="alert alert-warning small")

    @render.ui
    def notes():
        messages = []
        for task in (check_task, influence_task):
            finished = ready(task)
            if finished is not None and finished.ok and isinstance(finished.value, CheckFailure):
                messages.append(finished.value.message)
            elif finished is not None and finished.ok and getattr(finished.value, "messages", ()):
                messages.extend(finished.value.messages)
        if not messages:
            return None
        return ui.div(*[ui.p(m, class_="mb-1") for m in messages], class_="alert alert-info small lmm-notes")

    @render_plotly
    def ppc():
        data, tag = checked()
        return fig.ppc_figure(data), tag

    @render_plotly
    def linearity():
        data, tag = checked()
        return fig.linearity_figure(data), tag

    @render_plotly
    def homogeneity():
        data, tag = checked()
        return fig.homogeneity_figure(data), tag

    @render_plotly
    def collinearity():
        data, tag = checked()
        return fig.collinearity_figure(data.vif), tag

    @render_plotly
    def qq_resid():
        data, tag = checked()
        return fig.qq_residuals_figure(data.residual_qq), tag

    @render_plotly
    def qq_ranef():
        data, tag = checked()
        return fig.qq_ranef_figure(data.ranef_qq), tag

    @render_plotly
    def influence():
        finished = influence_task()
        group, tag = finished.request[2], finished.request[1].tag
        if finished.cancelled:
            return fig.influence_message(group, "Cancelled: press Retry to compute it."), tag
        if not finished.ok or isinstance(finished.value, CheckFailure):
            reason = finished.error if not finished.ok else finished.value.message
            return fig.influence_message(group, reason), tag
        req(finished.value is not None)
        return fig.influence_figure(finished.value.cooks, group), tag


def quality_line(r2, icc) -> str:
    """``R² marginal 0.770 · conditional 0.902 · ICC adjusted 0.572 · unadjusted 0.131`` (NA on a
    singular fit, as performance)."""

    def shown(value: float) -> str:
        return f"{value:.3f}" if math.isfinite(value) else "NA"

    line = (
        f"R² marginal {shown(r2['marginal'])} · conditional {shown(r2['conditional'])} · "
        f"ICC adjusted {shown(icc['adjusted'])} · unadjusted {shown(icc['unadjusted'])}"
    )
    if not math.isfinite(icc["adjusted"]):
        line += " (a random-effect variance is 0: no random part, as performance reports it)"
    return line
