"""``/healthz``: a cheap liveness answer for Docker's HEALTHCHECK and load balancers."""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send, send_json

HEALTH_PATH = "/healthz"


class HealthRoute:
    """ASGI middleware answering ``GET``/``HEAD /healthz`` with 200 and ``{"status": "ok"}`` without
    touching the app: it proves the event loop is serving requests, which is what a restart would fix."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.removeprefix(scope.get("root_path", "")) == HEALTH_PATH:
            if scope["method"] in ("GET", "HEAD"):
                await send_json(send, 200, {"status": "ok"})
            else:
                await send_json(send, 405, {"detail": "Method Not Allowed"})
            return
        await self.app(scope, receive, send)
