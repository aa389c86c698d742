"""Everything one browser session keeps beyond its inputs: long-task results and the pinned models.

Created once per session in the app's server and handed to the panels; dropped (jobs cancelled, cache
cleared, memory given back) when the session ends, so nothing outlives it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from shiny import reactive

from . import compute

DEFAULT_CACHE_ENTRIES = 32


class ResultCache:
    """A bounded least-recently-used map from (panel, request) to a finished task's outcome."""

    def __init__(self, max_entries: int = DEFAULT_CACHE_ENTRIES):
        self.max_entries = max(1, int(max_entries))
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, default: Any = None) -> Any:
        if key not in self._entries:
            return default
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key: Hashable, value: Any) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


class SessionState:
    """One session's long-result cache, its pinned models and its identity as a compute owner.

    Parameters
    ----------
    session : shiny Session
        The root session; its id is the owner of every job the session submits.
    max_entries : int
        Bound of the long-result cache.
    """

    def __init__(self, session, max_entries: int = DEFAULT_CACHE_ENTRIES):
        self.owner = session.id
        self.cache = ResultCache(max_entries)
        self.pinned: reactive.Value[tuple[Any, ...]] = reactive.value(())
        self.closed = False
        session.on_ended(self.close)

    def close(self) -> None:
        """Cancel the session's jobs and drop its results (the hosting middleware gives the memory back
        once the session's connection has ended: :mod:`explorer.hosting.session_end`)."""
        self.closed = True
        compute.cancel_owner(self.owner)
        self.cache.clear()
        self.pinned.set(())
