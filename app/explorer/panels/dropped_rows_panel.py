"""Next to the fit's status: the rows the fit left out, per model column that is missing in them."""

from __future__ import annotations

from shiny import module, render, ui

from ..tables.dropped_rows import dropped_rows
from .live_fit import settled


@module.ui
def dropped_rows_ui():
    return ui.output_ui("dropped")


@module.server
def dropped_rows_server(input, output, session, outcome, dataset):
    """``outcome``: the live fit's outcome (its ``result`` an LmmResult); ``dataset``: the data in use."""

    @render.ui
    def dropped():
        current = settled(outcome)
        result = getattr(current, "result", None)
        data = dataset()
        if result is None or current.request.data_key != data.key:
            return None
        report = dropped_rows(data.frame, current.request.formula, result.design.rows)
        if report.message is None:
            return None
        return ui.div(report.message, class_="small text-warning-emphasis lmm-dropped-rows")
