"""The Docker image: built from the repository's Dockerfile, run on a loopback port, healthy, non-root, the
page and /healthz served with the security headers, share links on the volume. Skipped without a Docker
daemon (the build needs the base image python:3.12-slim and PyPI)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = shutil.which("docker")

pytestmark = pytest.mark.slow


def _docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def image():
    if DOCKER is None or _docker("info").returncode != 0:
        pytest.skip("no Docker daemon")
    tag = f"lmm-explorer-test:{uuid.uuid4().hex[:8]}"
    built = _docker("build", "--pull=false", "-t", tag, str(ROOT), timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    yield tag
    _docker("rmi", "-f", tag)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(url, timeout=10)


@pytest.fixture(scope="module")
def container(image):
    port = _free_port()
    volume = f"lmm-test-shared-{uuid.uuid4().hex[:8]}"
    started = _docker("run", "-d", "-p", f"127.0.0.1:{port}:8000", "-v", f"{volume}:/data/shared", image)
    assert started.returncode == 0, started.stderr
    cid = started.stdout.strip()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            with _get(url + "healthz") as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            logs = _docker("logs", cid).stderr[-3000:]
            _docker("rm", "-f", cid)
            pytest.fail(f"the container did not answer /healthz within 120 s:\n{logs}")
        time.sleep(1)
    yield cid, url
    _docker("rm", "-f", cid)
    _docker("volume", "rm", "-f", volume)


def test_health_page_and_headers(container):
    _, url = container
    with _get(url + "healthz") as response:
        assert json.load(response) == {"status": "ok"}
    with _get(url) as response:
        page = response.read().decode()
        headers = response.headers
    assert "<title>LMM Explorer</title>" in page or "LMM Explorer" in page
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "SAMEORIGIN"


def test_runs_as_a_user_without_privileges_and_owns_the_share_volume(container):
    cid, _ = container
    uid = _docker("exec", cid, "id", "-u").stdout.strip()
    assert uid not in ("", "0")
    probe = "import os; print(os.environ['LMM_SHARE_DIR'], os.access('/data/shared', os.W_OK))"
    assert _docker("exec", cid, "python", "-c", probe).stdout.split() == ["/data/shared", "True"]
    env = _docker("exec", cid, "python", "-c", "import os; print(os.environ['OPENBLAS_NUM_THREADS'])")
    assert env.stdout.strip() == "1"


def test_lmmcore_is_installed_with_the_dask_client(container):
    cid, _ = container
    probe = "import os, lmmcore, distributed; os.chdir('/'); print(lmmcore.fit.__module__)"
    result = _docker("exec", "-w", "/", cid, "python", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lmmcore.fit"


def test_docker_reports_the_container_healthy(container):
    cid, _ = container
    deadline = time.monotonic() + 150  # the first check runs one interval (30 s) after the start
    status = ""
    while time.monotonic() < deadline:
        status = _docker("inspect", "--format", "{{.State.Health.Status}}", cid).stdout.strip()
        if status == "healthy":
            break
        time.sleep(3)
    assert status == "healthy"
