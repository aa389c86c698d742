"""Sessions of the app driven at the protocol level: start one on the default fit, check it answers."""

from __future__ import annotations

import re

from tests.event_loops import run_on_own_loop as run  # noqa: F401 (the hosting tests import it from here)
from tests.hosting.shiny_client import ShinyClient

DEFAULT_STATUS = "Biomass ~ Temp + N + (1 + Temp | Site) by REML"


def plain_text(client: ShinyClient, output: str) -> str:
    """An output as the user reads it: markup removed, whitespace collapsed."""
    value = client.values.get(output)
    html = value.get("html", "") if isinstance(value, dict) else str(value or "")
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def all_outputs_visible(init: dict) -> dict:
    """``init`` with every output marked visible (a hidden output is never rendered)."""
    return {key: (False if key.startswith(".clientdata_output_") else v) for key, v in init.items()}


async def fitted(url: str, init: dict) -> ShinyClient:
    """A new session started with ``init`` (a page's first message), once its default fit is shown."""
    client = await ShinyClient(url).connect()
    await client.init(init)
    await client.wait_for(lambda c: DEFAULT_STATUS in plain_text(c, "fit-status"), 90)
    return client


async def answers(client: ShinyClient, timeout: float = 60.0) -> float:
    """Switch REML/ML and back; the seconds until the status named the new method both times."""
    waited = 0.0
    for method in ("ML", "REML"):
        await client.update({"model-method": method})
        shown = lambda c, m=method: f"by {m}:" in plain_text(c, "fit-status")  # noqa: E731
        waited += await client.wait_for(shown, timeout)
    return waited
