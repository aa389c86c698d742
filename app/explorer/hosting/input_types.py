"""Shiny's typed input values (``id:shiny.file``, ``id:shiny.action``, ...) made safe against forged ones.

shiny.js tags some inputs with a type, and py-shiny converts their values with a handler per type before
the app sees them. The handlers trust the browser: a list where a dict is expected (``shiny.file``), or a
dict as a button count (``shiny.action``), raises inside Shiny and closes the session. Guarded, such a value
becomes None, which the app reads as "no value" (as before the first upload or click).
"""

from __future__ import annotations

import logging
from functools import wraps

from shiny.input_handler import input_handlers

log = logging.getLogger(__name__)


def _guarded(type_name: str, handler):
    @wraps(handler)
    def convert(value, name, session):
        try:
            return handler(value, name, session)
        except Exception:  # any malformed value: the handler's failure must not end the session
            log.warning("Ignored a malformed %s value for input %s", type_name, name)
            return None

    convert.lmm_guarded = True
    return convert


def guard_input_handlers() -> None:
    """Wrap every registered input handler (idempotent)."""
    for type_name, handler in list(input_handlers.items()):
        if not getattr(handler, "lmm_guarded", False):
            input_handlers[type_name] = _guarded(type_name, handler)
