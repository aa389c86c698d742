"""lme4's ``print(summary(m))`` as text, formatted from :func:`lmmcore.tables.tables`.

The layout follows lme4 1.1-31 on R 4.2 (``print.summary.merMod`` with ``digits = 4``), with R's
number formatting from :mod:`lmmcore.rformat`: correlations are rounded to 2 (random effects) or 3
(fixed effects) decimals, names of the fixed-effects correlation are R's ``abbreviate``.  Only what is
printed is computed here; the numbers come from the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lmmcore.rformat import (
    abbreviate,
    coefmat_cells,
    format_real,
    matrix_lines,
    named_vector_lines,
    r_round,
    zapsmall,
)
from lmmcore.tables import QUANTILE_NAMES, tables

if TYPE_CHECKING:
    from lmmcore.result import LmmResult

DIGITS = 4  # lme4: max(3, getOption("digits") - 3)
COR_MAX = 12  # lme4's option lme4.summary.cor.max


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
        value = format_real([r_round(model["REML criterion at convergence"], 1)], 7)[0]
        return [f"REML criterion at convergence: {value}"]
    names = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
    rounded = [r_round(float(model[name]), 1) for name in names]
    cells = format_real(rounded, 7)
    cells[-1] = format_real(rounded[-1:], 7)[0]
    return named_vector_lines(names, cells)


def _residual_lines(scaled: pd.DataFrame) -> list[str]:
    values = scaled.iloc[0][QUANTILE_NAMES].to_numpy(dtype=float)
    cells = format_real(zapsmall(values, DIGITS + 1), DIGITS)
    return ["Scaled residuals: ", *named_vector_lines(QUANTILE_NAMES, cells), ""]


def _random_effect_lines(re_table: pd.DataFrame) -> list[str]:
    corr_cols = [c for c in re_table.columns if c.startswith("Corr")]
    groups = list(re_table["Groups"])
    shown_groups = [g if i == 0 or groups[i - 1] != g else "" for i, g in enumerate(groups)]
    columns = [
        shown_groups,
        list(re_table["Name"]),
        format_real(re_table["Variance"], DIGITS),
        format_real(re_table["Std.Dev."], DIGITS),
    ]
    corr_cells = [[""] * len(groups) for _ in corr_cols]
    for rows in _term_row_blocks(groups):
        # R formats each term's correlation matrix on its own: one width, diagonal (1.00) included.
        cells = [(r, j, re_table[c].iloc[r]) for r in rows for j, c in enumerate(corr_cols)]
        cells = [(r, j, float(v)) for r, j, v in cells if v is not None]
        if not cells:
            continue
        texts = format_real([r_round(v, 2) for *_, v in cells] + [1.0], 7, nsmall=2)[:-1]
        for (r, j, _), text in zip(cells, texts):
            corr_cells[j][r] = text
    headers = ["Groups", "Name", "Variance", "Std.Dev."] + ["Corr"] + [""] * (len(corr_cols) - 1)
    headers = headers[: 4 + len(corr_cols)]
    matrix = [list(row) for row in zip(*columns, *corr_cells)]
    return ["Random effects:", *matrix_lines(matrix, headers, [""] * len(groups), right=False)]


def _groups_line(nobs: int, groups: pd.DataFrame) -> str:
    listing = "; ".join(f"{name}, {levels}" for name, levels in groups["Levels"].items())
    return f"Number of obs: {nobs}, groups:  {listing}"


def _fixed_effect_lines(fixed: pd.DataFrame) -> list[str]:
    if fixed.empty:
        return []
    cells = coefmat_cells(
        fixed["Estimate"].to_numpy(float),
        fixed["Std. Error"].to_numpy(float),
        fixed["t value"].to_numpy(float),
        DIGITS,
    )
    return ["", "Fixed effects:", *matrix_lines(cells, list(fixed.columns), list(fixed.index), right=True)]


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
    texts = format_real([r_round(v, 3) for v in corr.to_numpy().ravel()], 7, nsmall=3)
    full = np.array(texts, dtype=object).reshape(p, p)
    cells = [[full[i, j] if j < i else "" for j in range(p - 1)] for i in range(1, p)]
    rows, cols = abbreviate(names, 11)[1:], abbreviate(names, 6)[:-1]
    return ["", "Correlation of Fixed Effects:", *matrix_lines(cells, cols, rows, right=False)]


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
