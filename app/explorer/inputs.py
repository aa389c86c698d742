"""Validation of the values a panel reads from its inputs.

Any input id can receive any JSON value from a forged WebSocket message (a list, a dict, a huge number, an
unknown name), so a panel passes every value through one of these validators before using it. Each returns
the clean value or raises :class:`InputError`, whose message names the input by the label users see and
says what to change; nothing else is ever raised.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

DEFAULT_MAX_TEXT = 2000
_SHOWN_CHARS = 40
_SHOWN_CHOICES = 8


class InputError(ValueError):
    """An input value a panel cannot use; the message names the input and what to change."""


def _shown(value: object) -> str:
    """A short rendering of a (possibly huge, forged) value for a message."""
    try:
        text = repr(value) if not isinstance(value, str) else value
    except ValueError:  # an int past Python's digit limit for str()
        return "a number too large to show"
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _as_real(value: object, label: str) -> float | int:
    """The value as a Python int or finite float; booleans, containers and text that is no number are
    refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"Enter a value for {label}.")
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise InputError(f"{label} must be a number (got {_shown(value)}).")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InputError(f"{label} must be a number (got {_shown(value)}).") from None
    if isinstance(value, numbers.Integral):
        return int(value)
    real = float(value)
    if not math.isfinite(real):
        raise InputError(f"{label} must be a finite number (got {_shown(value)}).")
    return real


def _bounds_phrase(low, high, open_low: bool, open_high: bool) -> str:
    """'between 2 and 2000', 'greater than 0.5 and less than 0.999', 'at least 0', ..."""
    low_part = None if low is None else (f"greater than {low}" if open_low else f"at least {low}")
    high_part = None if high is None else (f"less than {high}" if open_high else f"at most {high}")
    if low_part and high_part and not (open_low or open_high):
        return f"between {low} and {high}"
    return " and ".join(part for part in (low_part, high_part) if part)


def number(
    value: object,
    label: str,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    open_low: bool = False,
    open_high: bool = False,
) -> float | int:
    """A number within bounds.

    Parameters
    ----------
    value : object
        The raw input value: a number, or text holding one (empty or None means no value).
    label : str
        The input's label, used in messages.
    low, high : float, optional
        Bounds; inclusive unless ``open_low`` / ``open_high``.
    integer : bool
        Require a whole number (``5.0`` is accepted as ``5``); the result is then an ``int``.

    Returns
    -------
    float or int
        The value, as ``int`` when ``integer`` else ``float``.
    """
    real = _as_real(value, label)
    if integer:
        if isinstance(real, float) and not real.is_integer():
            raise InputError(f"{label} must be a whole number (got {_shown(value)}).")
        real = int(real)
    too_low = low is not None and (real <= low if open_low else real < low)
    too_high = high is not None and (real >= high if open_high else real > high)
    if too_low or too_high:
        bounds = _bounds_phrase(low, high, open_low, open_high)
        raise InputError(f"{label} must be {bounds} (got {_shown(value)}).")
    return real if integer else float(real)


def _allowed_names(allowed: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(allowed))


def _unknown(label: str, value: object, names: list[str]) -> InputError:
    listed = ", ".join(names[:_SHOWN_CHOICES]) + (", ..." if len(names) > _SHOWN_CHOICES else "")
    hint = f" Choose one of: {listed}." if names else " There is nothing to choose from yet."
    return InputError(f"Unknown {label}: {_shown(value)}.{hint}")


def choice(value: object, label: str, allowed: Iterable[str]) -> str:
    """One of ``allowed`` (exact match); anything else, a list or dict included, is refused."""
    names = _allowed_names(allowed)
    if not isinstance(value, str):
        raise InputError(f"{label} must be one name (got {_shown(value)}).")
    if value not in names:
        raise _unknown(label, value, names)
    return value


def choices(value: object, label: str, allowed: Iterable[str]) -> tuple[str, ...]:
    """Several of ``allowed``, in the order given, without repeats; no selection (None or empty) is ``()``."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{label} must be a list of names (got {_shown(value)}).")
    names = _allowed_names(allowed)
    known = set(names)
    picked = []
    for item in value:
        if not isinstance(item, str):
            raise InputError(f"{label} must be a list of names (got {_shown(item)} in it).")
        if item not in known:
            raise _unknown(label, item, names)
        picked.append(item)
    return tuple(dict.fromkeys(picked))


def flag(value: object, label: str) -> bool:
    """A checkbox's value: ``True`` or ``False`` only."""
    if not isinstance(value, bool):
        raise InputError(f"{label} must be on or off (got {_shown(value)}).")
    return value


def text(value: object, label: str, max_len: int = DEFAULT_MAX_TEXT) -> str:
    """Text of at most ``max_len`` characters; None is the empty text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{label} must be text (got {_shown(value)}).")
    if len(value) > max_len:
        raise InputError(f"{label} is too long: {len(value)} characters, at most {max_len} are allowed.")
    return value
