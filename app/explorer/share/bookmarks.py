"""Shiny's server bookmarking wired to the share store: where link folders are saved and restored from,
and how the upload input is kept (content-addressed, so a link can refit the same bytes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shiny import reactive
from shiny.bookmark import Unserializable
from shiny.module import ResolvedId

from .store import ShareSettings, ShareStore

UPLOAD_INPUT = ResolvedId("data-upload")
SOURCE_INPUT = ResolvedId("data-source")
SWEEP_SECONDS = 3600.0

_store: list[ShareStore] = []


def share_store() -> ShareStore:
    """The process's store (settings read from the environment once)."""
    if not _store:
        _store.append(ShareStore(ShareSettings.from_env()))
    return _store[0]


def enable_sharing(app) -> None:
    """Point ``app``'s server bookmarks at the share store and start its periodic sweep."""
    store = share_store()
    app.set_bookmark_save_dir_fn(store.save_dir)
    app.set_bookmark_restore_dir_fn(store.restore_dir)
    store.sweep_periodically(SWEEP_SECONDS)


def upload_serializer(root_input, store: ShareStore):
    """The upload input's value as a link keeps it: each file stored by its sha256, which the link's folder
    names (Shiny copies it back on restore). Nothing is kept when the view does not use the upload."""

    async def serialize(value: Any, state_dir: Path | None) -> Any:
        with reactive.isolate():
            source = root_input[SOURCE_INPUT]()
        if state_dir is None or source != "upload" or not isinstance(value, list):
            return Unserializable()
        kept = []
        for info in value:
            digest = store.keep_upload(Path(info["datapath"]), state_dir)
            kept.append({**info, "datapath": digest})
        return kept

    return serialize
