"""The CSV downloads of a fit: pure builders from a result (and the intervals computed in the session) to
data frames, and the file names they are offered under.

Column names follow lme4/lmerTest where they have one (``Estimate``, ``Std. Error``, ``df``, ``t value``,
``Pr(>|t|)``; ``grp, var1, var2, vcov, sdcor`` as ``as.data.frame(VarCorr(m))``; ``grp, term, grpvar``,
``condval``, ``condsd`` as ``as.data.frame(ranef(m, condVar = TRUE))``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

LMERTEST_COLUMNS = {"estimate": "Estimate", "se": "Std. Error", "df": "df", "t": "t value", "p": "Pr(>|t|)"}
METHOD_NAMES = {"wald": "Wald", "profile": "profile", "boot": "bootstrap", "sim": "posterior sim"}


def safe_filename(text: str, limit: int = 150) -> str:
    """``text`` with every character a file system may refuse (spaces, ``| / \\ : * ? " < >``) as ``_``."""
    cleaned = re.sub(r"[^A-Za-z0-9~+()._,=^-]+", "_", text)
    return re.sub(r"_+", "_", cleaned).strip("_")[:limit] or "download"


def fixed_effects_table(result, intervals: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Estimates, standard errors, lmerTest's Satterthwaite df, t and p, and every computed interval.

    ``intervals``: method (``wald``, ``profile``, ``boot``, ``sim``) -> ``confint``'s frame (rows lme4's
    parameter names, two columns lower and upper); each adds ``<method> lower`` and ``<method> upper``.
    Wald's is computed here when not given (it needs nothing but the fit).
    """
    table = result.satterthwaite().rename(columns=LMERTEST_COLUMNS)
    names = list(table.index)
    given = dict(intervals or {})
    given.setdefault("wald", result.confint("wald"))
    for method, frame in given.items():
        label = METHOD_NAMES.get(method, method)
        rows = frame.reindex(names)
        table[f"{label} lower"] = rows.iloc[:, 0].to_numpy()
        table[f"{label} upper"] = rows.iloc[:, 1].to_numpy()
    table.index.name = "term"
    return table.reset_index()


def variance_parameter_intervals(result, intervals: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Intervals of the SDs, correlations and sigma (rows of ``confint`` that are not fixed effects)."""
    fixed = set(result.fixef.index)
    columns = {}
    for method, frame in intervals.items():
        rows = frame.loc[[name for name in frame.index if name not in fixed]]
        label = METHOD_NAMES.get(method, method)
        columns[f"{label} lower"] = rows.iloc[:, 0]
        columns[f"{label} upper"] = rows.iloc[:, 1]
    table = pd.DataFrame(columns)
    table.index.name = "parameter"
    return table.reset_index()


def random_effects_table(result) -> pd.DataFrame:
    """Every group's conditional mode and conditional SD per term, long, as lme4's
    ``as.data.frame(ranef(m, condVar = TRUE))``."""
    parts = []
    for group, modes in result.ranef.items():
        sds = result.ranef_sd[group]
        for term in modes.columns:
            parts.append(
                pd.DataFrame(
                    {
                        "grpvar": group,
                        "term": term,
                        "grp": modes.index.astype(str),
                        "condval": modes[term].to_numpy(),
                        "condsd": sds[term].to_numpy(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def variance_components_table(result) -> pd.DataFrame:
    """``as.data.frame(VarCorr(m))``: variances/covariances and SDs/correlations."""
    return result.varcorr.copy()


def bootstrap_draws_table(boot) -> pd.DataFrame:
    """One row per successful parametric-bootstrap refit, columns lme4's parameter names."""
    draws = boot.draws.copy()
    draws.index.name = "replicate"
    return draws.reset_index()


def data_as_fitted(result, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the model used (as in the data, with their row number), fitted values and residuals."""
    rows = np.arange(len(frame)) if result.design.rows is None else np.asarray(result.design.rows)
    used = frame.iloc[rows].reset_index(drop=True)
    used.insert(0, "row", rows + 1)  # R's row numbers
    used["fitted"] = np.asarray(result.fitted)
    used["residual"] = np.asarray(result.resid)
    return used


def csv_text(frame: pd.DataFrame) -> str:
    """CSV as R's write.csv reads back: no index, ``NA`` for missing, full precision."""
    return frame.to_csv(index=False, na_rep="NA", float_format="%.17g")
