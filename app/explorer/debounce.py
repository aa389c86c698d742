"""A debounced reactive: bursts of changes (typing, dragging) collapse into one, a lone change passes at once.

Leading and trailing edge: the first change after a quiet period of ``delay`` seconds is emitted immediately
(a click refits without waiting), later changes inside the burst are held until ``delay`` passes without
another change, then the last one is emitted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from shiny import reactive

T = TypeVar("T")


def debounce(source: Callable[[], T], delay: float) -> reactive.Calc_[T]:
    """A reactive calc following ``source`` with leading+trailing debouncing."""
    emitted: reactive.Value[T | None] = reactive.value(None)
    held: reactive.Value[tuple[T, float] | None] = reactive.value(None)
    last_change = [-float("inf")]

    @reactive.effect
    def _on_change():
        value = source()
        now = time.monotonic()
        quiet = now - last_change[0] >= delay
        last_change[0] = now
        with reactive.isolate():
            if quiet and held.get() is None:
                emitted.set(value)
            else:
                held.set((value, now + delay))

    @reactive.effect
    def _release():
        pending = held.get()
        if pending is None:
            return
        value, due = pending
        remaining = due - time.monotonic()
        if remaining > 0:
            reactive.invalidate_later(remaining)
            return
        with reactive.isolate():
            held.set(None)
            emitted.set(value)

    @reactive.calc
    def debounced() -> T:
        return emitted.get()

    return debounced
