"""Hostile use of one running app, at the protocol level (a raw WebSocket, as a script would do it).

Each case must end with a clear message, the session still working, nothing executed, and another user's
session answering meanwhile. The sessions start with the init message a real Chromium page sends (captured
once), so every input the app has today is covered.

Short form by default (CI): every input forged with a list and a dict. ``LMM_ABUSE_FULL=1`` forges each
input five ways.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import psutil
import pytest
from shiny.pytest import create_app_fixture

from benchmarks.load_test import LARGE
from tests.hosting.sessions import DEFAULT_STATUS, all_outputs_visible, answers, fitted, plain_text, run
from tests.hosting.shiny_client import ShinyClient, capture_init

pytestmark = pytest.mark.browser  # the init message is captured from Chromium

UPLOAD_CAP_MB = 25
app = create_app_fixture("../../app/app.py", timeout_secs=90, env={"LMM_MAX_UPLOAD_MB": str(UPLOAD_CAP_MB)})

FULL = os.environ.get("LMM_ABUSE_FULL") == "1"
FORGERIES = [[1, 2], {"a": 1}]
if FULL:
    FORGERIES += [1e308, "<b>unknown</b>", [[{"deep": [1]}]]]
BYSTANDER_SECONDS = 10.0  # another user's change answered within this while one session abuses the app


@pytest.fixture(scope="module")
def init(browser, app) -> dict:
    """What the page sends on connecting, every output marked visible (hidden outputs never render)."""
    return all_outputs_visible(capture_init(browser, app.url))


def test_forged_values_for_every_input_leave_the_session_working(app, init):
    names = [key for key in init if not key.startswith(".clientdata")]
    assert len(names) > 30  # the whole page's inputs, not a stub

    async def scenario():
        client = await fitted(app.url, init)
        closed_by = []
        for name in names:
            for forged in FORGERIES:
                await client.update({name: forged})
            await client.settle(quiet=0.2, timeout=60)
            if client.closed:
                closed_by.append(name)
                client = await fitted(app.url, init)
                continue
            await client.update({name: init[name]})
        await client.settle(quiet=0.3, timeout=60)
        await answers(client)
        await client.close()
        return closed_by

    assert run(scenario()) == [], "forged values of these inputs ended the session"


@pytest.mark.parametrize(
    ("update", "output", "message"),
    [
        ({"data-example": "../etc/passwd"}, "data-example_description", "Unknown Data set: ../etc/passwd"),
        ({"data-source": {"a": 1}}, "data-notice", "Data source must be one name"),
        (
            {"data-source": "simulate", "data-n_sites:shiny.number": 1e9},
            "data-simulate_message",
            "Number of sites must be between 2 and 2000",
        ),
        (
            {"data-source": "simulate", "data-n_per_site:shiny.number": [1, 2]},
            "data-simulate_message",
            "Samples per site must be a number",
        ),
        (
            {"tabs": "intervals", "intervals-level:shiny.number": 5},
            "intervals-settings_error",
            "Confidence level must be greater than 0.5 and less than 0.999 (got 5)",
        ),
        (
            {"tabs": "intervals", "intervals-nsim:shiny.number": 1e12},
            "intervals-settings_error",
            "must be between 1 and 10000",
        ),
        (
            {"tabs": "intervals", "intervals-seed:shiny.number": -1},
            "intervals-settings_error",
            "must be between 0 and 4294967295",
        ),
    ],
    ids=["unknown-example", "dict-source", "absurd-sites", "list-per-site", "level", "nsim", "seed"],
)
def test_forged_and_absurd_values_get_a_message_naming_the_input(app, init, update, output, message):
    async def scenario():
        client = await fitted(app.url, init)
        await client.update(update)
        await client.wait_for(lambda c: message in plain_text(c, output), 60)
        await client.update({key: init[key] for key in update})
        await answers(client)  # and, the values put back, the session goes on
        await client.close()

    run(scenario())


CODE = [
    "__import__('os').system('touch {mark}')",
    "Biomass ~ Temp + I(__import__('os').system('touch {mark}'))",
    "Biomass ~ eval(compile('open(\"{mark}\", \"w\")', 'x', 'exec')) + (1 | Site)",
    "Biomass ~ `__import__('os').system('touch {mark}')` + (1 | Site)",
    "Biomass ~ Temp + (1 | Site); import os; os.system('touch {mark}')",
    "Biomass ~ Temp.__class__.__mro__[1].__subclasses__() + (1 | Site)",
]
HEAVY = [
    "Biomass ~ " + " + ".join(["Temp"] * 500) + " + (1 | Site)",
    "Biomass ~ " + "(" * 3000 + "Temp" + ")" * 3000 + " + (1 | Site)",
]


def test_formula_injection_executes_nothing_and_says_what_is_wrong(app, init, tmp_path: Path):
    mark = tmp_path / "executed"

    async def scenario():
        client = await fitted(app.url, init)
        shown = []
        for formula in [template.format(mark=mark) for template in CODE] + HEAVY:
            await client.update({"model-formula": formula})
            await client.settle(quiet=0.3, timeout=60)
            shown.append(plain_text(client, "model-formula_error") or plain_text(client, "fit-status"))
        await client.update({"model-formula": init["model-formula"]})
        await client.wait_for(lambda c: DEFAULT_STATUS in plain_text(c, "fit-status"), 60)
        await answers(client)
        await client.close()
        return shown

    shown = run(scenario())
    assert not mark.exists()
    for formula, message in zip(CODE, shown[: len(CODE)]):
        assert message and "✓" not in message, (formula, message)  # refused, with a reason
    assert all(shown[len(CODE) :]), shown  # a heavy formula is fitted or refused, never silent


def _csv_rows(header: str, rows) -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def _malformed_files() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, a fragment of the message it must get, or '' when reading it is fine)."""
    levels = _csv_rows("y,g", (f"{i % 7}.5,L{i}" for i in range(100_000)))
    wide = _csv_rows(",".join(f"c{i}" for i in range(10_000)), [",".join(["1"] * 10_000)] * 5)
    long_line = b"y,g\n" + b"1," + b"x" * (20 * 2**20) + b"\n2,a\n"
    return {
        "binary.csv": (bytes(range(256)) * 64, "not a CSV file"),
        "empty.csv": (b"", "empty"),
        "utf16.csv": ("y,g\n1.5,a\n2.5,b\n3.5,a\n4.5,b\n".encode("utf-16"), "UTF-16"),
        "ragged.csv": (b"y,g,x\n1,a,2\n2,b\n3,a,4\n", "different numbers of fields"),
        "quoted-newlines.csv": (b'y,g,note\n1,a,"two\nlines"\n2,b,"x"\n3,a,"y"\n4,b,"z"\n', ""),
        "levels-100000.csv": (levels, ""),
        "columns-10000.csv": (wide, ""),
        "line-20MB.csv": (long_line, ""),
    }


@pytest.mark.parametrize("name", list(_malformed_files()))
def test_malformed_upload_gets_a_message_and_nobody_waits(app, init, name):
    data, fragment = _malformed_files()[name]

    async def scenario():
        client, bystander = await fitted(app.url, init), await fitted(app.url, init)
        await client.update({"data-source": "upload"})
        upload = asyncio.create_task(client.upload("data-upload", name, data))
        waited = await answers(bystander)
        assert await upload == 200
        await client.wait_for(lambda c: name in plain_text(c, "data-upload_message"), 120)
        waited = max(waited, await answers(bystander))
        message = plain_text(client, "data-upload_message")
        await client.update({"data-source": "examples"})
        await client.wait_for(lambda c: DEFAULT_STATUS in plain_text(c, "fit-status"), 90)
        await answers(client)
        await client.close()
        await bystander.close()
        return message, waited

    message, waited = run(scenario())
    print(f"{name}: {message!r}; bystander answered in {waited:.2f} s")
    if fragment == "UTF-16":  # read as it is, or refused naming the encoding
        assert message.startswith(f"Uploaded {name}") or fragment in message, message
    elif fragment:
        assert fragment in message
    else:  # read, or refused with a reason: never a bare failure
        assert message.startswith(f"Uploaded {name}") or "did not change" in message, message
    assert waited < BYSTANDER_SECONDS


def test_upload_over_the_cap_is_refused_while_it_streams(app, init):
    data = b"y,g\n" + b"1.5,a\n" * ((UPLOAD_CAP_MB * 2**20) // 6 + 10)

    async def scenario():
        client = await fitted(app.url, init)
        await client.update({"data-source": "upload"})
        status = await client.upload("data-upload", "big.csv", data)
        await answers(client)
        await client.close()
        return status

    assert run(scenario()) in (413, -1)  # -1: the server closed the connection before reading it all


def test_websocket_from_another_origin_is_refused(app, init):
    async def scenario():
        refused = []
        for origin in ("http://evil.example", "null", ""):
            client = ShinyClient(app.url, origin=origin)
            try:
                await client.connect()
                await client.close()
            except Exception as err:
                refused.append((origin, "403" in str(err)))
        own = await fitted(app.url, init)
        await own.close()
        return refused

    assert run(scenario()) == [("http://evil.example", True), ("null", True), ("", True)]


def test_a_forged_restore_link_cannot_reach_outside_the_share_store(app, init):
    async def scenario():
        client = await ShinyClient(app.url).connect()
        await client.init({**init, ".clientdata_url_search": "?_state_id_=../../../../etc"})
        await client.settle(quiet=0.5, timeout=60)
        alive = not client.closed
        await client.close()
        own = await fitted(app.url, init)
        await answers(own)
        await own.close()
        return alive

    run(scenario())  # the forged session may be refused; the app must keep serving others


def _busiest_worker(app_pid: int):
    """The app's descendant using the most CPU over half a second (the worker running the large fit)."""
    descendants = psutil.Process(app_pid).children(recursive=True)
    children = [p for p in descendants if "resource_tracker" not in p.cmdline()[-1]]
    for child in children:
        child.cpu_percent(None)
    time.sleep(0.5)
    return max(children, key=lambda child: child.cpu_percent(None), default=None)


def test_a_killed_worker_fails_only_its_own_fit(app, init):
    async def scenario():
        client, bystander = await fitted(app.url, init), await fitted(app.url, init)
        await client.update(LARGE)
        await client.wait_for(lambda c: "Fitting" in plain_text(c, "fit-status"), 120)
        await asyncio.sleep(1.0)
        worker = await asyncio.to_thread(_busiest_worker, app.proc.pid)
        assert worker is not None
        worker.kill()
        waited = await answers(bystander)  # another user's fits go on

        # The killed fit is retried once, or ends with a message and a Retry button.
        def ended(c):
            status = plain_text(c, "fit-status")
            return "1000000 observations" in status or "Retry" in status

        await client.wait_for(ended, 240)
        status = plain_text(client, "fit-status")
        await client.update({"data-source": "examples"})
        await client.wait_for(lambda c: DEFAULT_STATUS in plain_text(c, "fit-status"), 120)
        await client.close()
        await bystander.close()
        return waited, status

    waited, status = run(scenario())
    print(f"after the kill: {status!r}; bystander answered in {waited:.2f} s")
    assert waited < BYSTANDER_SECONDS
