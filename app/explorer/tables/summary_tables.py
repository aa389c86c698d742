"""The content of lme4's ``summary()`` as tables, and the warnings placed next to the numbers they concern.

Fixed effects: estimate, standard error and t = estimate / SE. Random effects: variance, standard
deviation and the correlations within each grouping factor (lme4's ``VarCorr`` layout). Model info: n,
groups, REML criterion (REML fits) or deviance (ML fits), log-likelihood, AIC, BIC.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def fixed_effects(result) -> pd.DataFrame:
    """One row per coefficient: Estimate, Std. Error, t value."""
    estimate = result.fixef.astype(float)
    se = result.se.reindex(estimate.index).astype(float)
    return pd.DataFrame(
        {"term": estimate.index.astype(str), "Estimate": estimate.to_numpy(), "Std. Error": se.to_numpy()}
    ).assign(**{"t value": lambda t: t["Estimate"] / t["Std. Error"]})


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def random_effects(result) -> pd.DataFrame:
    """lme4's VarCorr table: Groups, Name, Variance, Std.Dev., Corr (with the earlier terms of the group)."""
    varcorr = result.varcorr
    single = varcorr[varcorr["var2"].map(_is_missing)]
    pairs = varcorr[~varcorr["var2"].map(_is_missing)]
    rows = []
    for _, row in single.iterrows():
        group, name = str(row["grp"]), "" if _is_missing(row["var1"]) else str(row["var1"])
        earlier = [r["var1"] for r in rows if r["Groups"] == group]
        corr = []
        for other in earlier:
            match = pairs[
                (pairs["grp"] == group)
                & (
                    ((pairs["var1"] == other) & (pairs["var2"] == name))
                    | ((pairs["var1"] == name) & (pairs["var2"] == other))
                )
            ]
            corr.append(f"{float(match['sdcor'].iloc[0]):.2f}" if len(match) else "")
        rows.append(
            {
                "Groups": group,
                "var1": name,
                "Variance": float(row["vcov"]),
                "Std.Dev.": float(row["sdcor"]),
                "Corr": " ".join(corr),
            }
        )
    table = pd.DataFrame(rows, columns=["Groups", "var1", "Variance", "Std.Dev.", "Corr"])
    return table.rename(columns={"var1": "Name"})


def model_info(result, reml: bool) -> pd.DataFrame:
    """Quantity / value pairs: observations, groups, criterion, logLik, AIC, BIC."""
    rows = [("Observations", f"{int(result.nobs)}")]
    rows += [(f"Groups: {g}", f"{int(n)}") for g, n in result.ngroups.items()]
    label = "REML criterion at convergence" if reml else "Deviance"
    rows += [
        (label, f"{float(result.criterion):.4f}"),
        ("logLik", f"{float(result.loglik):.4f}"),
        ("AIC", f"{float(result.aic):.4f}"),
        ("BIC", f"{float(result.bic):.4f}"),
    ]
    return pd.DataFrame(rows, columns=["Quantity", "Value"])


def summary_warnings(result, n_data_rows: int) -> dict[str, list[str]]:
    """Warnings keyed by the table they concern, derived from the result's numbers: ``model``
    (convergence, dropped rows) and ``random`` (singular fit); ``notes`` are the engine's own messages,
    shown as they are (they include informational lines such as the optimizer's return code)."""
    model, random = [], []
    dropped = int(n_data_rows) - int(result.nobs)
    if dropped > 0:
        model.append(f"{dropped} of {n_data_rows} rows were dropped (missing values in the model's columns).")
    if not bool(result.converged):
        model.append("The optimizer did not converge: the numbers may be unreliable; simplify the model.")
    if bool(result.singular):
        random.append(
            "Singular fit: a variance is estimated as 0 or a correlation as +/-1; the random-effects "
            "structure is too rich for these data (drop a slope or a correlation)."
        )
    return {"model": model, "random": random, "notes": [str(m) for m in result.messages]}


def format_numbers(table: pd.DataFrame, digits: int = 5) -> pd.DataFrame:
    """Numbers as text with ``digits`` significant digits (what the browser shows; copy keeps it)."""

    def show(value):
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else f"{value:.{digits}g}"
        return value

    return table.map(show)
