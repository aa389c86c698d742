"""Giving freed memory back to the system from the app process."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
from functools import lru_cache

# A closed session's reactive graph holds reference cycles that only a full collection frees (0.1-0.3 s
# with the app's modules loaded): run it a little after the session's connection has ended (long enough for
# the handler's last callbacks, see explorer.hosting.session_end), once for a burst of ends.
RELEASE_DELAY_SECONDS = 0.5

# The loop on which a release is pending (a test server's loop may close before its timer fires).
_pending_on: asyncio.AbstractEventLoop | None = None


# glibc's mallopt parameter number of the mmap threshold (malloc.h).
_M_MMAP_THRESHOLD = -3
# Blocks of this size or more get a mapping of their own, unmapped when freed: numpy arrays of a large data
# set (a 1,000,000-row column is 8 MB) then never settle in the heap.
MMAP_THRESHOLD_BYTES = 128 * 1024


@lru_cache(maxsize=1)
def _libc():
    # glibc only: elsewhere (musl, macOS) freed pages are returned by other means or not at all.
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None:
            libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
            libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def map_large_blocks(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes in this process (the app's; not its workers,
    which start from a fresh interpreter); returns whether it could.

    By default glibc raises the threshold to the size of each large block freed, up to 32 MB: after a
    closed session's data are freed, the next session's arrays come from the heap, and a heap fragmented by
    a few live objects keeps its pages (measured: the app process stayed ~40-80 MB above its baseline
    after each closed 1,000,000-row session with the default, within 10 MB with this).
    """
    libc = _libc()
    return libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, threshold) == 1


def release_memory() -> bool:
    """Collect garbage, then ask glibc to return free heap pages (``malloc_trim(0)``).

    Without the trim, the pages of a closed session's data stay in the process's free lists and its
    resident size never goes down. Returns whether a trim was possible.
    """
    gc.collect()
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
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
