"""The intervals of every parameter by every method as one table, with lme4's row names.

Row names are those of lme4's ``confint(m, oldNames = FALSE)`` (``sd_(Intercept)|Site``,
``cor_Temp.(Intercept)|Site``, ``sigma``, then the fixed effects), which lmmcore's ``confint`` gives for
every method; lme4's default ``oldNames = TRUE`` would call the first ones ``.sig01``, ``.sig02``, ...,
``.sigma``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

#: The methods in the order they are drawn and tabulated, with the names users see.
METHOD_LABELS = {
    "wald": "Wald",
    "profile": "Profile likelihood",
    "boot": "Parametric bootstrap",
    "sim": "Posterior simulation",
}
_SUFFIX = re.compile(r"\.\d+\Z")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def variance_names(varcorr: pd.DataFrame, groups) -> list[str]:
    """lme4's ``oldNames = FALSE`` name of each row of ``as.data.frame(VarCorr(m))``.

    A factor's second term is listed as ``Subject.1`` there (``(Days || Subject)``); its parameter
    names carry the factor's own name.
    """
    names = []
    for _, row in varcorr.iterrows():
        group = str(row["grp"])
        if group not in groups and _SUFFIX.sub("", group) in groups:
            group = _SUFFIX.sub("", group)
        if group == "Residual" and _missing(row["var1"]):
            names.append("sigma")
        elif _missing(row["var2"]):
            names.append(f"sd_{row['var1']}|{group}")
        else:
            names.append(f"cor_{row['var2']}.{row['var1']}|{group}")
    return names


def parameter_estimates(result) -> pd.Series:
    """The fit's estimate of every parameter ``confint`` names: SDs, correlations, sigma, fixed effects."""
    varcorr = result.varcorr
    variance = pd.Series(varcorr["sdcor"].to_numpy(float), index=variance_names(varcorr, set(result.ngroups)))
    return pd.concat([variance, result.fixef.astype(float)])


@dataclass(frozen=True)
class IntervalSet:
    """Everything the Intervals panel draws: the estimates, each method's ``confint`` frame (rows of
    ``parameters``), which parameters are fixed effects, and the draws behind the simulation methods."""

    estimates: pd.Series
    intervals: Mapping[str, pd.DataFrame]
    fixed: tuple[str, ...]
    level: float
    nsim: int | None = None

    @property
    def parameters(self) -> list[str]:
        """Every parameter, in ``confint``'s order (variance parameters first)."""
        names: dict[str, None] = {}
        for frame in self.intervals.values():
            names.update(dict.fromkeys(frame.index))
        variance = [n for n in names if n not in self.fixed]
        return variance + [n for n in self.fixed if n in names or n in self.estimates.index]

    def methods(self) -> list[str]:
        return [m for m in METHOD_LABELS if m in self.intervals]


def interval_table(intervals: IntervalSet) -> pd.DataFrame:
    """One row per parameter: the estimate, then lower and upper end of each method (NaN: not given)."""
    rows = intervals.parameters
    table = pd.DataFrame(index=pd.Index(rows, name="parameter"))
    table["estimate"] = intervals.estimates.reindex(rows).to_numpy(float)
    for method in intervals.methods():
        frame = intervals.intervals[method].reindex(rows)
        low, high = frame.columns[:2]
        table[f"{METHOD_LABELS[method]} {low}"] = frame[low].to_numpy(float)
        table[f"{METHOD_LABELS[method]} {high}"] = frame[high].to_numpy(float)
    return table
