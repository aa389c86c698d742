"""Imported once by the compute layer's fork server: imports the engine and fits the default model with its
summary inference, so every worker forked from it starts with lmmcore's lazy imports and caches done (the
first real fit of a session then costs what any other costs)."""

from __future__ import annotations

from contextlib import suppress

from . import engine
from .tables.inference_tables import summary_inference


def _fit_default_once() -> None:
    # A broken default fit is reported by the app's own fit; warming up must not stop the workers.
    with suppress(engine.LmmError):
        result = engine.fit(engine.DEFAULT_FORMULA, engine.load_example(engine.DEFAULT_EXAMPLE), reml=True)
        summary_inference(result)  # catches its own errors


_fit_default_once()
