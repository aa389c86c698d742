"""Random effects panel: a caterpillar plot per grouping factor (one panel per term)."""

from __future__ import annotations

from shiny import module, reactive, render, req, ui

from ..figures.caterpillar import caterpillar
from ..plotly_output import output_plotly, render_plotly
from .live_fit import settled
from .no_fit import no_fit_message


@module.ui
def ranef_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.input_select("group", "Grouping factor", choices=[]),
            output_plotly("caterpillar_plot", height="420px"),
            ui.p(
                "Levels sorted by their conditional mode; bars are 95% intervals "
                "(mode ± 1.96 conditional SD). "
                "Red intervals exclude 0: those groups differ clearly from the average.",
                class_="small text-muted lmm-hint",
            ),
            id=module.resolve_id("content"),
        ),
    )


@module.server
def ranef_server(input, output, session, outcome):
    @render.ui
    def no_fit():
        current = settled(outcome)
        if current is None or current.ok:
            return None
        return no_fit_message(f"No fit yet: {current.error}", session.ns("content"))

    @reactive.calc
    def fitted():
        current = outcome()
        req(current.ok)
        return current

    @reactive.effect
    def _group_choices():
        groups = list(fitted().result.ranef)
        with reactive.isolate():
            chosen = input.group()
        ui.update_select("group", choices=groups, selected=chosen if chosen in groups else groups[0])

    @render_plotly
    def caterpillar_plot():
        current = fitted()
        group = input.group()
        req(group in current.result.ranef)
        figure = caterpillar(current.result.ranef[group], current.result.ranef_sd[group], group)
        return figure, current.request.tag
