"""Model comparison panel: pin fitted models (with an optional name), list them, and compare any two or
more fitted to the same data by likelihood-ratio tests (lme4's ``anova``: REML fits refitted by ML, AIC,
BIC, logLik, deviance, Chisq, Df, Pr(>Chisq)), rows labelled with the user's names or the formulas.

The pinned models live in the session's :class:`SessionState` (``pinned``); the refits run in a worker.
"""

from __future__ import annotations

from dataclasses import replace

from shiny import module, reactive, render, req, ui

from ..inputs import InputError, choices, text
from ..study_jobs import ComparisonRequest, StudyFailure, comparison_job
from ..tables.comparison import MAX_PINNED, comparability, format_comparison, pin_model, pinned_table
from .live_fit import settled
from .long_task import long_task_server, long_task_ui

NAME_LABEL = "Name (optional)"
COMPARE_LABEL = "Compare"
MAX_NAME = 80


@module.ui
def compare_ui():
    return ui.div(
        ui.layout_columns(
            ui.input_text("name", NAME_LABEL, placeholder="e.g. random slopes (default: the formula)"),
            ui.div(
                ui.input_action_button("pin", "Pin this model", class_="btn-sm btn-primary"),
                ui.input_action_button("unpin", "Unpin the selected", class_="btn-sm btn-outline-secondary"),
                class_="d-flex gap-2 align-items-end h-100 pb-3",
            ),
            col_widths=(6, 6),
        ),
        ui.output_ui("pin_message"),
        ui.div(ui.output_table("pinned"), class_="lmm-table"),
        ui.input_checkbox_group("compare", COMPARE_LABEL, choices={}),
        long_task_ui("task"),
        ui.output_ui("comparison"),
        ui.p(
            "As lme4's anova(): REML fits are refitted by maximum likelihood (REML criteria of different "
            "fixed effects are not comparable); rows by number of parameters, each tested against the row "
            "above it. The test assumes nested models; for a variance parameter on its boundary the "
            f"chi-square p-value is conservative. Up to {MAX_PINNED} models are kept.",
            class_="small text-muted lmm-hint",
        ),
    )


@module.server
def compare_server(input, output, session, outcome, dataset, state):
    """``outcome``: the live fit's outcome calc; ``dataset``: the data panel's; ``state``: the session's
    :class:`SessionState` (its ``pinned`` holds the models)."""
    pin_note: reactive.Value[str | None] = reactive.value(None)
    # Pinned models are fits kept in this session, not settings: a share link cannot carry them, and a
    # restored click count would pin whatever model the link opens.
    session.bookmark.exclude.extend(["name", "pin", "unpin", "compare"])

    @reactive.effect
    @reactive.event(input.pin)
    def _pin():
        current = settled(outcome)
        if current is None or not current.ok:
            pin_note.set("There is no fitted model to pin yet: wait for the fit, or correct the model.")
            return
        try:
            name = text(input.name(), NAME_LABEL, max_len=MAX_NAME)
        except InputError as err:
            pin_note.set(str(err))
            return
        fit, data = current.request, dataset()
        label = data.label if data.key == fit.data_key else "earlier data"
        state.pinned.set(
            pin_model(state.pinned(), name, fit.formula, fit.reml, fit.data_key, label, current.result)
        )
        pin_note.set(None)
        ui.update_text("name", value="")

    def selection() -> list:
        pinned = state.pinned()
        try:
            picked = set(choices(input.compare(), COMPARE_LABEL, [str(p.pin) for p in pinned]))
        except InputError:
            return []
        return [p for p in pinned if str(p.pin) in picked]

    @reactive.effect
    @reactive.event(input.unpin)
    def _unpin():
        dropped = {p.pin for p in selection()}
        state.pinned.set(tuple(p for p in state.pinned() if p.pin not in dropped))

    @reactive.effect
    def _compare_choices():
        pinned = state.pinned()
        with reactive.isolate():
            kept = [p.pin for p in selection()]
        ui.update_checkbox_group(
            "compare", choices={str(p.pin): p.name for p in pinned}, selected=[str(k) for k in kept]
        )

    @reactive.calc
    def request() -> ComparisonRequest | None:
        chosen = selection()
        if comparability(chosen) is not None:
            return None
        # what each pinned fit is, so a pin number reused after an unpin never finds another model's result
        specs = tuple((p.formula, p.reml, p.data_key) for p in chosen)
        return ComparisonRequest(tuple(p.pin for p in chosen), tuple(p.name for p in chosen), specs=specs)

    def start(target: ComparisonRequest):
        with reactive.isolate():
            by_pin = {p.pin: p for p in state.pinned()}
        if any(pin not in by_pin for pin in target.pins):
            raise ValueError("A selected model was unpinned; select the models again.")
        models = tuple(by_pin[pin].result for pin in target.pins)
        return comparison_job, (replace(target, models=models),), "small", None

    task = long_task_server("task", request, start, state.cache)

    @render.ui
    def pin_message():
        note = pin_note()
        return ui.div(note, class_="alert alert-warning small py-1 px-2 lmm-pin-message") if note else None

    @render.table
    def pinned():
        models = state.pinned()
        req(models)
        return pinned_table(models, dataset().key)

    @render.ui
    def comparison():
        models = state.pinned()
        if not models:
            return ui.p("No pinned models yet: fit a model, then press Pin this model.", class_="text-muted")
        reason = comparability(selection())
        if reason is not None:
            return ui.p(reason, class_="text-muted lmm-compare-reason")
        finished = task()
        if not finished.ok:
            return None
        if isinstance(finished.value, StudyFailure):
            return ui.div(finished.value.message, class_="alert alert-warning small lmm-compare-error")
        return _comparison_view(finished.value, selection())


def _comparison_view(table, chosen) -> ui.Tag:
    """The anova table (htmltools escapes every name) and lme4's list of the models' formulas."""
    shown = format_comparison(table)
    header = ui.tags.tr(*[_cell(ui.tags.th, c if c != "Model" else "", c) for c in shown.columns])
    rows = [
        ui.tags.tr(*[_cell(ui.tags.td, cell, c) for cell, c in zip(row, shown.columns)])
        for row in shown.itertuples(index=False)
    ]
    by_name = {p.name: p for p in chosen}
    legend = [
        ui.tags.li(f"{name}: {by_name[name].formula} ({by_name[name].method} fit)")
        for name in shown["Model"]
        if name in by_name
    ]
    return ui.div(
        ui.div(
            ui.tags.table(ui.tags.thead(header), ui.tags.tbody(*rows), class_="table table-sm"),
            class_="lmm-table lmm-comparison",
        ),
        ui.tags.ul(*legend, class_="small text-muted lmm-compare-models"),
    )


def _cell(tag, content: str, column: str) -> ui.Tag:
    """Numbers right-aligned, as R prints them; the model's name left."""
    return tag(content, class_=None if column == "Model" else "text-end")
