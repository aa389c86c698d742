"""Data panel: simulate the seed's design, upload a file (CSV, TSV, Excel), or pick a bundled example; in
the Data tab, each column's type.

Returns the dataset in use. A failed attempt (bad file, impossible simulation, a type the values do not
fit) shows its message and keeps the previous good data, so nothing is lost. Reading and typing an upload
run off the event loop. Every input a share link restores is static: the column types live in one hidden
text input holding JSON (``{"Diet": "factor"}``), written by the type controls.
"""

from __future__ import annotations

import json

from shiny import module, reactive, render, req, ui
from shiny.bookmark import restore_input
from shiny.module import resolve_id

from .. import compute, datasets, engine, inputs
from ..csv_upload import UploadError, max_upload_bytes
from ..tables.column_table import MAX_ROWS, column_table, flagged_codes
from ..upload.column_types import FACTOR, KIND_LABELS, MAX_OVERRIDES_TEXT
from ..upload.file_input import uploaded_file
from ..upload.jobs import Prepared, UploadRequest, prepare
from ..upload.reading import ACCEPTED, parse_missing

_SIM_LABELS = datasets.SIMULATION_LABELS
_STEPS = {"n_sites": 1, "n_per_site": 1, "seed": 1, "cor": 0.1}
SOURCES = ("simulate", "upload", "examples")
MISSING_LABEL = "Other missing-value strings"
SHEET_LABEL = "Sheet (Excel workbooks)"
TYPES_LABEL = "Column types"
MISSING_ID = "missing"
HEAD_ROWS = 8
SIMULATION_BUDGET = 60.0
HEAD_COLUMNS = 50


def _restored(name: str) -> list[str]:
    """A select's restored value as its only choice until the data fill the choices (share links)."""
    value = restore_input(resolve_id(name), None)
    return [value] if isinstance(value, str) and value else []


@module.ui
def data_controls_ui():
    defaults = engine.simulation_defaults()
    simulate_inputs = [
        ui.input_numeric(name, label, value=defaults[name], step=_STEPS.get(name, 0.1))
        for name, label in _SIM_LABELS.items()
    ]
    return ui.navset_pill(
        ui.nav_panel(
            "Simulate",
            ui.layout_column_wrap(*simulate_inputs, width=1 / 2, gap="0.25rem"),
            ui.input_action_button("new_draw", "New draw (next seed)", class_="btn-sm btn-outline-primary"),
            ui.output_ui("simulate_message"),
            value="simulate",
        ),
        ui.nav_panel(
            "Upload",
            ui.input_file("upload", "Data file", accept=list(ACCEPTED)),
            ui.p(
                "CSV or TSV (comma, semicolon or tab; UTF-8 or Latin-1) or Excel .xlsx; "
                f"up to {max_upload_bytes() / 2**20:.0f} MB. Missing values as R's read.csv: NA, and empty "
                "cells of numeric columns.",
                class_="small text-muted",
            ),
            ui.input_text(MISSING_ID, MISSING_LABEL, placeholder="e.g.  ., -99, NULL", update_on="blur"),
            ui.input_select("sheet", SHEET_LABEL, choices=_restored("sheet")),
            ui.output_ui("upload_message"),
            value="upload",
        ),
        ui.nav_panel(
            "Examples",
            ui.input_select(
                "example", "Data set", choices=engine.example_choices(), selected=engine.DEFAULT_EXAMPLE
            ),
            ui.output_text("example_description"),
            value="examples",
        ),
        id="source",
        selected="examples",
    )


@module.ui
def data_notice_ui():
    return ui.output_ui("notice")


@module.ui
def data_preview_ui():
    return ui.div(
        ui.h5(ui.output_text("label")),
        ui.h6("Column types"),
        ui.div(
            ui.input_selectize(
                "type_column", "Column", choices=_restored("type_column"), options={"placeholder": "search"}
            ),
            ui.input_select("type_kind", "Type in the model", KIND_LABELS),
            ui.div(
                ui.input_action_button("codes_to_factors", "Treat flagged codes as factors", class_="btn-sm"),
                ui.input_action_button("reset_types", "Reset types", class_="btn-sm ms-1"),
                class_="align-self-end mb-3",
            ),
            class_="d-flex flex-wrap gap-3 lmm-types",
        ),
        ui.div(ui.input_text("column_types", TYPES_LABEL, value=""), class_="d-none"),
        ui.output_ui("types_message"),
        ui.div(ui.output_table("columns"), class_="lmm-table"),
        ui.h6("First rows"),
        ui.div(ui.output_table("head"), class_="lmm-table"),
    )


def _message(text: str | None, kind: str = "danger"):
    return ui.div(text, class_=f"alert alert-{kind} py-1 px-2 small lmm-message") if text else None


async def simulate(params: dict) -> datasets.Dataset | str:
    """A draw in a compute worker (a million-row draw takes seconds: never on the event loop), in the
    lane its size belongs to; a message if it fails."""
    rows = int(params["n_sites"]) * int(params["n_per_site"])
    job = compute.submit(datasets.simulated, params, lane=compute.lane_for(rows), budget=SIMULATION_BUDGET)
    try:
        return await job.result()
    except compute.TaskError as err:
        return str(err)


def upload_request(file_value, sheet, missing, overrides) -> UploadRequest | str | None:
    """The validated request of the upload inputs; a message for a bad value; None before any file."""
    try:
        file = uploaded_file(file_value)
        if file is None:
            return None
        request = UploadRequest(
            filename=file[0],
            path=file[1],
            sheet=inputs.text(sheet, SHEET_LABEL, max_len=255),
            missing=parse_missing(inputs.text(missing, MISSING_LABEL, max_len=1000)),
            overrides=inputs.text(overrides, TYPES_LABEL, max_len=MAX_OVERRIDES_TEXT),
        )
    except (inputs.InputError, UploadError) as err:
        return str(err)
    return request


def with_type(overrides_text: str, column: str, kind: str, read_as: str) -> str:
    """The overrides field after setting ``column`` to ``kind`` (dropped when it is the type read)."""
    try:
        current = json.loads(overrides_text) if overrides_text else {}
    except json.JSONDecodeError:
        current = {}
    current = current if isinstance(current, dict) else {}
    if kind == read_as:
        current.pop(column, None)
    else:
        current[column] = kind
    return json.dumps(current, sort_keys=True) if current else ""


@module.server
def data_server(input, output, session):
    good_upload: reactive.Value[datasets.Dataset | None] = reactive.value(None)
    upload_error: reactive.Value[str | None] = reactive.value(None)
    last_read: reactive.Value[tuple | None] = reactive.value(None)
    last_good: reactive.Value[datasets.Dataset | None] = reactive.value(None)
    types_error: reactive.Value[str | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.new_draw)
    def _next_seed():
        try:
            seed = inputs.number(input.seed(), _SIM_LABELS["seed"], 0, 2**32 - 2, integer=True)
        except inputs.InputError:
            seed = -1
        ui.update_numeric("seed", value=seed + 1)

    @reactive.calc
    def request() -> UploadRequest | str | None:
        return upload_request(input.upload(), input.sheet(), input[MISSING_ID](), input.column_types())

    @reactive.extended_task
    async def prepare_task(wanted: UploadRequest, cached) -> Prepared:
        return await prepare(wanted, cached)

    @reactive.effect
    def _prepare():
        wanted = request()
        if isinstance(wanted, str):
            upload_error.set(wanted)
        if not isinstance(wanted, UploadRequest):
            return
        with reactive.isolate():
            cached = last_read.get()
            if prepare_task.status() == "running":
                prepare_task.cancel()
        prepare_task.invoke(wanted, cached)

    @reactive.effect
    def _prepared():
        if prepare_task.status() != "success":
            return
        done = prepare_task.result()
        with reactive.isolate():
            current = request()
        if done.request != current:
            return  # superseded while it ran
        if done.read is not None or done.sheets:
            selected = done.read.table.sheet if done.read else done.request.sheet
            ui.update_select("sheet", choices=list(done.sheets), selected=selected or None)
        if done.read is not None:
            last_read.set((done.request.reading, done.read))
        types_error.set(None)
        if done.error:
            upload_error.set(f"{done.request.filename}: {done.error}")
            return
        upload_error.set(None)
        good_upload.set(done.dataset)

    @reactive.calc
    def simulation_params() -> dict | str:
        try:
            return datasets.check_simulation({name: input[name]() for name in _SIM_LABELS})
        except ValueError as err:
            return str(err)

    @reactive.extended_task
    async def simulate_task(params: dict) -> datasets.Dataset | str:
        return await simulate(params)

    @reactive.effect
    def _simulate():
        params = simulation_params()
        if input.source() != "simulate" or isinstance(params, str):
            return
        with reactive.isolate():
            status = simulate_task.status()
            done = simulate_task.result() if status == "success" else None
        if isinstance(done, datasets.Dataset) and done.key == datasets.simulation_key(params):
            return  # this draw is already here (back to the Simulate tab)
        if status == "running":
            simulate_task.cancel()
        simulate_task.invoke(params)

    @reactive.calc
    def simulation_attempt() -> datasets.Dataset | str:
        """The draw of the current parameters, a message, or (while it is drawn) Shiny's silent wait."""
        params = simulation_params()
        if isinstance(params, str):
            return params
        done = simulate_task.result() if simulate_task.status() == "success" else None
        if isinstance(done, datasets.Dataset) and done.key == datasets.simulation_key(params):
            return done
        if isinstance(done, str) and simulate_task.status() == "success":
            return done
        req(False, cancel_output="progress")

    @reactive.calc
    def attempt() -> datasets.Dataset | str:
        try:
            source = inputs.choice(input.source(), "Data source", SOURCES)
            if source == "upload":
                return good_upload.get() or "Upload a file to use it (the current data stay until then)."
            if source == "examples":
                return datasets.example(inputs.choice(input.example(), "Data set", engine.example_names()))
        except inputs.InputError as err:
            return str(err)
        return simulation_attempt()

    @reactive.effect
    def _keep_good():
        current = attempt()
        if isinstance(current, datasets.Dataset):
            last_good.set(current)

    @render.ui
    def simulate_message():
        current = simulation_attempt()
        return _message(current if isinstance(current, str) else None)

    @render.ui
    def upload_message():
        error = upload_error.get()
        if error:
            return _message(f"{error} The data in use did not change.")
        if prepare_task.status() == "running":
            return _message("Reading the file…", "info")
        kept = good_upload.get()
        return _message(f"{kept.label} (column types in the Data tab)", "success") if kept else None

    @render.text
    def example_description():
        try:
            name = inputs.choice(input.example(), "Data set", engine.example_names())
        except inputs.InputError as err:
            return str(err)
        return engine.describe_example(name).description

    @reactive.calc
    def dataset() -> datasets.Dataset:
        current = last_good.get()
        req(current)
        return current

    @render.ui
    def notice():
        """In the main pane: the fit below is of the last valid data, not of the source's inputs."""
        current = attempt()
        if isinstance(current, datasets.Dataset):
            return None
        return ui.div(
            f"⚠ Showing the last valid data set ({dataset().label}): {current}",
            class_="alert alert-warning py-1 px-2 mb-1 small lmm-stale-data",
        )

    _types_server(input, dataset, types_error)

    @render.text
    def label():
        return dataset().label

    @render.table
    def columns():
        data = dataset()
        return column_table(data.columns, data.kinds)

    @render.table
    def head():
        return dataset().frame.iloc[:HEAD_ROWS, :HEAD_COLUMNS]

    @render.ui
    def types_message():
        data = dataset()
        problem = types_error.get()
        if problem:
            return _message(problem)
        many = len(data.columns) > MAX_ROWS
        shown = f"The table shows the first {MAX_ROWS} of {len(data.columns):,} columns. " if many else ""
        if data.key[0] != "upload":
            return ui.p(f"{shown}Column types can be set for uploaded files.", class_="small text-muted")
        codes = flagged_codes(data.columns, data.kinds)
        note = f"Looks like codes fitted as numbers: {', '.join(codes[:10])}. " if codes else ""
        return ui.p(shown + note, class_="small text-muted") if shown or note else None

    return dataset


def _types_server(input, dataset, types_error) -> None:
    """The type controls write the overrides field; selecting a column shows its type."""

    def overrides_text() -> str:
        try:
            return inputs.text(input.column_types(), TYPES_LABEL, max_len=MAX_OVERRIDES_TEXT)
        except inputs.InputError:
            return ""

    @reactive.effect
    def _column_choices():
        data = dataset()
        names = [c.name for c in data.columns] if data.key[0] == "upload" else []
        with reactive.isolate():
            current = input.type_column()
        selected = current if current in names else (names[0] if names else None)
        ui.update_selectize("type_column", choices=names, selected=selected)

    def chosen_column():
        data = dataset()
        name = input.type_column()
        info = next((c for c in data.columns if c.name == name), None) if isinstance(name, str) else None
        return data, info

    @reactive.effect
    @reactive.event(input.type_column)
    def _show_type():
        data, info = chosen_column()
        if info is not None:
            ui.update_select("type_kind", choices=KIND_LABELS, selected=data.kinds[info.name])

    @reactive.effect
    @reactive.event(input.type_kind, ignore_init=True)
    def _set_type():
        with reactive.isolate():
            data, info = chosen_column()
        if info is None or data.key[0] != "upload":
            return
        try:
            kind = inputs.choice(input.type_kind(), "Type in the model", info.allowed)
        except inputs.InputError as err:
            types_error.set(f"{info.name}: {err}")
            return
        if kind == data.kinds[info.name]:
            return
        types_error.set(None)
        ui.update_text("column_types", value=with_type(overrides_text(), info.name, kind, info.read_as))

    @reactive.effect
    @reactive.event(input.codes_to_factors)
    def _codes_to_factors():
        with reactive.isolate():
            data = dataset()
        text = overrides_text()
        for name in flagged_codes(data.columns, data.kinds):
            read_as = next(c.read_as for c in data.columns if c.name == name)
            text = with_type(text, name, FACTOR, read_as)
        ui.update_text("column_types", value=text)

    @reactive.effect
    @reactive.event(input.reset_types)
    def _reset():
        types_error.set(None)
        ui.update_text("column_types", value="")
