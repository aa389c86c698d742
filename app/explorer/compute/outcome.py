"""What a long task's panel shows: the value or the message, always tagged with the request it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskOutcome:
    """The end of one request's task: ``value`` on success, else ``error`` (a message) or ``cancelled``;
    ``seconds`` the task ran."""

    request: Any
    value: Any = None
    error: str | None = None
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled
