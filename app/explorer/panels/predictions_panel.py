"""Predictions panel: the population curve (``re.form = NA``) over a chosen predictor with its
bootstrapped 95 % band, the data behind, optional conditional curves of a grouping factor's levels.

The inputs are static (so a shared link restores them); their choices come from the fitted model and keep
a restored selection while it is still valid. The band is a long task keyed by the fit and every choice.
"""

from __future__ import annotations

from shiny import module, reactive, render, req, ui

from .. import compute
from .. import prediction_grid as grid
from ..figures.predictions import PredictionPlot, predictions_figure
from ..inference_jobs import band_job
from ..inference_settings import MAX_NSIM, MAX_SEED, NSIM_LABEL, SEED_LABEL, band_settings
from ..inputs import InputError, choice, choices
from ..plotly_output import output_plotly, render_plotly
from ..share.restore import restored_choices
from .live_fit import settled
from .long_task import long_task_server, long_task_ui, opened_once, ready
from .no_fit import no_fit_notice

X_LABEL = "Predictor on the x axis"
LEVELS_LABEL = "Factor levels of the curves"
GROUP_LABEL = "Conditional curves of"
_NO_GROUP = ""


@module.ui
def predictions_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.layout_columns(
                # a shared link's value offered until the server fills the choices (else dropped); a selectize
                # input gets its restored values as choices from shiny
                ui.input_select("x", X_LABEL, choices=restored_choices("x")),
                ui.input_selectize(
                    "levels",
                    LEVELS_LABEL,
                    choices=[],
                    multiple=True,
                    options={"placeholder": "each factor at its first level"},
                ),
                ui.input_select(
                    "group",
                    GROUP_LABEL,
                    choices={_NO_GROUP: "none", **{g: g for g in restored_choices("group")}},
                ),
                col_widths=(4, 5, 3),
            ),
            ui.layout_columns(
                ui.input_numeric("nsim", NSIM_LABEL, 1000, min=1, max=MAX_NSIM, step=100),
                ui.input_numeric("seed", SEED_LABEL, 1, min=0, max=MAX_SEED, step=1),
                ui.div(long_task_ui("band_task")),
                col_widths=(3, 3, 6),
            ),
            ui.output_ui("messages"),
            output_plotly("prediction_plot", height="460px"),
            ui.p(
                "Other continuous predictors are held at their mean; a factor at its first level unless "
                "levels are chosen (several levels: one curve each; a factor interacting with the x "
                "predictor starts with all its levels). The band holds 95% of the bootstrap refits' "
                "population predictions (lme4's bootMer with re.form = NA).",
                class_="small text-muted lmm-hint",
            ),
            id=module.resolve_id("content"),
        ),
    )


def _lane(result) -> str:
    return compute.lane_for(result.nobs, max((term.k for term in result.design.reterms), default=1))


@module.server
def predictions_server(input, output, session, outcome, dataset, state, shown=lambda: True):
    """``outcome``: the live fit's outcome calc; ``dataset``: the data panel's reactive; ``state``: the
    session's :class:`SessionState`; ``shown``: whether the panel is on screen (no band is computed
    before its first showing)."""

    opened = opened_once(shown)

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        data = dataset()
        req(data.key == current.request.data_key)
        used = data.frame.loc[current.result.row_index]
        return current, used, grid.model_predictors(current.result.design.formula, used)

    def x_names(info: grid.ModelPredictors) -> list[str]:
        numeric = [p.name for p in info.predictors if p.numeric]
        return numeric + [p.name for p in info.factors]

    last_x: list[str | None] = [None]

    @reactive.effect
    def _fill_choices():
        _, _, info = fitted()
        names = x_names(info)
        with reactive.isolate():
            x, levels, group = input.x(), input.levels(), input.group()
        x = x if x in names else (names[0] if names else None)
        last_x[0] = x
        ui.update_select("x", choices={n: n for n in names}, selected=x)
        options = grid.level_choices(info)
        valid = {value for group_options in options.values() for value in group_options}
        kept = tuple(v for v in (levels or ()) if v in valid)
        selected = kept if kept else (grid.default_levels(info, x) if x else ())
        ui.update_selectize("levels", choices=options, selected=list(selected))
        group_options = {_NO_GROUP: "none", **{g: g for g in info.groups}}
        ui.update_select(
            "group", choices=group_options, selected=group if group in group_options else _NO_GROUP
        )

    @reactive.effect
    @reactive.event(input.x, ignore_init=True)
    def _levels_for_new_x():
        with reactive.isolate():
            _, _, info = fitted()
        x = input.x()
        if x == last_x[0] or x not in info.names:
            return
        last_x[0] = x
        ui.update_selectize("levels", selected=list(grid.default_levels(info, x)))

    @reactive.calc
    def chosen():
        """(x, levels, group) validated against the model's names, or the InputError to show."""
        _, _, info = fitted()
        names = x_names(info)
        try:
            x = choice(input.x(), X_LABEL, names) if names else None
            valid = [v for options in grid.level_choices(info).values() for v in options]
            levels = choices(input.levels(), LEVELS_LABEL, valid)
            group = choice(input.group(), GROUP_LABEL, [_NO_GROUP, *info.groups])
            settings = band_settings(input.nsim(), input.seed())
        except InputError as err:
            return err
        return x, levels, group or None, settings

    @reactive.calc
    def plan():
        current, used, info = fitted()
        picked = chosen()
        req(not isinstance(picked, InputError))
        x, levels, group, _ = picked
        return grid.plan(info, used, current.result.design.y, x, levels, group)

    @reactive.calc
    def band_request():
        current = settled(outcome)
        if not opened() or current is None or not current.ok:
            return None
        picked = chosen()
        if isinstance(picked, InputError):
            return None
        x, levels, group, settings = picked
        return ("band", current.request, x, levels, group, settings.nsim, settings.seed)

    def start(request):
        with reactive.isolate():
            current, _, _ = fitted()
            if band_request() != request:
                raise ValueError("The choices changed before the band started; it will start again.")
            chosen_plan = plan()
        result = current.result
        args = (result, chosen_plan.grid, chosen_plan.group_grid, request[5], request[6])
        return band_job, args, _lane(result), None

    band = long_task_server("band_task", band_request, start, state.cache)

    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("content"))

    @render.ui
    def messages():
        picked = chosen()
        if isinstance(picked, InputError):
            return ui.div(str(picked), class_="alert alert-warning small lmm-input-error")
        notes = list(plan().notes)
        finished = ready(band)
        if finished is not None and finished.ok and finished.value.note:
            notes.append(finished.value.note)
        if not notes:
            return None
        return ui.div(*[ui.p(n, class_="mb-1") for n in notes], class_="alert alert-info small lmm-notes")

    @render_plotly
    def prediction_plot():
        finished = band()
        req(finished.ok and finished.value.band is not None)
        chosen_plan, (_, _, info) = plan(), fitted()
        figure = predictions_figure(
            PredictionPlot(
                band=finished.value.band,
                x=chosen_plan.x,
                response=info.response,
                curve_labels=chosen_plan.curve_labels,
                levels=chosen_plan.levels,
                points=chosen_plan.points,
                group_curves=finished.value.group_curves,
                group=finished.request[4],
                nsim=finished.request[5],
            )
        )
        return figure, finished.request[1].tag
