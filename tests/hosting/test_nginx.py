"""deploy/nginx.conf: valid for ``nginx -t``, and in front of a running app it serves the page, upgrades the
WebSocket with the Host the app checks the Origin against, and refuses another site's Origin.

nginx comes from Debian (``.ci/run`` installs it); without it the tests are skipped locally and fail in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from shiny.pytest import create_app_fixture

from tests.hosting.sessions import DEFAULT_STATUS, all_outputs_visible, answers, plain_text, run
from tests.hosting.shiny_client import ShinyClient, capture_init

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

app = create_app_fixture("../../app/app.py", timeout_secs=90)


@pytest.fixture(autouse=True)
def _nginx_present():
    if NGINX is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (.ci/run installs Debian's nginx-light)", pytrace=False)
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")


def _nginx(*args: str, prefix: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NGINX, "-p", f"{prefix}/", "-e", "stderr", *args], capture_output=True, text=True, timeout=30
    )


def test_example_config_passes_nginx_t(tmp_path):
    result = _nginx("-t", "-c", str(CONFIG), "-g", f"pid {tmp_path}/nginx.pid;", prefix=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def proxy(app, tmp_path):
    """nginx with the example config, listening on a free loopback port, in front of the test's app."""
    port = _free_port()
    backend = app.url.rstrip("/").split("//")[1]
    config = CONFIG.read_text()
    config = re.sub(r"(\s+server 127\.0\.0\.1:800\d;)+", f"\n        server {backend};", config)
    config = config.replace("listen 80;", f"listen 127.0.0.1:{port};")
    path = tmp_path / "nginx.conf"
    path.write_text(config)
    options = f"daemon off; pid {tmp_path}/nginx.pid;"
    process = subprocess.Popen(
        [NGINX, "-p", f"{tmp_path}/", "-e", "stderr", "-c", str(path), "-g", options],
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"nginx did not start: {process.stderr.read()}")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.browser
def test_app_behind_the_example_proxy(proxy, browser):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(proxy + "healthz", timeout=30) as response:
        assert response.status == 200 and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    init = capture_init(browser, proxy)  # the page, its scripts and its WebSocket, all through nginx

    async def scenario():
        client = await ShinyClient(proxy).connect()
        await client.init(all_outputs_visible(init))
        await client.wait_for(lambda c: DEFAULT_STATUS in plain_text(c, "fit-status"), 90)
        await answers(client)
        await client.close()
        foreign = ShinyClient(proxy, origin="http://evil.example")
        try:
            await foreign.connect()
        except Exception as err:
            return str(err)
        await foreign.close()
        return "connected"

    assert "403" in run(scenario())
