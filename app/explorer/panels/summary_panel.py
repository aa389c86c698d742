"""Summary panel: lme4's summary text (monospace, copyable) and the same content as tables with lmerTest's
inference (Satterthwaite df and p, Wald intervals, type III ANOVA), each warning next to the numbers it
concerns, and R² and ICC beside the criterion.

The inference tables, R² and the ICC come with the fit (computed in its worker, ``FitOutcome.inference``):
nothing here computes more than formatting.
"""

from __future__ import annotations

import pandas as pd
from shiny import module, reactive, render, ui

from ..tables.summary_tables import (
    fixed_effects,
    format_anova,
    format_fixed,
    format_numbers,
    model_info,
    quality_measures,
    random_effects,
    summary_warnings,
)
from .live_fit import settled
from .no_fit import no_fit_message

_COPY_JS = "navigator.clipboard.writeText(document.getElementById('{id}').innerText)"
_SIGNIF_CODES = "Signif. codes: 0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1"
# The summary text keeps lme4's alignment (no wrapping): it scrolls inside its card instead of being cut,
# and a smaller font at narrow widths keeps the usual 80 columns in view.
_STYLE = (
    ".lmm-summary-text{overflow-x:auto;max-width:100%}"
    ".lmm-summary-text pre{white-space:pre;overflow:visible;margin:0;width:max-content;min-width:100%}"
    "@media (max-width:1200px){.lmm-summary-text pre{font-size:0.72rem}"
    # lmerTest's eight columns: narrower cells keep the interval in view at 1024 px.
    ".lmm-inference table{font-size:0.74rem}"
    ".lmm-table.lmm-inference th,.lmm-table.lmm-inference td{padding:0.1rem 0.22rem}}"
    ".lmm-quality{font-size:0.95rem}"
)


@module.ui
def summary_ui():
    return ui.div(
        ui.tags.style(_STYLE),
        ui.output_ui("message"),
        ui.div(
            ui.h5(ui.output_text("crit"), class_="mb-0"),
            ui.output_text("quality", inline=True).add_class("lmm-quality text-muted"),
            class_="d-flex flex-wrap align-items-baseline column-gap-3 mb-2",
        ),
        ui.layout_columns(
            ui.card(
                ui.card_header(
                    "lme4 summary",
                    ui.tags.button(
                        "Copy",
                        class_="btn btn-sm btn-outline-secondary",
                        onclick=_COPY_JS.format(id=module.resolve_id("summary_text")),
                    ),
                    class_="d-flex justify-content-between align-items-center",
                ),
                ui.div(ui.output_code("summary_text"), class_="lmm-summary-text"),
            ),
            ui.div(
                ui.h6("Model"),
                ui.output_ui("model_warnings"),
                _table("info"),
                ui.output_ui("notes"),
                ui.h6("Random effects"),
                ui.output_ui("random_warnings"),
                _table("random"),
            ),
            # lmerTest's columns and the interval make the fixed effects wide: a row of their own.
            ui.div(
                ui.h6("Fixed effects (Satterthwaite df, Wald 95 % interval)"),
                _table("fixed").add_class("lmm-inference"),
                ui.output_ui("inference_note"),
                ui.output_ui("anova_block"),
            ),
            col_widths={"lg": (12, 12, 12), "xxl": (6, 6, 12)},
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


def _styled(table: pd.DataFrame, text_columns: tuple[str, ...]):
    """Cells escaped as HTML (names come from data) and numbers right-aligned, as R prints them."""
    numbers = [c for c in table.columns if c not in text_columns]
    right = [{"selector": "th", "props": "text-align: right"}]
    return (
        table.style.hide(axis="index")
        .format(escape="html")
        .set_properties(subset=numbers, **{"text-align": "right"})
        .set_table_styles(dict.fromkeys(numbers, right), overwrite=False)
        .set_table_attributes('class="table shiny-table w-auto"')
    )


def _measures(current) -> dict[str, float]:
    """R² and ICC of the fit; none for an outcome without inference (never computed here: at a million rows
    that would hold the event loop)."""
    inference = current.inference
    return {} if inference is None else quality_measures(inference.r2, inference.icc)


def _fixed_cells(current) -> pd.DataFrame:
    inference = current.inference
    if inference is None:  # an outcome from before the worker computed the inference: estimates only
        return format_numbers(fixed_effects(current.result))
    return format_fixed(inference.fixed)


@module.server
def summary_server(input, output, session, outcome):
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
    @render.text
    def quality():
        current = fitted()
        if current is None:
            return ""
        measures = _measures(current)
        return " · ".join(f"{name} {value:.3f}" for name, value in measures.items())

    @output(suspend_when_hidden=False)
    @render.code
    def summary_text():
        current = fitted()
        return "" if current is None else current.result.summary()

    @output(suspend_when_hidden=False)
    @render.table
    def info():
        current = fitted()
        if current is None:
            return None
        return _styled(model_info(current.result, current.request.reml, _measures(current)), ("Quantity",))

    @output(suspend_when_hidden=False)
    @render.table
    def random():
        current = fitted()
        if current is None:
            return None
        return _styled(format_numbers(random_effects(current.result)), ("Groups", "Name"))

    @output(suspend_when_hidden=False)
    @render.table
    def fixed():
        current = fitted()
        return None if current is None else _styled(_fixed_cells(current), ("term",))

    @output(suspend_when_hidden=False)
    @render.ui
    def inference_note():
        current = fitted()
        error = None if current is None or current.inference is None else current.inference.error
        parts = [ui.div(_SIGNIF_CODES)] + ([ui.div("⚠ " + error)] if error else [])
        return None if current is None else ui.div(*parts, class_="small text-muted mb-2")

    @output(suspend_when_hidden=False)
    @render.ui
    def anova_block():
        current = fitted()
        anova = None if current is None or current.inference is None else current.inference.anova
        if anova is None:
            return None
        return ui.TagList(
            ui.h6("Type III ANOVA (Satterthwaite's method)"),
            ui.div(
                ui.HTML(_styled(format_anova(anova), ("term",)).to_html()), class_="lmm-table lmm-inference"
            ),
        )

    @reactive.calc
    def warnings() -> dict[str, list[str]]:
        current = fitted()
        if current is None:
            return {"model": [], "random": [], "notes": []}
        return summary_warnings(current.result)

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
