"""The app as served: Shiny's ASGI app inside the hosting middleware."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from shiny import App

from ..csv_upload import MAX_UPLOAD_ENV, max_upload_bytes
from .asgi import ASGIApp
from .headers import SecurityHeaders
from .health import HealthRoute
from .input_types import guard_input_handlers
from .origin import OriginCheck
from .session_end import ReleaseAfterSession
from .upload_cap import UploadCap


def hardened(
    app: ASGIApp,
    *,
    allowed_origins: Iterable[str] | None = None,
    upload_limit: Callable[[], int] = max_upload_bytes,
) -> ASGIApp:
    """``app`` behind, from the outside in: security headers on every response, the WebSocket Origin check
    (``LMM_ALLOWED_ORIGINS`` unless ``allowed_origins`` is given), ``/healthz``, the upload cap
    (``LMM_MAX_UPLOAD_MB``, the same cap the CSV reader applies), and the release of a closed session's
    memory once its connection's handler has returned."""
    capped = UploadCap(ReleaseAfterSession(app), upload_limit, MAX_UPLOAD_ENV)
    return SecurityHeaders(OriginCheck(HealthRoute(capped), allowed_origins))


def harden(app: App, **options) -> App:
    """Put :func:`hardened` around the Starlette app a Shiny ``App`` serves, in place.

    ``app`` stays a Shiny ``App`` (``shiny run`` and ``shiny.testserver`` take it as before); every request
    it answers goes through the middleware, and a malformed typed input value no longer ends a session
    (:func:`guard_input_handlers`). ``options`` are :func:`hardened`'s.
    """
    guard_input_handlers()
    app.starlette_app = hardened(app.starlette_app, **options)
    return app
