"""ASGI types and small helpers shared by the middleware (plain ASGI: no framework needed)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` in lower case), decoded as Latin-1."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def send_response(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    """A complete HTTP response in two messages."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, payload: dict) -> None:
    await send_response(send, status, json.dumps(payload).encode(), b"application/json")


async def send_text(send: Send, status: int, text: str) -> None:
    await send_response(send, status, text.encode(), b"text/plain; charset=utf-8")
