"""The compute layer's knobs, read from the environment once per call so tests can change them.

| variable | default | meaning |
| --- | --- | --- |
| ``LMM_APP_WORKERS`` | 2 | worker processes of the large lane (large fits, every long task) |
| ``LMM_APP_SMALL_WORKERS`` | 1 | worker processes kept for fits of small designs |
| ``LMM_FIT_BUDGET_SECONDS`` | 30 | time budget of one fit |
| ``LMM_TASK_BUDGET_SECONDS`` | 120 | time budget of one long task (bootstrap, profile, recovery) |
| ``LMM_SESSION_LONG_TASKS`` | 2 | long tasks of one session running at once (more wait their turn) |
| ``LMM_WORKER_RECYCLE_MB`` | 256 | a worker whose peak memory grew more is replaced after its task |
"""

from __future__ import annotations

import os

LANES = ("small", "large")
KINDS = ("fit", "long")

# A design is small when rows x random-effect columns stays under this: such a fit takes milliseconds to a
# few tenths of a second, so it gets workers of its own that a large fit can never occupy.
SMALL_DESIGN_CELLS = 200_000


def _positive(name: str, default: float, integer: bool = False) -> float | int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def workers(lane: str) -> int:
    """How many worker processes serve ``lane``."""
    if lane == "small":
        return _positive("LMM_APP_SMALL_WORKERS", 1, integer=True)
    return _positive("LMM_APP_WORKERS", 2, integer=True)


def budget(kind: str) -> float:
    """The default time budget in seconds of a job of ``kind``."""
    if kind == "fit":
        return _positive("LMM_FIT_BUDGET_SECONDS", 30.0)
    return _positive("LMM_TASK_BUDGET_SECONDS", 120.0)


def long_tasks_per_session() -> int:
    """How many long tasks of one session may run at once."""
    return _positive("LMM_SESSION_LONG_TASKS", 2, integer=True)


def recycle_bytes() -> int:
    """Peak-memory growth of a worker above which it is replaced after its task."""
    return int(_positive("LMM_WORKER_RECYCLE_MB", 256.0) * 2**20)


def lane_for(rows: int, re_columns: int = 1) -> str:
    """The lane of a task on ``rows`` observations with ``re_columns`` random-effect columns per group.

    The cost of one criterion evaluation grows with both, so their product decides.
    """
    return "small" if max(rows, 0) * max(re_columns, 1) <= SMALL_DESIGN_CELLS else "large"


def timeout_message(kind: str, seconds: float) -> str:
    """What the user reads when a job of ``kind`` ran out of its ``seconds``."""
    if kind == "fit":
        return (
            f"The fit did not finish within {seconds:g} s: simplify the model (fewer random slopes, a factor "
            "with fewer levels, or fewer rows)."
        )
    return (
        f"The computation did not finish within {seconds:g} s: ask for less (fewer simulations or "
        "replicates, a simpler model, or fewer rows)."
    )
