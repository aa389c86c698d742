"""Memory comes back when a session's connection ends.

A closed session's objects (its data, fits, reactive graph) form reference cycles that only a full garbage
collection frees, and they stay reachable until Shiny's handler of the session's WebSocket has returned,
which can be seconds after the session's ``on_ended`` callbacks ran (a collection then found the session
still alive and the process kept its memory until some later collection). So the release is scheduled
here, once the connection's handler has returned.
"""

from __future__ import annotations

from .. import compute
from .asgi import ASGIApp, Receive, Scope, Send


class ReleaseAfterSession:
    """ASGI middleware: after a WebSocket connection's handler returns, release the process's free memory
    (:func:`compute.release_memory_soon`: shortly after, once for a burst of ends)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "websocket":
                compute.release_memory_soon()
