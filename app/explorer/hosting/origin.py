"""The WebSocket Origin check: a page on another site must not open a session in the user's name, and a
script must at least claim to be the app's own page.

Browsers always send ``Origin`` with a WebSocket handshake; it must name the host the request was sent
to (the ``Host`` header, which a proxy passes on with ``proxy_set_header Host $host``) or one of the
origins listed in ``LMM_ALLOWED_ORIGINS`` (comma-separated, e.g. ``https://lmm.example.org``) for proxies
that rewrite ``Host``. Anything else, a missing Origin included, is refused before the session starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from urllib.parse import urlsplit

from .asgi import ASGIApp, Receive, Scope, Send, header

ALLOWED_ORIGINS_ENV = "LMM_ALLOWED_ORIGINS"
POLICY_VIOLATION = 1008  # WebSocket close code; before the handshake is accepted servers answer 403

log = logging.getLogger(__name__)


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or None when ``url`` is no http(s) origin."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins_from_env() -> frozenset[str]:
    """The extra origins of ``LMM_ALLOWED_ORIGINS`` (malformed entries are ignored, with a warning)."""
    listed = [item for item in os.environ.get(ALLOWED_ORIGINS_ENV, "").split(",") if item.strip()]
    origins = {_origin(item) for item in listed}
    if None in origins:
        log.warning("%s: ignoring entries that are not http(s)://host[:port] origins", ALLOWED_ORIGINS_ENV)
    return frozenset(origin for origin in origins if origin)


def origin_allowed(origin: str | None, host: str | None, extra: Iterable[str] = ()) -> bool:
    """Whether a handshake from ``origin`` to ``host`` may open a session."""
    normalised = _origin(origin) if origin else None
    if normalised is None:
        return False
    if host and urlsplit(normalised).netloc == host.strip().lower():
        return True
    return normalised in extra


class OriginCheck:
    """ASGI middleware refusing WebSocket handshakes whose Origin is not the app's own (see module)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str] | None = None) -> None:
        self.app = app
        self.allowed = allowed_origins_from_env() if allowed is None else frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            origin, host = header(scope, b"origin"), header(scope, b"host")
            if not origin_allowed(origin, host, self.allowed):
                log.warning("WebSocket refused: Origin %r is not allowed for Host %r", origin, host)
                await send({"type": "websocket.close", "code": POLICY_VIOLATION})
                return
        await self.app(scope, receive, send)
