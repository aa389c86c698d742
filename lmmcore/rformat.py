"""R's printing of numbers, vectors and matrices, as ``print.summary.merMod`` uses it (R 4.2).

``format(x, digits, nsmall)`` picks one number of decimals per vector so that every entry shows its
significant digits (or switches to E notation when that is narrower), ``printCoefmat`` rounds estimates
and standard errors together, ``abbreviate`` shortens names, and named vectors and character matrices
are laid out as R prints them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

LINE_WIDTH = 80  # R's getOption("width")


# --- R's number formatting -----------------------------------------------------------------------------
def r_round(x: float, digits: float) -> float:
    """R's ``round(x, digits)``: a fractional ``digits`` is itself rounded half up; -0 prints as 0."""
    if not math.isfinite(x):
        return x
    return round(float(x), int(math.floor(digits + 0.5))) + 0.0


def zapsmall(values: np.ndarray, digits: int) -> list[float]:
    """R 4.2's ``zapsmall``: round to ``digits - log10(max |x|)`` decimals (not ceiled)."""
    finite = np.abs(values[np.isfinite(values)])
    mx = finite.max() if finite.size else 0.0
    decimals = max(0.0, digits - math.log10(mx)) if mx > 0 else digits
    return [r_round(v, decimals) for v in values]


def _significant(x: float, digits: int) -> tuple[bool, int, int]:
    """Sign, decimal exponent and number of significant digits (at most ``digits``) of ``x``."""
    if x == 0:
        return False, 0, 1
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    nsig = len(mantissa.replace(".", "").rstrip("0"))
    return x < 0, int(exponent), max(1, nsig)


def format_real(values: Sequence[float] | pd.Series, digits: int, nsmall: int = 0) -> list[str]:
    """R's ``format(x, digits, nsmall)`` of a numeric vector: common decimals (or E notation), one width.

    Fixed notation is used unless it is wider than scientific notation with the same significant digits.
    """
    xs = [float(v) + 0.0 for v in values]
    parts = [(x, _significant(x, digits)) for x in xs if math.isfinite(x)]
    if parts:
        neg = any(sgn for _, (sgn, _, _) in parts)
        lefts = [kp + 1 for _, (_, kp, _) in parts]
        rgt = max(0, max(nsig - (kp + 1) for _, (_, kp, nsig) in parts))
        mxsl = max(sgn + max(left, 1) for (_, (sgn, _, _)), left in zip(parts, lefts))
        if max(lefts) < 0:
            mxsl = 1 + neg
        mxns = max(nsig for _, (_, _, nsig) in parts)
        exp_digits = 2 if max(lefts) > 100 or min(lefts) <= -99 else 1
        fixed_width = mxsl + rgt + (rgt != 0)
        sci_width = neg + (mxns > 1) + (mxns - 1) + 4 + exp_digits
        if fixed_width <= sci_width:
            decimals = max(rgt, nsmall)
            texts = [f"{x:.{decimals}f}" if math.isfinite(x) else _non_finite(x) for x in xs]
        else:
            texts = [f"{x:.{mxns - 1}e}" if math.isfinite(x) else _non_finite(x) for x in xs]
    else:
        texts = [_non_finite(x) for x in xs]
    width = max((len(s) for s in texts), default=0)
    return [s.rjust(width) for s in texts]


def _non_finite(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    return "Inf" if x > 0 else "-Inf"


def coefmat_cells(estimate: np.ndarray, se: np.ndarray, tvalue: np.ndarray, digits: int) -> list[list[str]]:
    """R's ``printCoefmat(digits = digits)`` cells for Estimate, Std. Error (rounded together) and t value."""
    coef_se = np.concatenate([estimate, se])
    magnitudes = np.abs(coef_se[np.isfinite(coef_se) & (coef_se != 0)])
    digmin = 1 + np.floor(np.log10([magnitudes.min(), magnitudes.max()])) if magnitudes.size else [1.0]
    decimals = int(max(1, *(digits - d for d in digmin)))
    cs = format_real([r_round(v, decimals) for v in coef_se], digits)
    shown_zero = [i for i, v in enumerate(coef_se) if math.isfinite(v) and v != 0 and float(cs[i]) == 0]
    if shown_zero:  # a nonzero value rounded to 0 is shown with its own significant digits
        for i, text in zip(shown_zero, format_real([coef_se[i] for i in shown_zero], digits - 1)):
            cs[i] = text
    dig_tst = max(1, min(5, digits - 1))
    ts = format_real([r_round(v, dig_tst) for v in tvalue], digits)
    p = len(estimate)
    return [[cs[i], cs[p + i], ts[i]] for i in range(p)]


# --- R's printing of vectors and matrices --------------------------------------------------------------
def named_vector_lines(names: Sequence[str], cells: Sequence[str]) -> list[str]:
    """A named vector as R prints it: names above values, all right-justified to one width."""
    width = max(len(s) for s in [*names, *cells])
    return [" ".join(n.rjust(width) for n in names), " ".join(c.rjust(width) for c in cells)]


def matrix_lines(
    cells: Sequence[Sequence[str]],
    colnames: Sequence[str],
    rownames: Sequence[str],
    right: bool,
    line_width: int = LINE_WIDTH,
) -> list[str]:
    """A character matrix as R's ``print(quote = FALSE)``: row names left, columns wrapped at
    ``line_width`` (R's ``getOption("width")``)."""
    row_width = max((len(r) for r in rownames), default=0)
    widths = [max([len(colnames[j])] + [len(row[j]) for row in cells]) for j in range(len(colnames))]
    lines: list[str] = []
    start = 0
    while start < len(colnames):
        stop, used = start, row_width
        while stop < len(colnames) and (stop == start or used + 1 + widths[stop] <= line_width):
            used += 1 + widths[stop]
            stop += 1
        cols = range(start, stop)
        lines.append(" " * row_width + "".join(" " + _justify(colnames[j], widths[j], right) for j in cols))
        for name, row in zip(rownames, cells):
            lines.append(
                name.ljust(row_width) + "".join(" " + _justify(row[j], widths[j], right) for j in cols)
            )
        start = stop
    return lines


def _justify(text: str, width: int, right: bool) -> str:
    return text.rjust(width) if right else text.ljust(width)


def abbreviate(names: Sequence[str], minlength: int) -> list[str]:
    """R's ``abbreviate(names, minlength)``: lengthen the clashing abbreviations until all are unique."""
    unique = list(dict.fromkeys(n.strip() for n in names))
    short = list(unique)
    todo = range(len(unique))
    length = minlength
    while True:
        for i in todo:
            short[i] = _strip_chars(unique[i], length)
        todo = [i for i, s in enumerate(short) if short.count(s) > 1]
        if not todo:
            break
        length += 1
    mapping = dict(zip(unique, short))
    return [mapping[n.strip()] for n in names]


def _strip_chars(name: str, minlength: int) -> str:
    """R's abbreviation of one name: from the right, drop lower-case vowels, then lower-case letters
    (word ends first, never a word's first letter), then anything but a word's first character."""
    chars = list(name)
    if len(chars) <= minlength:
        return name

    def first_of_word(i: int) -> bool:
        return chars[i - 1].isspace()

    def last_of_word(i: int) -> bool:
        return not chars[i - 1].isspace() and (i + 1 == len(chars) or chars[i + 1].isspace())

    rules = [
        lambda i: chars[i] in "aeiou" and last_of_word(i),
        lambda i: chars[i] in "aeiou" and not first_of_word(i),
        lambda i: chars[i].islower() and last_of_word(i),
        lambda i: chars[i].islower() and not first_of_word(i),
        lambda i: not first_of_word(i) and not chars[i].isspace(),
    ]
    spaces = sum(c.isspace() for c in chars)
    done = False
    for rule in rules:
        for i in range(len(chars) - 1, 0, -1):
            if rule(i):
                del chars[i]
            if len(chars) - spaces <= minlength:
                done = True
                break
        if done:
            break
    if len(chars) > minlength:  # internal spaces go last, and only when still too long
        chars = chars[:1] + [c for c in chars[1:] if not c.isspace()]
    return "".join(chars)
