"""An optional Dask cluster for the replicates of long tasks (bootstrap, recovery)."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from functools import lru_cache

SCHEDULER_ENV = "LMM_DASK_SCHEDULER"


def replicate_executor() -> Executor | None:
    """The executor of the Dask scheduler named by ``LMM_DASK_SCHEDULER``, or None to compute in-process.

    Call it inside a task function and pass the value as ``executor=`` to lmmcore's bootstrap or recovery
    (which accept any ``concurrent.futures.Executor``; the draws are the same whatever runs them).
    """
    address = os.environ.get(SCHEDULER_ENV, "").strip()
    return _executor_for(address) if address else None


@lru_cache(maxsize=4)
def _executor_for(address: str) -> Executor:
    import distributed  # only needed when a scheduler is configured

    return distributed.Client(address, set_as_default=False).get_executor()
