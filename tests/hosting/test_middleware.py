"""The hosting middleware as plain ASGI: headers, /healthz, the WebSocket Origin check, the upload cap."""

from __future__ import annotations

import json

import pytest
from explorer.hosting import hardened
from explorer.hosting.origin import allowed_origins_from_env, origin_allowed

from tests.hosting.sessions import run


class Recorder:
    """A stand-in app: records what it was called with and the body bytes it read, answers 200."""

    def __init__(self, read_body: bool = False, headers=()):
        self.calls = []
        self.body_read = 0
        self.read_body = read_body
        self.headers = list(headers)

    async def __call__(self, scope, receive, send):
        self.calls.append(scope)
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        if self.read_body:
            while True:
                event = await receive()
                self.body_read += len(event.get("body", b""))
                if not event.get("more_body"):
                    break
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"ok"})


def call(app, scope, body_chunks=(b"",)):
    """Run one request through ``app``; returns the messages it sent and how many chunks were pulled."""
    sent, pulled = [], []
    chunks = list(body_chunks)

    async def receive():
        if len(pulled) < len(chunks):
            pulled.append(1)
            index = len(pulled) - 1
            return {"type": "http.request", "body": chunks[index], "more_body": index < len(chunks) - 1}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"headers": [], "root_path": "", **scope}
    run(app(scope, receive, send))  # its own loop: Playwright's sync API may hold this thread's
    return sent, len(pulled)


def http(path="/", method="GET", headers=()):
    return {"type": "http", "path": path, "method": method, "headers": list(headers)}


def response_headers(sent) -> dict[bytes, bytes]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    return dict(start["headers"])


def test_every_http_response_gets_the_security_headers():
    inner = Recorder()
    sent, _ = call(hardened(inner, allowed_origins=()), http("/"))
    headers = response_headers(sent)
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"
    assert headers[b"referrer-policy"] == b"same-origin"
    policy = headers[b"content-security-policy"].decode()
    assert (
        "frame-ancestors 'self'" in policy
        and "default-src 'self'" in policy
        and "object-src 'none'" in policy
    )
    assert "http" not in policy and "*" not in policy  # no external host anywhere


def test_a_header_the_app_set_itself_is_kept():
    inner = Recorder(headers=[(b"x-frame-options", b"DENY")])
    sent, _ = call(hardened(inner, allowed_origins=()), http("/"))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert [v for k, v in start["headers"] if k == b"x-frame-options"] == [b"DENY"]


def test_healthz_answers_without_the_app():
    inner = Recorder()
    app = hardened(inner, allowed_origins=())
    sent, _ = call(app, http("/healthz"))
    assert sent[0]["status"] == 200 and json.loads(sent[1]["body"]) == {"status": "ok"}
    assert response_headers(sent)[b"x-content-type-options"] == b"nosniff"
    sent, _ = call(app, http("/healthz", method="POST"))
    assert sent[0]["status"] == 405
    assert inner.calls == []


@pytest.mark.parametrize(
    ("origin", "host", "extra", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", (), True),
        ("HTTPS://LMM.Example.org", "lmm.example.org", (), True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", (), False),  # another port is another origin
        ("http://evil.example", "lmm.example.org", (), False),
        ("http://lmm.example.org.evil.example", "lmm.example.org", (), False),
        ("null", "lmm.example.org", (), False),  # sandboxed frames, file: pages
        (None, "lmm.example.org", (), False),  # no browser omits it: a script that does is refused
        (
            "https://lmm.example.org",
            "10.0.0.5:8000",
            ("https://lmm.example.org",),
            True,
        ),  # listed for a proxy
        ("https://other.example.org", "10.0.0.5:8000", ("https://lmm.example.org",), False),
        ("javascript://lmm.example.org", "lmm.example.org", (), False),
    ],
)
def test_origin_rules(origin, host, extra, allowed):
    assert origin_allowed(origin, host, frozenset(extra)) is allowed


def test_allowed_origins_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LMM_ALLOWED_ORIGINS", " https://LMM.example.org , http://10.0.0.5:8080/,not a url,")
    assert allowed_origins_from_env() == {"https://lmm.example.org", "http://10.0.0.5:8080"}


def test_websocket_handshake_is_refused_before_the_app_sees_it():
    inner = Recorder()
    app = hardened(inner, allowed_origins=())
    evil = {
        "type": "websocket",
        "path": "/websocket/",
        "headers": [(b"host", b"a:1"), (b"origin", b"http://b:1")],
    }
    sent, _ = call(app, evil)
    assert sent == [{"type": "websocket.close", "code": 1008}] and inner.calls == []
    own = {**evil, "headers": [(b"host", b"a:1"), (b"origin", b"http://a:1")]}
    sent, _ = call(app, own)
    assert sent == [{"type": "websocket.accept"}] and len(inner.calls) == 1


UPLOAD = "/session/0123abcd/upload/job7"


def test_upload_declared_over_the_cap_is_refused_without_reading_it():
    inner = Recorder(read_body=True)
    app = hardened(inner, allowed_origins=(), upload_limit=lambda: 1000)
    sent, pulled = call(app, http(UPLOAD, "POST", [(b"content-length", b"1001")]), [b"x" * 1001])
    assert sent[0]["status"] == 413 and pulled == 0 and inner.calls == []
    assert b"too big" in sent[1]["body"] and b"LMM_MAX_UPLOAD_MB" in sent[1]["body"]
    assert response_headers(sent)[b"x-content-type-options"] == b"nosniff"


def test_streamed_upload_is_stopped_as_soon_as_it_passes_the_cap():
    inner = Recorder(read_body=True)
    app = hardened(inner, allowed_origins=(), upload_limit=lambda: 1000)
    chunks = [b"x" * 400] * 10  # 4000 bytes without a Content-Length
    sent, pulled = call(app, http(UPLOAD, "POST"), chunks)
    assert pulled == 3  # 1200 bytes: the chunk that passed the cap is the last one read
    assert inner.body_read == 800  # the app never got a byte past the cap
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]


def test_upload_within_the_cap_and_other_posts_pass_through():
    inner = Recorder(read_body=True)
    app = hardened(inner, allowed_origins=(), upload_limit=lambda: 1000)
    sent, _ = call(app, http(UPLOAD, "POST", [(b"content-length", b"1000")]), [b"x" * 500, b"x" * 500])
    assert sent[0]["status"] == 200 and inner.body_read == 1000
    sent, _ = call(app, http("/session/0123abcd/download/x", "POST"), [b"x" * 5000])
    assert sent[0]["status"] == 200 and inner.body_read == 6000


def test_memory_is_released_after_a_websocket_connection_ends_not_after_a_request(monkeypatch):
    from explorer import compute

    released = []
    monkeypatch.setattr(compute, "release_memory_soon", lambda: released.append(True))
    app = hardened(Recorder(), allowed_origins=())
    call(app, http("/"))
    assert released == []
    same_origin = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    websocket = {"type": "websocket", "path": "/websocket/", "headers": same_origin}
    call(app, websocket)
    assert released == [True]

    class Failing(Recorder):
        async def __call__(self, scope, receive, send):
            raise RuntimeError("the session's handler failed")

    with pytest.raises(RuntimeError):
        call(hardened(Failing(), allowed_origins=()), websocket)
    assert released == [True, True]  # a failed connection's memory comes back too
