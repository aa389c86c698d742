"""A Shiny client at the protocol level: what the browser's shiny.js says over the WebSocket, without a
browser (so twenty sessions do not swamp a 2-core machine, and forged messages can be sent).

The protocol (shiny.js <-> py-shiny's ``session._run``): the client opens ``/websocket/``, receives
``{"config": ...}``, sends ``{"method": "init", "data": {input id: value, ...}}`` with every input and the
``.clientdata_*`` entries (``.clientdata_output_<id>_hidden: false`` makes an output render), then
``{"method": "update", "data": {...}}`` for each change. The server sends ``{"values": {...}}``,
``{"errors": {...}}``, ``{"inputMessages": [...]}``, ``{"busy": "busy"|"idle"}``, ``{"custom": ...}``...

The init message a real page sends is captured from Chromium (:func:`capture_init`), so the sessions
driven here start exactly as a browser's would whatever inputs the app has today.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets


@dataclass
class ShinyClient:
    """One session: the latest value and error of every output, as the browser would show them."""

    url: str
    origin: str | None = None
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    input_messages: list = field(default_factory=list)
    custom: list = field(default_factory=list)
    responses: dict = field(default_factory=dict)
    busy: str = "idle"
    received: int = 0
    closed: bool = False
    close_code: int | None = None
    session_id: str | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _tags: itertools.count = field(default_factory=lambda: itertools.count(1))
    _reader: asyncio.Task | None = None
    _ws: object = None

    @property
    def ws_url(self) -> str:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/websocket/"

    async def connect(self) -> ShinyClient:
        """Open the WebSocket (with the app's own Origin unless ``origin`` was given)."""
        parts = urlsplit(self.url)
        origin = self.origin if self.origin is not None else f"{parts.scheme}://{parts.netloc}"
        self._ws = await websockets.connect(
            self.ws_url,
            origin=origin or None,
            max_size=2**26,
            open_timeout=30,
            ping_interval=None,
            proxy=None,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                self._apply(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self.close_code = getattr(self._ws, "close_code", None)
            self._changed.set()

    def _apply(self, message: dict) -> None:
        self.received += 1
        if "config" in message:
            self.session_id = message["config"].get("sessionId")
        self.values.update(message.get("values") or {})
        for name in message.get("values") or {}:
            self.errors.pop(name, None)
        self.errors.update(message.get("errors") or {})
        for name in message.get("errors") or {}:
            self.values.pop(name, None)
        self.input_messages.extend(message.get("inputMessages") or [])
        if "custom" in message:
            self.custom.append(message["custom"])
        if "response" in message:
            self.responses[message["response"]["tag"]] = message["response"].get("value")
        self.busy = message.get("busy", self.busy)
        self._changed.set()

    async def send(self, message: dict | str) -> None:
        await self._ws.send(message if isinstance(message, str) else json.dumps(message))

    async def init(self, data: dict) -> None:
        await self.send({"method": "init", "data": data})

    async def update(self, data: dict) -> None:
        await self.send({"method": "update", "data": data})

    async def wait_for(self, condition: Callable[[ShinyClient], bool], timeout: float = 60.0) -> float:
        """Wait until ``condition(self)`` holds; returns the seconds waited. Raises TimeoutError (with the
        last errors) or ConnectionError if the session closed first."""
        start = time.monotonic()
        deadline = start + timeout
        while not condition(self):
            if self.closed:
                raise ConnectionError(f"session closed (code {self.close_code}) while waiting")
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"condition not met in {timeout} s; errors: {self.text_errors()}")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                continue
        return time.monotonic() - start

    async def settle(self, quiet: float = 1.0, timeout: float = 60.0) -> None:
        """Wait until the server is idle and nothing arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.closed:
            seen = self.received
            await asyncio.sleep(quiet)
            if self.received == seen and self.busy == "idle":
                return
        if not self.closed:
            raise TimeoutError(f"session still busy after {timeout} s")

    async def call(self, method: str, *args, timeout: float = 60.0):
        """A request with a reply (``uploadInit``, ``uploadEnd``...): the reply's value."""
        tag = next(self._tags)
        await self.send({"method": method, "args": list(args), "tag": tag})
        await self.wait_for(lambda client: tag in client.responses, timeout)
        return self.responses[tag]

    async def upload(self, input_id: str, name: str, data: bytes, content_type: str = "text/csv") -> int:
        """Upload ``data`` as shiny.js does: ``uploadInit``, the bytes POSTed to the session's upload URL,
        ``uploadEnd``. Returns the HTTP status of the POST (``uploadEnd`` is sent only after a 200)."""
        job = await self.call("uploadInit", [{"name": name, "size": len(data), "type": content_type}])
        status = await asyncio.to_thread(self._post, job["uploadUrl"], data, content_type)
        if status == 200:
            await self.call("uploadEnd", job["jobId"], input_id)
        return status

    def _post(self, path: str, data: bytes, content_type: str) -> int:
        request = urllib.request.Request(
            self.url.rstrip("/") + "/" + path, data=data, headers={"Content-Type": content_type}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=120) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code
        except (ConnectionError, urllib.error.URLError):
            return -1  # the server stopped reading the body and closed the connection

    def text(self, output: str) -> str:
        """An output's value as text (HTML outputs' markup included)."""
        value = self.values.get(output)
        if isinstance(value, dict):
            return json.dumps(value)
        return "" if value is None else str(value)

    def text_errors(self) -> dict[str, str]:
        return {name: str(err.get("message", err)) for name, err in self.errors.items()}

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def visible(init: dict, *outputs: str) -> dict:
    """``init`` with the named outputs marked visible (a hidden output is never rendered)."""
    return {**init, **{f".clientdata_output_{name}_hidden": False for name in outputs}}


def capture_init(browser, url: str, timeout: float = 60.0) -> dict:
    """The ``init`` data a real page sends, taken from Chromium (Playwright's ``browser``)."""
    frames: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: frames.append(frame)))
        page.goto(url, timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any('"method":"init"' in f for f in frames):
            page.wait_for_timeout(100)
    finally:
        page.close()
    for frame in frames:
        message = json.loads(frame)
        if message.get("method") == "init":
            return message["data"]
    raise TimeoutError("the page sent no init message")
