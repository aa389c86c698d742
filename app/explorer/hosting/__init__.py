"""What the app needs to be served to many users: security headers on every response, the WebSocket
Origin check, a cap on upload bodies enforced while they stream, ``/healthz``, typed input values that
cannot end a session when forged, and a closed session's memory given back.

``harden(app)`` puts all of them around a Shiny ``App`` (``app/app.py`` does it); ``hardened(asgi_app)``
wraps any ASGI app.
"""

from __future__ import annotations

from .harden import harden, hardened

__all__ = ["harden", "hardened"]
