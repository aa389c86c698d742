"""Share link: a button that saves the view as a server bookmark and shows its URL, the note on how long
uploaded data are kept, and the message of a link that could not be restored."""

from __future__ import annotations

import logging
import time

from shiny import module, reactive, render, ui

from ..share.bookmarks import register_serializers, share_store
from ..share.store import PROBLEM_KEY, ShareError

_log = logging.getLogger(__name__)
SHARE_INTERVAL_SECONDS = 2.0
_COPY_JS = (
    "navigator.clipboard.writeText(document.getElementById('lmm-share-url').value);this.textContent='Copied';"
)


@module.ui
def share_button_ui():
    return ui.div(
        ui.input_action_button("share", "Share link", class_="btn-sm btn-primary"),
        ui.p(share_store().settings.note, class_="small text-muted mb-1 mt-1 lmm-share-note"),
        class_="lmm-share",
    )


@module.ui
def share_notice_ui():
    return ui.output_ui("problem")


def _link_modal(url: str):
    return ui.modal(
        ui.tags.input(id="lmm-share-url", value=url, readonly="readonly", class_="form-control"),
        ui.tags.button("Copy", class_="btn btn-sm btn-outline-secondary mt-2", onclick=_COPY_JS),
        ui.p(
            "Opening it refits the model on the same data and shows this view. "
            + share_store().settings.note,
            class_="small text-muted mt-2 mb-0",
        ),
        title="Link to this view",
        easy_close=True,
    )


@module.server
def share_server(input, output, session):
    root = session.root_scope()
    link_problem: reactive.Value[str | None] = reactive.value(None)
    session.bookmark.exclude.append("share")

    @root.bookmark.on_bookmark
    def _keep_upload(state) -> None:
        # Shiny sets its own file serializer at every upload; this one runs last, right before saving.
        register_serializers(root.input)

    @root.bookmark.on_bookmarked
    async def _show(url: str) -> None:
        await root.bookmark.update_query_string(url)
        ui.modal_show(_link_modal(url))

    @root.bookmark.on_restore
    def _restored(state) -> None:
        link_problem.set(state.values.get(PROBLEM_KEY))

    last_share = [float("-inf")]

    @reactive.effect
    @reactive.event(input.share)
    async def _share():
        # Each link is a folder on the server: a session makes at most one per SHARE_INTERVAL_SECONDS.
        if time.monotonic() - last_share[0] < SHARE_INTERVAL_SECONDS:
            ui.notification_show("A link was just made; wait a moment before making another.", duration=4)
            return
        last_share[0] = time.monotonic()
        try:
            await root.bookmark()
        except Exception as err:  # shiny wraps the store's ShareError in its NotifyException
            cause = err.__cause__ if isinstance(err.__cause__, ShareError) else None
            if cause is None:
                _log.exception("Saving a shared link failed")
            message = str(cause) if cause else "The link could not be saved on the server; try again."
            ui.notification_show(message, type="error", duration=10)

    @render.ui
    def problem():
        text = link_problem.get()
        if not text:
            return None
        return ui.div(text, class_="alert alert-warning py-1 px-2 mb-1 small lmm-link-problem")
