"""LMM Explorer: a Shiny dashboard over lmmcore.

Run from the repository root: ``python -m shiny run --host 127.0.0.1 --port 8000 app/app.py``. The first page
shows the seed tutorial's own biomass draw (bundled; lme4's reference ``biomass_seed``) fitted with
``Biomass ~ Temp + N + (1 + Temp | Site)`` by REML; the Simulate source makes new draws of that design.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# ``shiny run app/app.py`` puts app/ on sys.path; the engine lives one level up (the repository root).
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

from explorer import compute, engine  # noqa: E402
from explorer.figures import model_check, warm  # noqa: E402
from explorer.hosting import harden  # noqa: E402
from explorer.panels.check_panel import check_server, check_ui  # noqa: E402
from explorer.panels.code_panel import code_server, code_ui  # noqa: E402
from explorer.panels.compare_panel import compare_server, compare_ui  # noqa: E402
from explorer.panels.data_panel import (  # noqa: E402
    data_controls_ui,
    data_notice_ui,
    data_preview_ui,
    data_server,
)
from explorer.panels.diagnostics_panel import diagnostics_server, diagnostics_ui  # noqa: E402
from explorer.panels.downloads_panel import downloads_server, downloads_ui  # noqa: E402
from explorer.panels.dropped_rows_panel import dropped_rows_server, dropped_rows_ui  # noqa: E402
from explorer.panels.intervals_panel import intervals_server, intervals_ui  # noqa: E402
from explorer.panels.live_fit import fit_server, status_ui  # noqa: E402
from explorer.panels.model_panel import model_controls_ui, model_server  # noqa: E402
from explorer.panels.pooling_panel import pooling_server, pooling_ui  # noqa: E402
from explorer.panels.predictions_panel import predictions_server, predictions_ui  # noqa: E402
from explorer.panels.ranef_panel import ranef_server, ranef_ui  # noqa: E402
from explorer.panels.recovery_panel import recovery_server, recovery_ui  # noqa: E402
from explorer.panels.share_panel import share_button_ui, share_notice_ui, share_server  # noqa: E402
from explorer.panels.summary_panel import summary_server, summary_ui  # noqa: E402
from explorer.plotly_output import plotly_dependencies  # noqa: E402
from explorer.session_state import SessionState  # noqa: E402
from explorer.share.bookmarks import enable_sharing, page_for  # noqa: E402
from shiny import App, ui  # noqa: E402

DEBOUNCE_SECONDS = float(os.environ.get("LMM_APP_DEBOUNCE_MS", "300")) / 1000
_DEFAULT_DATA = engine.load_example(engine.DEFAULT_EXAMPLE)

compute.map_large_blocks()  # a closed session's large arrays go back to the system when freed
compute.start()  # start the workers and warm them up before the first visitor
warm.warm_up()  # and the figure builders
model_check.warm_up()


def app_ui(request):
    """The page: built once for a plain visit, per request for a shared link (its inputs fill the page)."""
    return page_for(request, build_page)


def build_page():
    """The page; inputs take a shared link's values when built while Shiny restores one."""
    return ui.page_sidebar(
        ui.sidebar(
            share_button_ui("share"),
            ui.accordion(
                ui.accordion_panel("Data", data_controls_ui("data")),
                ui.accordion_panel(
                    "Model", model_controls_ui("model", engine.DEFAULT_FORMULA, _DEFAULT_DATA)
                ),
                open=True,
                multiple=True,
            ),
            downloads_ui("downloads"),
            width=380,
        ),
        share_notice_ui("share"),
        data_notice_ui("data"),
        status_ui("fit"),
        dropped_rows_ui("dropped"),
        ui.navset_card_tab(
            ui.nav_panel("Summary", summary_ui("summary"), value="summary"),
            ui.nav_panel("Diagnostics", diagnostics_ui("diag"), value="diagnostics"),
            ui.nav_panel("Model check", check_ui("check"), value="check"),
            ui.nav_panel("Random effects", ranef_ui("ranef"), value="ranef"),
            ui.nav_panel("Intervals", intervals_ui("intervals"), value="intervals"),
            ui.nav_panel("Predictions", predictions_ui("predictions"), value="predictions"),
            ui.nav_panel("Pooling", pooling_ui("pooling"), value="pooling"),
            ui.nav_panel("Recovery", recovery_ui("recovery"), value="recovery"),
            ui.nav_panel("Compare models", compare_ui("compare"), value="compare"),
            ui.nav_panel("Data", data_preview_ui("data"), value="data"),
            ui.nav_panel("Code", code_ui("code"), value="code"),
            id="tabs",
        ),
        ui.head_content(
            ui.tags.link(rel="icon", href="data:,"),  # no favicon request (it was a 404)
            *plotly_dependencies(),
            ui.tags.style(
                ".lmm-status{min-height:1.6rem} pre.shiny-text-output{font-size:0.8rem;white-space:pre}"
                ".lmm-slot .shiny-input-container{margin-bottom:0.3rem}"
                # Messages wrap (a long error is read without scrolling sideways); summary text stays aligned.
                ".lmm-formula-error,.lmm-no-fit{white-space:pre-wrap;overflow-wrap:anywhere}"
                ".lmm-status{overflow-wrap:anywhere}"
                "#summary-summary_text{overflow-x:auto}"
                # Tables scroll inside their column rather than run past it; compact cells keep Corr in view.
                ".lmm-table{overflow-x:auto;max-width:100%}"
                ".lmm-table table{width:auto;font-size:0.85rem;margin-bottom:0.5rem}"
                ".lmm-table th,.lmm-table td{padding:0.2rem 0.45rem;white-space:nowrap}"
                ".lmm-table th{text-align:left}"
            ),
        ),
        title="LMM Explorer",
        fillable=False,
    )


def server(input, output, session):
    state = SessionState(session)  # this session's long results and pinned models, dropped at its end
    fit_error_of = {}
    dataset = data_server("data")
    model = model_server("model", dataset=dataset, fit_error=lambda: fit_error_of["current"]())
    outcome, fit_error = fit_server("fit", dataset=dataset, model=model, delay=DEBOUNCE_SECONDS)
    fit_error_of["current"] = fit_error
    summary_server("summary", outcome=outcome)
    diagnostics_server("diag", outcome=outcome, dataset=dataset)
    ranef_server("ranef", outcome=outcome)
    dropped_rows_server("dropped", outcome=outcome, dataset=dataset)
    intervals_server("intervals", outcome=outcome, state=state, shown=lambda: input.tabs() == "intervals")
    predictions_server(
        "predictions",
        outcome=outcome,
        dataset=dataset,
        state=state,
        shown=lambda: input.tabs() == "predictions",
    )
    pooling_server(
        "pooling", outcome=outcome, dataset=dataset, state=state, shown=lambda: input.tabs() == "pooling"
    )
    recovery_server("recovery", outcome=outcome, state=state, shown=lambda: input.tabs() == "recovery")
    compare_server("compare", outcome=outcome, dataset=dataset, state=state)
    check_server("check", outcome=outcome, state=state, shown=lambda: input.tabs() == "check")
    share_server("share")
    view = downloads_server("downloads", outcome=outcome, dataset=dataset, state=state)
    code_server("code", outcome=outcome, dataset=dataset, view=view)


app = App(app_ui, server, bookmark_store="server")
enable_sharing(app, build_page)  # links and their uploaded data kept in LMM_SHARE_DIR
harden(app)  # security headers, WebSocket Origin check, upload cap, /healthz
