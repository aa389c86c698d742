"""lme4's ``print(summary(m))`` as text, formatted from :func:`lmmcore.tables.tables`.

The layout and the number formatting follow lme4 1.1-31 on R 4.2 (``print.summary.merMod`` with
``digits = 4``): R's ``format()`` picks one number of decimals per column so that every entry shows its
significant digits, ``printCoefmat`` rounds estimates and standard errors together, correlations are
rounded to 2 (random effects) or 3 (fixed effects) decimals, names of the fixed-effects correlation are
R's ``abbreviate``.  Only what is printed is computed here; the numbers come from the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lmmcore.tables import QUANTILE_NAMES, tables

if TYPE_CHECKING:
    from lmmcore.result import LmmResult

DIGITS = 4  # lme4: max(3, getOption("digits") - 3)
COR_MAX = 12  # lme4's option lme4.summary.cor.max
LINE_WIDTH = 80  # R's getOption("width")


def summary(m: LmmResult) -> str:
    """The summary text of a fitted model, as lme4 prints it (no ``Data:`` line: the data have no name)."""
    t = tables(m)
    model = t["model"]["value"]
    blocks = [
        _title(model),
        [f"Formula: {model['Formula']}", ""],
        _criterion_lines(model),
        [""],
        _residual_lines(t["scaled_residuals"]),
        _random_effect_lines(t["random_effects"]),
        [_groups_line(model["Number of obs"], t["groups"])],
        _fixed_effect_lines(t["fixed_effects"]),
        _correlation_lines(t["fixed_correlation"]),
        _warning_lines(model, t["messages"]),
    ]
    return "\n".join(line.rstrip() for block in blocks for line in block)


# --- sections ------------------------------------------------------------------------------------------
def _title(model: pd.Series) -> list[str]:
    # lme4's ML title is "... maximum likelihood " (trailing blank), hence two spaces before the class.
    method = "REML" if model["Fit by"] == "REML" else "maximum likelihood "
    return [f"Linear mixed model fit by {method} ['lmerMod']"]


def _criterion_lines(model: pd.Series) -> list[str]:
    if "REML criterion at convergence" in model.index:
        value = _format_real([_round(model["REML criterion at convergence"], 1)], 7)[0]
        return [f"REML criterion at convergence: {value}"]
    names = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
    rounded = [_round(float(model[name]), 1) for name in names]
    cells = _format_real(rounded, 7)
    cells[-1] = _format_real(rounded[-1:], 7)[0]
    return _named_vector_lines(names, cells)


def _residual_lines(scaled: pd.DataFrame) -> list[str]:
    values = scaled.iloc[0][QUANTILE_NAMES].to_numpy(dtype=float)
    cells = _format_real(_zapsmall(values), DIGITS)
    return ["Scaled residuals: ", *_named_vector_lines(QUANTILE_NAMES, cells), ""]


def _random_effect_lines(re_table: pd.DataFrame) -> list[str]:
    corr_cols = [c for c in re_table.columns if c.startswith("Corr")]
    groups = list(re_table["Groups"])
    shown_groups = [g if i == 0 or groups[i - 1] != g else "" for i, g in enumerate(groups)]
    columns = [
        shown_groups,
        list(re_table["Name"]),
        _format_real(re_table["Variance"], DIGITS),
        _format_real(re_table["Std.Dev."], DIGITS),
    ]
    corr_cells = [[""] * len(groups) for _ in corr_cols]
    for rows in _term_row_blocks(groups):
        # R formats each term's correlation matrix on its own: one width, diagonal (1.00) included.
        cells = [(r, j, re_table[c].iloc[r]) for r in rows for j, c in enumerate(corr_cols)]
        cells = [(r, j, float(v)) for r, j, v in cells if v is not None]
        if not cells:
            continue
        texts = _format_real([_round(v, 2) for *_, v in cells] + [1.0], 7, nsmall=2)[:-1]
        for (r, j, _), text in zip(cells, texts):
            corr_cells[j][r] = text
    headers = ["Groups", "Name", "Variance", "Std.Dev."] + ["Corr"] + [""] * (len(corr_cols) - 1)
    headers = headers[: 4 + len(corr_cols)]
    matrix = [list(row) for row in zip(*columns, *corr_cells)]
    return ["Random effects:", *_matrix_lines(matrix, headers, [""] * len(groups), right=False)]


def _groups_line(nobs: int, groups: pd.DataFrame) -> str:
    listing = "; ".join(f"{name}, {levels}" for name, levels in groups["Levels"].items())
    return f"Number of obs: {nobs}, groups:  {listing}"


def _fixed_effect_lines(fixed: pd.DataFrame) -> list[str]:
    if fixed.empty:
        return []
    cells = _coefmat_cells(
        fixed["Estimate"].to_numpy(float),
        fixed["Std. Error"].to_numpy(float),
        fixed["t value"].to_numpy(float),
    )
    return ["", "Fixed effects:", *_matrix_lines(cells, list(fixed.columns), list(fixed.index), right=True)]


def _correlation_lines(corr: pd.DataFrame) -> list[str]:
    p = corr.shape[0]
    if p > COR_MAX:
        return [
            "",
            f"Correlation matrix not shown by default, as p = {p} > {COR_MAX}.",
            "Use m.tables()['fixed_correlation']  or",
            "    m.vcov        if you need it",
        ]
    if p < 2:
        return []
    names = list(corr.index)
    texts = _format_real([_round(v, 3) for v in corr.to_numpy().ravel()], 7, nsmall=3)
    full = np.array(texts, dtype=object).reshape(p, p)
    cells = [[full[i, j] if j < i else "" for j in range(p - 1)] for i in range(1, p)]
    rows, cols = _abbreviate(names, 11)[1:], _abbreviate(names, 6)[:-1]
    return ["", "Correlation of Fixed Effects:", *_matrix_lines(cells, cols, rows, right=False)]


def _warning_lines(model: pd.Series, messages: pd.DataFrame) -> list[str]:
    lines = []
    design_msgs = list(messages.loc[messages["source"] == "design", "message"])
    if design_msgs:
        lines += ["fit warnings:", *design_msgs]
    optimizer_msgs = list(messages.loc[messages["source"] == "optimizer", "message"])
    converged = bool(model["Converged"])
    if optimizer_msgs or not converged:
        code = "0 (OK)" if converged else "1 (failure)"
        lines += [f"optimizer ({model['Optimizer']}) convergence code: {code}", *optimizer_msgs]
    return lines


def _term_row_blocks(groups: Sequence[str]) -> list[list[int]]:
    """Row numbers of each term: runs of equal ``Groups`` labels (labels are unique per term)."""
    blocks: list[list[int]] = []
    for i, g in enumerate(groups):
        if i > 0 and groups[i - 1] == g:
            blocks[-1].append(i)
        else:
            blocks.append([i])
    return blocks


# --- R's number formatting -----------------------------------------------------------------------------
def _round(x: float, digits: float) -> float:
    """R's ``round(x, digits)``: a fractional ``digits`` is itself rounded half up; -0 prints as 0."""
    if not math.isfinite(x):
        return x
    return round(float(x), int(math.floor(digits + 0.5))) + 0.0


def _zapsmall(values: np.ndarray, digits: int = DIGITS + 1) -> list[float]:
    """R 4.2's ``zapsmall``: round to ``digits - log10(max |x|)`` decimals (not ceiled)."""
    finite = np.abs(values[np.isfinite(values)])
    mx = finite.max() if finite.size else 0.0
    decimals = max(0.0, digits - math.log10(mx)) if mx > 0 else digits
    return [_round(v, decimals) for v in values]


def _significant(x: float, digits: int) -> tuple[bool, int, int]:
    """Sign, decimal exponent and number of significant digits (at most ``digits``) of ``x``."""
    if x == 0:
        return False, 0, 1
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    nsig = len(mantissa.replace(".", "").rstrip("0"))
    return x < 0, int(exponent), max(1, nsig)


def _format_real(values: Sequence[float] | pd.Series, digits: int, nsmall: int = 0) -> list[str]:
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


def _coefmat_cells(estimate: np.ndarray, se: np.ndarray, tvalue: np.ndarray) -> list[list[str]]:
    """R's ``printCoefmat`` cells for Estimate, Std. Error (rounded together) and t value."""
    coef_se = np.concatenate([estimate, se])
    magnitudes = np.abs(coef_se[np.isfinite(coef_se) & (coef_se != 0)])
    digmin = 1 + np.floor(np.log10([magnitudes.min(), magnitudes.max()])) if magnitudes.size else [1.0]
    decimals = int(max(1, *(DIGITS - d for d in digmin)))
    cs = _format_real([_round(v, decimals) for v in coef_se], DIGITS)
    shown_zero = [i for i, v in enumerate(coef_se) if math.isfinite(v) and v != 0 and float(cs[i]) == 0]
    if shown_zero:  # a nonzero value rounded to 0 is shown with its own significant digits
        for i, text in zip(shown_zero, _format_real([coef_se[i] for i in shown_zero], DIGITS - 1)):
            cs[i] = text
    dig_tst = max(1, min(5, DIGITS - 1))
    ts = _format_real([_round(v, dig_tst) for v in tvalue], DIGITS)
    p = len(estimate)
    return [[cs[i], cs[p + i], ts[i]] for i in range(p)]


# --- R's printing of vectors and matrices --------------------------------------------------------------
def _named_vector_lines(names: Sequence[str], cells: Sequence[str]) -> list[str]:
    """A named vector as R prints it: names above values, all right-justified to one width."""
    width = max(len(s) for s in [*names, *cells])
    return [" ".join(n.rjust(width) for n in names), " ".join(c.rjust(width) for c in cells)]


def _matrix_lines(
    cells: Sequence[Sequence[str]], colnames: Sequence[str], rownames: Sequence[str], right: bool
) -> list[str]:
    """A character matrix as R's ``print(quote = FALSE)``: row names left, columns wrapped at 80."""
    row_width = max((len(r) for r in rownames), default=0)
    widths = [max([len(colnames[j])] + [len(row[j]) for row in cells]) for j in range(len(colnames))]
    lines: list[str] = []
    start = 0
    while start < len(colnames):
        stop, used = start, row_width
        while stop < len(colnames) and (stop == start or used + 1 + widths[stop] <= LINE_WIDTH):
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


def _abbreviate(names: Sequence[str], minlength: int) -> list[str]:
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
