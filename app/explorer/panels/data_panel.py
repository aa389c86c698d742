"""Data panel: simulate the seed's design, upload a CSV file, or pick a bundled example.

Returns the dataset in use. A failed attempt (bad file, impossible simulation) shows its message and
keeps the previous good data, so nothing is lost.
"""

from __future__ import annotations

from pathlib import Path

from shiny import module, reactive, render, req, ui

from .. import datasets, engine
from ..csv_upload import UploadError, check_size, column_types, max_upload_bytes, read_csv_upload

_SIM_LABELS = datasets.SIMULATION_LABELS
_STEPS = {"n_sites": 1, "n_per_site": 1, "seed": 1, "cor": 0.1}


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
            "Upload CSV",
            ui.input_file("upload", "CSV file", accept=[".csv", ".txt", ".tsv"]),
            ui.p(
                "Comma, semicolon or tab separated; UTF-8 or Latin-1; "
                f"up to {max_upload_bytes() / 2**20:.0f} MB.",
                class_="small text-muted",
            ),
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
        ui.output_table("columns"),
        ui.h6("First rows"),
        ui.output_table("head"),
    )


def _message(text: str | None, kind: str = "danger"):
    return ui.div(text, class_=f"alert alert-{kind} py-1 px-2 small lmm-message") if text else None


@module.server
def data_server(input, output, session):
    good_upload: reactive.Value[datasets.Dataset | None] = reactive.value(None)
    upload_error: reactive.Value[str | None] = reactive.value(None)
    last_good: reactive.Value[datasets.Dataset | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.new_draw)
    def _next_seed():
        seed = input.seed()
        ui.update_numeric("seed", value=(int(seed) if seed is not None else 0) + 1)

    @reactive.effect
    @reactive.event(input.upload)
    def _read_upload():
        files = input.upload()
        if not files:
            return
        info = files[0]
        path = Path(info["datapath"])
        try:
            check_size(path.stat().st_size)
            raw = path.read_bytes()
            parsed = read_csv_upload(raw)
        except UploadError as err:
            upload_error.set(f"{info['name']}: {err}")
            return
        upload_error.set(None)
        good_upload.set(datasets.uploaded(parsed, info["name"], raw))

    @reactive.calc
    def simulation_attempt() -> datasets.Dataset | str:
        params = {name: input[name]() for name in _SIM_LABELS}
        try:
            return datasets.simulated(params)
        except (ValueError, engine.LmmError) as err:
            return str(err)

    @reactive.calc
    def attempt() -> datasets.Dataset | str:
        source = input.source()
        if source == "upload":
            return good_upload.get() or "Upload a CSV file to use it (the current data stay until then)."
        if source == "examples":
            return datasets.example(input.example())
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
        kept = good_upload.get()
        return _message(f"{kept.label} (column types in the Data tab)", "success") if kept else None

    @render.text
    def example_description():
        return engine.describe_example(input.example()).description

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

    @render.text
    def label():
        return dataset().label

    @render.table
    def columns():
        return column_types(dataset().frame)

    @render.table
    def head():
        return dataset().frame.head(8)

    return dataset
