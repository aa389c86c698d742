"""Imported once by the fitting pool's fork server: imports the engine and fits the default model, so every
worker forked from it starts with lmmcore's lazy imports and caches done (the first real fit of a session
then costs what any other costs)."""

from __future__ import annotations

from contextlib import suppress

from . import engine


def _fit_default_once() -> None:
    # A broken default fit is reported by the app's own fit; warming up must not stop the pool.
    with suppress(engine.LmmError):
        engine.fit(engine.DEFAULT_FORMULA, engine.load_example(engine.DEFAULT_EXAMPLE), reml=True)


_fit_default_once()
