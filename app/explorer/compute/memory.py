"""Giving freed memory back to the system from the app process."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache


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
