"""Helpers for panels whose inputs a shared link restores."""

from __future__ import annotations

from shiny.bookmark import restore_input
from shiny.module import resolve_id


def restored_choices(id: str) -> list[str]:
    """Initial choices of a select the server fills later: the value a shared link restores, as its only
    choice (empty without a link). Shiny restores a select's selection, not its choices; with ``choices=[]``
    the browser drops the restored value before the server's ``update_select`` (which keeps a valid
    current selection) can offer it. Call inside the panel's UI function."""
    value = restore_input(resolve_id(id), None)
    return [value] if isinstance(value, str) and value else []
