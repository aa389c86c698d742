"""Giving freed memory back to the system from the app process."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
from functools import lru_cache

# A closed session's reactive graph holds reference cycles that only a full collection frees (0.1-0.3 s
# with the app's modules loaded): run it a little after the session's end, once for a burst of ends.
RELEASE_DELAY_SECONDS = 2.0

# The loop on which a release is pending (a test server's loop may close before its timer fires).
_pending_on: asyncio.AbstractEventLoop | None = None


@lru_cache(maxsize=1)
def _malloc_trim():
    # glibc only: elsewhere (musl, macOS) freed pages are returned by other means or not at all.
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_memory() -> bool:
    """Collect garbage, then ask glibc to return free heap pages (``malloc_trim(0)``).

    Without the trim, the pages of a closed session's data stay in the process's free lists and its
    resident size never goes down. Returns whether a trim was possible.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def release_memory_soon(delay: float = RELEASE_DELAY_SECONDS) -> None:
    """:func:`release_memory` ``delay`` seconds from now on the running event loop (at once without one);
    calls made while one is pending share it."""
    global _pending_on
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        release_memory()
        return
    if _pending_on is not loop:
        _pending_on = loop
        loop.call_later(delay, _release_pending)


def _release_pending() -> None:
    global _pending_on
    _pending_on = None
    release_memory()
