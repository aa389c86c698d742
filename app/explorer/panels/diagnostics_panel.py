"""Diagnostics panel: residuals vs fitted, QQ plots of residuals and random effects, residuals by group,
observed vs fitted; each with a one-line reading hint."""

from __future__ import annotations

from shiny import module, reactive, render, req, ui

from ..figures import diagnostics as fig
from ..fit_data import FitData, fit_data
from ..inputs import InputError, choice
from ..plotly_output import output_plotly, render_plotly
from .no_fit import no_fit_notice


def _plot_card(id: str, hint: str):
    return ui.card(output_plotly(id), ui.p(hint, class_="small text-muted mb-0 lmm-hint"))


@module.ui
def diagnostics_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.layout_columns(
                _plot_card("resid", fig.HINTS["resid"]),
                _plot_card("qq_resid", fig.HINTS["qq_resid"]),
                col_widths=(6, 6),
            ),
            ui.layout_columns(
                ui.card(
                    ui.input_select("group", "Residuals by", choices=[]),
                    output_plotly("by_group"),
                    ui.p(fig.HINTS["by_group"], class_="small text-muted mb-0 lmm-hint"),
                ),
                _plot_card("obs_fit", fig.HINTS["obs_fit"]),
                col_widths=(6, 6),
            ),
            _plot_card("qq_ranef", fig.HINTS["qq_ranef"]),
            id=module.resolve_id("plots"),
        ),
    )


@module.server
def diagnostics_server(input, output, session, outcome, dataset):
    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("plots"))

    @reactive.calc
    def data() -> tuple[FitData, str]:
        current = outcome()
        req(current.ok)
        return fit_data(current.result, dataset().frame), current.request.tag

    @reactive.effect
    def _group_choices():
        groups = list(data()[0].groups)
        with reactive.isolate():
            chosen = input.group()
        ui.update_select("group", choices=groups, selected=chosen if chosen in groups else groups[0])

    @render_plotly
    def resid():
        d, tag = data()
        return fig.residuals_vs_fitted(d.fitted, d.pearson, d.drawn_labels), tag

    @render_plotly
    def qq_resid():
        d, tag = data()
        return fig.qq_residuals(d.pearson), tag

    @render_plotly
    def qq_ranef():
        d, tag = data()
        return fig.qq_random_effects(d.ranef), tag

    @render_plotly
    def by_group():
        d, tag = data()
        try:
            group = choice(input.group(), "Residuals by", d.groups)
        except InputError:
            req(False)  # a forged or stale value: nothing to draw until the select holds a factor
        return fig.residuals_by_group(d.pearson, d.groups[group], group, d.drawn_labels), tag

    @render_plotly
    def obs_fit():
        d, tag = data()
        return fig.observed_vs_fitted(d.observed, d.fitted, d.response_name, d.drawn_labels), tag
