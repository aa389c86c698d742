"""Summary panel: lme4's summary text (monospace, copyable) and the same content as tables, with each
warning next to the numbers it concerns."""

from __future__ import annotations

from shiny import module, reactive, render, ui

from ..tables.summary_tables import (
    fixed_effects,
    format_numbers,
    model_info,
    random_effects,
    summary_warnings,
)
from .live_fit import settled
from .no_fit import no_fit_message

_COPY_JS = "navigator.clipboard.writeText(document.getElementById('{id}').innerText)"


@module.ui
def summary_ui():
    return ui.div(
        ui.output_ui("message"),
        ui.h5(ui.output_text("crit")),
        ui.layout_columns(
            ui.card(
                ui.card_header(
                    "lme4 summary",
                    ui.tags.button(
                        "Copy",
                        class_="btn btn-sm btn-outline-secondary float-end",
                        onclick=_COPY_JS.format(id=module.resolve_id("summary_text")),
                    ),
                ),
                ui.output_code("summary_text"),
            ),
            ui.div(
                ui.h6("Model"),
                ui.output_ui("model_warnings"),
                _table("info"),
                ui.output_ui("notes"),
                ui.h6("Random effects"),
                ui.output_ui("random_warnings"),
                _table("random"),
                ui.h6("Fixed effects"),
                _table("fixed"),
            ),
            col_widths={"lg": (12, 12), "xxl": (6, 6)},
            id=module.resolve_id("body"),
        ),
    )


def _table(id: str):
    return ui.div(ui.output_table(id), class_="lmm-table")


def _warning_box(messages: list[str]):
    if not messages:
        return None
    return ui.div(
        *[ui.div("⚠ " + m) for m in messages], class_="alert alert-warning py-1 px-2 small lmm-warning"
    )


@module.server
def summary_server(input, output, session, outcome, dataset):
    # Every output here is cheap, and tables in a hidden tab were sometimes never reported visible
    # again by the browser (left "recalculating" with the previous fit's rows): never suspend them.
    @reactive.calc
    def fitted():
        current = outcome()
        return current if current.ok else None

    @output(suspend_when_hidden=False)
    @render.ui
    def message():
        current = settled(outcome)
        if current is None or current.ok:
            return None
        return no_fit_message(f"No fit for {current.request.label}:\n{current.error}", session.ns("body"))

    @output(suspend_when_hidden=False)
    @render.text
    def crit():
        current = fitted()
        if current is None:
            return ""
        label = "REML criterion at convergence" if current.request.reml else "Deviance"
        return f"{label}: {float(current.result.criterion):.4f}"

    @output(suspend_when_hidden=False)
    @render.code
    def summary_text():
        current = fitted()
        return "" if current is None else current.result.summary()

    @output(suspend_when_hidden=False)
    @render.table
    def info():
        current = fitted()
        return None if current is None else model_info(current.result, current.request.reml)

    @output(suspend_when_hidden=False)
    @render.table
    def random():
        current = fitted()
        return None if current is None else format_numbers(random_effects(current.result))

    @output(suspend_when_hidden=False)
    @render.table
    def fixed():
        current = fitted()
        return None if current is None else format_numbers(fixed_effects(current.result))

    @reactive.calc
    def warnings() -> dict[str, list[str]]:
        current = fitted()
        if current is None:
            return {"model": [], "random": [], "notes": []}
        return summary_warnings(current.result, len(dataset().frame))

    @output(suspend_when_hidden=False)
    @render.ui
    def model_warnings():
        return _warning_box(warnings()["model"])

    @output(suspend_when_hidden=False)
    @render.ui
    def notes():
        lines = warnings()["notes"]
        if not lines:
            return None
        return ui.div(
            ui.tags.b("Engine messages"), *[ui.div(line) for line in lines], class_="small text-muted mb-2"
        )

    @output(suspend_when_hidden=False)
    @render.ui
    def random_warnings():
        return _warning_box(warnings()["random"])
