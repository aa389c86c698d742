"""Code view: the Python (lmmcore) and R (lme4 + lmerTest) code that reproduces the fit and intervals on
screen, copyable and downloadable, with the data file the code reads."""

from __future__ import annotations

import asyncio

from shiny import module, reactive, render, req, ui

from ..downloads import csv_text, safe_filename
from ..reproduce import R_EXAMPLES, provenance_of, python_code, r_code
from .no_fit import no_fit_notice

_COPY_JS = (
    "navigator.clipboard.writeText(document.getElementById('{id}').innerText);this.textContent='Copied';"
)


def _code_card(title: str, output_id: str, download_id: str, download_label: str):
    return ui.card(
        ui.card_header(
            title,
            ui.tags.button(
                "Copy",
                class_="btn btn-sm btn-outline-secondary float-end ms-1",
                onclick=_COPY_JS.format(id=module.resolve_id(output_id)),
            ),
            ui.download_button(download_id, download_label, class_="btn-sm btn-outline-secondary float-end"),
        ),
        ui.output_code(output_id, placeholder=False),
        class_="lmm-code",
    )


@module.ui
def code_ui():
    return ui.div(
        ui.output_ui("no_fit"),
        ui.div(
            ui.p(
                "Run either script where the data file below is saved: it refits the model on screen and "
                "prints its summary and intervals (level, nsim and seed from the Intervals tab).",
                class_="small text-muted",
            ),
            ui.output_ui("data_note"),
            ui.download_button(
                "data_file", "Data file for the code", class_="btn-sm btn-outline-primary mb-2"
            ),
            _code_card("Python (lmmcore)", "python", "python_file", "Download .py"),
            _code_card("R (lme4 + lmerTest)", "r", "r_file", "Download .R"),
            # A long line scrolls inside its block rather than being cut at the card's edge.
            ui.tags.style(".lmm-code pre{overflow-x:auto;max-width:100%}"),
            id=module.resolve_id("content"),
        ),
    )


@module.server
def code_server(input, output, session, outcome, dataset, view):
    """``view``: the calcs ``(fitted, provenance, spec)`` of
    :func:`~explorer.panels.current_view.current_view`."""
    fitted, provenance, spec = view

    @render.ui
    def no_fit():
        return no_fit_notice(outcome, session.ns("content"))

    @render.code
    async def python():
        return python_code(await spec())

    @render.code
    async def r():
        return r_code(await spec())

    @render.ui
    async def data_note():
        data = await provenance()
        if data.kind == "example" and data.name in R_EXAMPLES:
            text = f"R loads {data.name} from lme4; Python from lmmcore (the same rows)."
        else:
            text = f"Both scripts read {data.csv_name}: download it below (Python can also write it)."
        return ui.p(text, class_="small lmm-code-data-note")

    def _data_name() -> str:
        with reactive.isolate():
            data = dataset()
        return provenance_of(data.key, data.frame).csv_name

    @render.download_button(filename=lambda: _file_name("python"))
    async def python_file():
        with reactive.isolate():
            yield python_code(await spec())

    @render.download_button(filename=lambda: _file_name("r"))
    async def r_file():
        with reactive.isolate():
            yield r_code(await spec())

    @render.download_button(filename=_data_name)
    async def data_file():
        with reactive.isolate():
            frame = dataset().frame
            req(fitted())
        yield await asyncio.to_thread(csv_text, frame)

    def _file_name(language: str) -> str:
        with reactive.isolate():
            formula = fitted().request.formula
        stem = safe_filename("lmm_" + "".join(formula.split()))
        return f"{stem}.{'py' if language == 'python' else 'R'}"
