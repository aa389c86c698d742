"""What awaiting a job can raise besides the task's own value: each message is shown to the user as is."""

from __future__ import annotations


class TaskError(Exception):
    """A job ended without a value; ``str(err)`` is a message for the user."""


class TaskCancelled(TaskError):
    """The job was cancelled (by the user, by a newer request of the same session, or at session end)."""


class TaskTimeout(TaskError):
    """The job ran past its time budget; the message says what to simplify."""


class TaskFailed(TaskError):
    """The worker crashed twice on this job, or the task raised an unexpected error."""
