"""Exceptions raised by lmmcore for bad input; every message says what to change."""

from __future__ import annotations


class LmmError(Exception):
    """Base class of every error lmmcore raises for a user's input."""


class FormulaError(LmmError):
    """A formula that cannot be parsed or does not fit the data.

    Parameters
    ----------
    message : str
        What is wrong and what to change.
    formula : str, optional
        The formula text, shown with a caret under the offending character.
    position : int, optional
        0-based offset of the offending character in ``formula``.
    """

    def __init__(self, message: str, formula: str | None = None, position: int | None = None):
        self.message = message
        self.formula = formula
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        if self.formula is None or self.position is None:
            return self.message
        caret = " " * self.position + "^"
        return f"{self.message}\n  {self.formula}\n  {caret}"


class DataError(LmmError):
    """Data that cannot be used: missing or constant columns, non-numeric response, too few rows."""


class FitError(LmmError):
    """A model that cannot be fitted to these data (as many random effects as observations, ...)."""


class InferenceError(LmmError):
    """A request for intervals, tests or simulation that cannot be honoured (nsim < 1, bad level)."""
