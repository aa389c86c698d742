"""The table of a recovery study: per parameter the truth, the mean estimate, bias, RMSE, interval coverage
and power, as ``lmmcore.RecoveryResult.table`` gives them, formatted for reading."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .summary_tables import format_numbers

COLUMNS = {
    "truth": "Truth",
    "mean": "Mean estimate",
    "bias": "Bias",
    "mcse": "MC SE of mean",
    "rmse": "RMSE",
    "coverage": "Coverage",
    "power": "Power",
}
DIGITS = 4


def recovery_table(result) -> pd.DataFrame:
    """Text cells: estimates to 4 significant digits (R's ``format``), coverage and power as percentages
    of the replicates; empty where a quantity is not defined (coverage and power of variance
    parameters)."""
    table = result.table
    numbers = format_numbers(table[["truth", "mean", "bias", "mcse", "rmse"]].astype(float), DIGITS)
    shown = pd.DataFrame({"Parameter": [str(name) for name in table.index]})
    for key in ("truth", "mean", "bias", "mcse", "rmse"):
        shown[COLUMNS[key]] = numbers[key].to_numpy()
    for key in ("coverage", "power"):
        shown[COLUMNS[key]] = [percent(v) for v in table[key].to_numpy(dtype=float)]
    return shown


def percent(share: float) -> str:
    """A share of replicates as a percentage with one decimal ("94.5 %"), empty when undefined."""
    return f"{100 * share:.1f} %" if np.isfinite(share) else ""


def recovery_counts(result) -> str:
    """One line on what ran: replicates fitted, failed and singular, and the interval level."""
    line = f"{len(result.estimates)} of {result.nrep} replicate data sets fitted"
    if result.failed:
        line += f", {result.failed} failed (left out)"
    if result.singular:
        line += f", {result.singular} singular (on the boundary)"
    level = 100 * result.level
    return (
        f"{line}. Coverage: share of {level:g} % Wald intervals holding the truth; power: share rejecting "
        f"0 at the {100 - level:g} % level; seed {result.seed}."
    )
