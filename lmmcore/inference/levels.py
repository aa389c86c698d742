"""Confidence levels: validation and R's column labels (``"2.5 %"``, ``"97.5 %"``)."""

from __future__ import annotations

import numbers

from lmmcore.errors import InferenceError


def validate_level(level: object) -> float:
    """A confidence level as a float strictly between 0 and 1, else :class:`InferenceError`.

    Only real numbers are accepted (not text, not booleans), the same for every interval method.
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise InferenceError(f"level must be a number strictly between 0 and 1, such as 0.95; got {level!r}.")
    return float(level)


def interval_columns(level: float) -> list[str]:
    """R's ``format.perc(c(a, 1 - a), 3)`` labels, ``a = (1 - level) / 2``: ``["2.5 %", "97.5 %"]``.

    R formats both numbers with 3 significant digits and a common number of decimals.
    """
    tail = (1 - level) / 2
    percents = [100 * tail, 100 * (1 - tail)]
    decimals = max(_decimals_needed(float(f"{p:.3g}")) for p in percents)
    return [f"{p:.{decimals}f} %" for p in percents]


def _decimals_needed(value: float) -> int:
    for decimals in range(16):
        if abs(round(value, decimals) - value) <= 1e-9 * max(1.0, abs(value)):
            return decimals
    return 15
