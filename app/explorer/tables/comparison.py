"""Pinned models and their likelihood-ratio comparison (lme4's ``anova(m0, m1, ...)``).

A pinned model remembers its fit, the formula, the criterion and the data it was fitted to (by the data's
key), under the user's name or its formula. Only fits of the same data can be compared; the comparison
table is lme4's printed ``anova`` with the rows labelled by those names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import lmmcore.rformat as rformat

from .summary_tables import format_numbers, pvalue_cells, statistic_cells

MAX_PINNED = 12
ANOVA_DIGITS = 5  # print.anova: max(getOption("digits") - 2, 3)


@dataclass(frozen=True)
class PinnedModel:
    """A fitted model kept by the user for comparison.

    Attributes
    ----------
    pin : int
        Its number in this session (stable: the comparison's selection refers to it).
    name : str
        The user's name, or the formula when none was given.
    formula, reml, data_key, data_label
        What was fitted, by which criterion, to which data.
    result : LmmResult
        The fit (kept for the refits of the comparison).
    """

    pin: int
    name: str
    formula: str
    reml: bool
    data_key: tuple
    data_label: str
    result: Any = field(compare=False, repr=False)

    @property
    def method(self) -> str:
        return "REML" if self.reml else "ML"


def pin_model(pinned: tuple, name: str, formula: str, reml: bool, data_key, data_label, result) -> tuple:
    """``pinned`` with the model added at the end under ``name`` (the formula when empty, numbered when
    the label is taken); the oldest is dropped beyond :data:`MAX_PINNED`."""
    label = unique_label(name.strip() or formula, {p.name for p in pinned})
    number = max((p.pin for p in pinned), default=0) + 1
    key = tuple(data_key)
    added = PinnedModel(number, label, formula, bool(reml), key, data_name(key, data_label), result)
    return (*pinned, added)[-MAX_PINNED:]


def data_name(data_key: tuple, label: str) -> str:
    """A short name of the data a model was fitted to: the example's name, the uploaded file's name, or
    the simulation's seed (the key says which); the data's label otherwise."""
    kind = data_key[0] if data_key else None
    if kind == "example":
        return str(data_key[1])
    if kind == "upload":
        return f"upload {data_key[1]}"
    if kind == "simulate":
        seed = dict(data_key[1:]).get("seed")
        return f"simulated biomass, seed {seed}"
    return label


def unique_label(label: str, taken: set[str]) -> str:
    """``label``, or ``label (2)``, ``label (3)``... when it is taken: rows need distinct labels."""
    candidate, k = label, 1
    while candidate in taken:
        k += 1
        candidate = f"{label} ({k})"
    return candidate


def pinned_table(pinned: tuple, current_key) -> pd.DataFrame:
    """One row per pinned model: number, name, formula, method, data, observations, logLik of its own
    criterion, and whether it was fitted to the data in use."""
    rows = [
        {
            "#": p.pin,
            "Name": p.name,
            "Formula": p.formula,
            "Method": p.method,
            "Data": p.data_label if p.data_key == tuple(current_key) else f"{p.data_label} (other data)",
            "Observations": int(p.result.nobs),
            "logLik": f"{float(p.result.loglik):.2f}",
        }
        for p in pinned
    ]
    return pd.DataFrame(rows, columns=["#", "Name", "Formula", "Method", "Data", "Observations", "logLik"])


def comparability(selected: list[PinnedModel]) -> str | None:
    """Why the selected models cannot be compared, or None when they can."""
    if len(selected) < 2:
        return "Select two or more pinned models of the same data to compare them."
    first = selected[0]
    others = [p for p in selected[1:] if p.data_key != first.data_key]
    if others:
        names = ", ".join(f"'{p.name}' ({p.data_label})" for p in others)
        return (
            f"{names} and '{first.name}' ({first.data_label}) were fitted to different data: a "
            "likelihood-ratio test compares fits of the same data. Select models pinned on one data set."
        )
    return None


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """lme4's printed ``anova`` cells (R's ``print.anova``, 5 digits): AIC, BIC, logLik and deviance zapped
    (R 4.2's ``zapsmall``) then formatted as a column, Chisq rounded to 4 decimals, Df and npar as integers,
    Pr(>Chisq) by ``format.pval`` with the significance codes; empty cells where the first row has no
    test."""
    shown = pd.DataFrame({"Model": [str(label) for label in table.index]})
    shown["npar"] = [str(int(v)) for v in table["npar"]]
    zapped = {
        name: rformat.zapsmall(table[name].to_numpy(dtype=float), ANOVA_DIGITS)
        for name in ("AIC", "BIC", "logLik", "deviance")
    }
    numbers = format_numbers(pd.DataFrame(zapped, dtype=float), ANOVA_DIGITS)
    for name in ("AIC", "BIC", "logLik", "deviance"):
        shown[name] = numbers[name].to_numpy()
    shown["Chisq"] = statistic_cells(table["Chisq"].to_numpy(dtype=float), ANOVA_DIGITS)
    shown["Df"] = ["" if not np.isfinite(v) else str(int(v)) for v in table["Df"].to_numpy(dtype=float)]
    dig_tst = max(1, min(5, ANOVA_DIGITS - 1))
    shown["Pr(>Chisq)"] = pvalue_cells(table["Pr(>Chisq)"].to_numpy(dtype=float), dig_tst)
    return shown
