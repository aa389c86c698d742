"""Security headers added to every HTTP response the app sends."""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send

# Fit for Shiny and plotly.js, no external host anywhere:
# - script 'unsafe-inline': Shiny and bslib put inline <script> blocks in the page (and Shiny runs those
#   of rendered UI); 'unsafe-eval': plotly.js's WebGL traces (regl) compile their shaders with Function().
# - style 'unsafe-inline': plotly.js, bslib and Shiny set style attributes and <style> elements.
# - img/font data: and blob: for bslib's inline SVG icons and plotly's image export; the favicon is data:.
# - frame-ancestors 'self' with X-Frame-Options for older browsers: the app cannot be framed by another
#   site (clickjacking); Referrer-Policy keeps share links (state in the URL) from leaking to other sites.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware: adds :data:`SECURITY_HEADERS` to each HTTP response (a header the app set itself
    is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in SECURITY_HEADERS if header[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
