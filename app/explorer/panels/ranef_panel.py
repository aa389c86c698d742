"""Random effects panel: a caterpillar plot per grouping factor (one panel per term), its rows in lme4's
dotplot order (every panel by the first term) or each panel sorted by its own term."""

from __future__ import annotations

from shiny import module, reactive, render, req, ui

from ..figures.caterpillar import ORDERS, caterpillar
from ..inputs import InputError, choice
from ..plotly_output import output_plotly, render_plotly
from .no_fit import no_fit_notice

GROUP_LABEL = "Grouping factor"
ORDER_LABEL = "Order of the levels"


@module.ui
def ranef_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.layout_columns(
                ui.input_select("group", GROUP_LABEL, choices=[]),
                ui.input_select("order", ORDER_LABEL, choices=ORDERS, selected="first"),
                col_widths=(4, 6),
            ),
            ui.output_ui("input_message"),
            output_plotly("caterpillar_plot", height="420px"),
            ui.p(
                "Rows are the levels, sorted by their conditional mode; bars are 95% intervals "
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
        return no_fit_notice(outcome, session.ns("content"))

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

    @reactive.calc
    def settings() -> tuple[str, str] | InputError:
        """The validated grouping factor and order (a forged value is refused with a message)."""
        try:
            group = choice(input.group(), GROUP_LABEL, fitted().result.ranef)
            return group, choice(input.order(), ORDER_LABEL, ORDERS)
        except InputError as err:
            return err

    @render.ui
    def input_message():
        current = settings()
        if not isinstance(current, InputError) or not input.group():
            return None
        return ui.div(str(current), class_="alert alert-warning py-1 px-2 small")

    @render_plotly
    def caterpillar_plot():
        current, chosen = fitted(), settings()
        req(not isinstance(chosen, InputError))
        group, order = chosen
        result = current.result
        return caterpillar(result.ranef[group], result.ranef_sd[group], group, order), current.request.tag
