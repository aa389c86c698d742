"""The live fit: debounced requests, fits in the compute layer through an extended task, and results that
are only shown as the answer to the request they were computed from.

A superseded fit is cancelled (its worker process stops); a fit that ran out of its time budget or whose
worker crashed shows its message with a Retry button.
"""

from __future__ import annotations

from shiny import module, reactive, render, req, ui
from shiny.types import SilentException, SilentOperationInProgressException

from .. import compute
from ..debounce import debounce
from ..fitting import FitOutcome, FitRequest, fit_in_worker, fit_lane


@module.ui
def status_ui():
    return ui.div(ui.output_ui("status"), class_="lmm-status")


async def _fit_off_loop(request: FitRequest, frame, owner) -> FitOutcome:
    """Fit in the compute layer; cancelling the awaiting task cancels the job (its worker stops)."""
    lane = fit_lane(request.formula, frame)
    job = compute.submit(fit_in_worker, request, frame, lane=lane, owner=owner, kind="fit")
    try:
        return await job.result()
    except compute.TaskCancelled:
        return FitOutcome(request, error="The fit was cancelled.", retryable=True)
    except compute.TaskError as err:  # out of time, or the worker crashed twice
        return FitOutcome(request, error=str(err), retryable=True)


def settled(outcome) -> FitOutcome | None:
    """The outcome of the current inputs, or None while their fit is still to come (so an output showing
    a message of the previous request clears as soon as a new one starts, instead of lingering greyed)."""
    try:
        return outcome()
    except SilentOperationInProgressException:
        return None


@module.server
def fit_server(input, output, session, dataset, model, delay: float = 0.3):
    """``dataset`` and ``model`` are the data and model panels' reactives.

    Returns ``(outcome, fit_error)``: the fit of the current inputs (an output reading it shows as
    recalculating until that fit is ready) and its error message, or None.
    """

    @reactive.calc
    def request() -> FitRequest:
        choice, data = model(), dataset()
        return FitRequest(choice.formula, choice.reml, data.key)

    wanted = debounce(request, delay)

    @reactive.extended_task
    async def fit_task(request: FitRequest, frame) -> FitOutcome:
        return await _fit_off_loop(request, frame, session.id)

    launched: list[FitRequest | None] = [None]

    def launch(target: FitRequest) -> None:
        with reactive.isolate():
            data, choice = dataset(), model()
            running = fit_task.status() == "running"
        if data.key != target.data_key or choice.formula != target.formula or choice.error:
            return
        if running:
            fit_task.cancel()  # superseded: its job is cancelled and its worker stops
        launched[0] = target
        fit_task.invoke(target, data.frame)

    @reactive.effect
    def _launch():
        target = wanted()
        if target is not None and target != launched[0]:
            launch(target)

    @reactive.effect
    @reactive.event(input.retry)
    def _retry():
        with reactive.isolate():
            target = request()
        launch(target)

    @reactive.calc
    def outcome() -> FitOutcome:
        """The fit of the current request; until it is there (data being read, no fit launched yet, a
        superseded fit cancelled, or another request's result) Shiny's "in progress" state, never its
        plain silence: an output that went silent and then in progress within one flush gets its queued
        empty value sent with its in-progress state, which the browser rejects along with every other
        update of that flush (a restored link then lost its model controls' updates)."""
        try:
            target, choice = request(), model()
        except SilentOperationInProgressException:
            raise
        except SilentException:
            raise SilentOperationInProgressException() from None
        if choice.error:
            return FitOutcome(target, error=choice.error)
        if fit_task.status() in ("initial", "cancelled"):
            req(False, cancel_output="progress")
        result = fit_task.result()
        if result.request != target:
            req(False, cancel_output="progress")
        return result

    def fit_error() -> str | None:
        """The message of a failed fit of the current inputs; None while fitting (a field shows no
        progress state) and after success."""
        current = settled(outcome)
        return None if current is None or current.ok or model().error else current.error

    @render.ui
    def status():
        target, choice = request(), model()
        if choice.error:
            return ui.div("Formula error: see the Model panel.", class_="text-danger")
        busy = fit_task.status() in ("running", "cancelled")
        running = busy or wanted() != target or launched[0] != target
        if running:
            return ui.div(
                ui.span(class_="spinner-border spinner-border-sm me-2", role="status"),
                f"Fitting {target.label}…",
                class_="text-primary lmm-busy",
            )
        current = fit_task.result() if fit_task.status() == "success" else None
        if current is None or current.request != target:
            return None
        if not current.ok:
            first_line = current.error.splitlines()[0]
            retry = (
                ui.input_action_button("retry", "Retry", class_="btn-sm btn-outline-primary ms-2 lmm-retry")
                if current.retryable
                else None
            )
            return ui.div(f"✗ {first_line}", retry, class_="text-danger lmm-fit-error")
        return ui.div(
            f"✓ {target.label}: {current.result.nobs} observations, fitted in {current.seconds:.2f} s",
            class_="text-success lmm-fitted",
            data_fit=target.tag,
        )

    return outcome, fit_error
