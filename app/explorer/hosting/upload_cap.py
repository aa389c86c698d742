"""A cap on the size of uploads, enforced on the HTTP body while it streams.

Shiny's client POSTs each file's bytes to ``/session/<id>/upload/<job>``, and Shiny writes them to disk as
they arrive; its size is checked only after. Here a body is refused at once when its declared
``Content-Length`` is over the cap, and otherwise stopped as soon as the bytes received pass the cap, so
at most the cap is ever read or written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .asgi import ASGIApp, Receive, Scope, Send, header, send_text

UPLOAD_PATH = re.compile(r"/session/[^/]+/upload/")


class BodyTooLarge(Exception):
    """Raised inside the app's read of the body once it passes the cap (ends the upload handler)."""


def too_large_message(limit: int, env_name: str) -> str:
    return f"The file is too big: the limit is {limit / 2**20:.0f} MB (set {env_name} to raise it)."


class UploadCap:
    """ASGI middleware answering 413 to an upload body over ``limit()`` bytes (read per request, so the
    environment variable can change without a restart in tests)."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int], env_name: str) -> None:
        self.app = app
        self.limit = limit
        self.env_name = env_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not UPLOAD_PATH.search(scope["path"]):
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        message = too_large_message(limit, self.env_name)
        declared = header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await send_text(send, 413, message)
            return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return event

        async def tracking_send(event):
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await send_text(send, 413, message)
