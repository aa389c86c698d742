"""What the figure and table builders need from a fitted model, extracted once through lmmcore's public
result API (an ``LmmResult`` from a worker) and the data it was fitted to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class FitData:
    """Row-aligned arrays of the used rows plus the random effects."""

    fitted: np.ndarray
    pearson: np.ndarray
    observed: np.ndarray
    response_name: str
    groups: dict[str, np.ndarray]
    ranef: dict[str, pd.DataFrame]
    ranef_sd: dict[str, pd.DataFrame]
    rows: np.ndarray

    @cached_property
    def point_labels(self) -> np.ndarray:
        """What a point's hover names: its data row and its level of each grouping factor
        (``row 12 · Subject 308``)."""
        labels = pd.Series([f"row {row}" for row in self.rows], dtype=object)
        for group, levels in self.groups.items():
            labels = labels + f" · {group} " + pd.Series(levels, dtype=object).astype(str)
        return labels.to_numpy()


def group_labels(data: pd.DataFrame, rows: pd.Index, group: str) -> np.ndarray:
    """Labels of a grouping factor on the used rows; ``cask:batch`` joins the columns as lme4 does."""
    parts = [data.loc[rows, name].astype(str) for name in group.split(":") if name in data.columns]
    if not parts:
        return np.full(len(rows), group)
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + ":" + part
    return joined.to_numpy()


def fit_data(result, data: pd.DataFrame) -> FitData:
    """Residuals are Pearson residuals ``(y - fitted) / sigma``; observed = fitted + residual, which is the
    response as the model saw it (after ``log()`` or dropped rows)."""
    resid = result.resid
    fitted = result.fitted.reindex(resid.index).to_numpy(float)
    rows = resid.index
    return FitData(
        fitted=fitted,
        pearson=resid.to_numpy(float) / float(result.sigma),
        observed=fitted + resid.to_numpy(float),
        response_name=str(result.design.response_name),
        groups={g: group_labels(data, rows, g) for g in result.ranef},
        ranef=dict(result.ranef),
        ranef_sd=dict(result.ranef_sd),
        rows=rows.to_numpy(),
    )
