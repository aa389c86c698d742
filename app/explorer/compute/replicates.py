"""An optional Dask cluster for the replicates of long tasks (bootstrap, recovery)."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from typing import Any

SCHEDULER_ENV = "LMM_DASK_SCHEDULER"

# One client per scheduler address and process: connecting costs a round trip and a few threads.
_clients: dict[str, Any] = {}


def replicate_executor() -> Executor | None:
    """The executor of the Dask scheduler named by ``LMM_DASK_SCHEDULER``, or None to compute in-process.

    Call it inside a task function and pass the value as ``executor=`` to lmmcore's bootstrap or recovery
    (which accept any ``concurrent.futures.Executor``; the draws are the same whatever runs them).
    """
    address = os.environ.get(SCHEDULER_ENV, "").strip()
    if not address:
        return None
    client = _clients.get(address)
    if client is None:
        import distributed  # only needed when a scheduler is configured

        client = _clients[address] = distributed.Client(address, set_as_default=False)
    return client.get_executor()


def close_replicate_executors() -> None:
    """Close the clients :func:`replicate_executor` opened (tests; a worker process simply exits)."""
    while _clients:
        _, client = _clients.popitem()
        client.close()
