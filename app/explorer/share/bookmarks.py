"""Shiny's server bookmarking wired to the share store: where link folders are saved and restored from,
and how the upload input is kept (content-addressed, so a link can refit the same bytes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from shiny import reactive
from shiny.bookmark import Unserializable
from shiny.module import ResolvedId

from .store import ShareSettings, ShareStore

UPLOAD_INPUT = ResolvedId("data-upload")
SOURCE_INPUT = ResolvedId("data-source")
SWEEP_SECONDS = 3600.0
STATE_QUERY = "_state_id_"

_store: list[ShareStore] = []
_selectize: dict[str, bool] = {}
_default_page: list = []
_SELECT = re.compile(r"<select\b([^>]*)>", re.IGNORECASE)
_ID = re.compile(r'\bid="([^"]+)"')


def share_store() -> ShareStore:
    """The process's store (settings read from the environment once)."""
    if not _store:
        _store.append(ShareStore(ShareSettings.from_env()))
    return _store[0]


def enable_sharing(app, page=None) -> None:
    """Point ``app``'s server bookmarks at the share store and start its periodic sweep; ``page`` (the
    function building the page) is read once for its selectize inputs (see :func:`selectize_serializer`)."""
    if page is not None:
        _default_page[:] = [page()]  # also the first visitor's page
        _selectize.update(selectize_inputs(str(_default_page[0])))
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


def selectize_inputs(page_html: str) -> dict[str, bool]:
    """Every selectize input of a page (a ``<select>`` with its options script) -> whether it is multiple."""
    found = {}
    for match in _SELECT.finditer(page_html):
        attributes = match.group(1)
        id_match = _ID.search(attributes)
        if id_match and f'data-for="{id_match.group(1)}"' in page_html:
            found[id_match.group(1)] = "multiple" in attributes
    return found


def selectize_serializer(multiple: bool):
    """A selectize input's value as a link keeps it. shiny 1.8 restores a selectize's *choices* from the
    saved value too (``choices=restore_input(id, choices)``): a bare string or None there breaks the page.
    As a list it is both the only choice and the selection until the server fills the choices."""

    async def serialize(value: Any, state_dir: Path | None) -> Any:
        if multiple:
            return list(value or [])
        return [value] if isinstance(value, str) and value else Unserializable()

    return serialize


def register_serializers(root_input) -> None:
    """Right before a bookmark is saved: the upload's and the selectize inputs' serializers."""
    root_input.set_serializer(UPLOAD_INPUT, upload_serializer(root_input, share_store()))
    for name, multiple in _selectize.items():
        root_input.set_serializer(ResolvedId(name), selectize_serializer(multiple))


def page_for(request, build):
    """The page for ``request``: built once for a plain visit (building it takes ~0.15 s of the event loop),
    anew for a shared link, whose saved inputs fill it while it is built."""
    if request is not None and STATE_QUERY in request.query_params:
        return build()
    if not _default_page:
        _default_page.append(build())
    return _default_page[0]
