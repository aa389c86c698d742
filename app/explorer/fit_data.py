"""What the figure and table builders need from a fitted model, extracted once through lmmcore's public
result API (an ``LmmResult`` from a worker) and the data it was fitted to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .figures.large_data import WEBGL_LIMIT


@dataclass(frozen=True)
class FitData:
    """Row-aligned arrays of the used rows plus the random effects."""

    fitted: np.ndarray
    pearson: np.ndarray
    observed: np.ndarray
    response_name: str
    groups: dict[str, pd.Categorical]
    ranef: dict[str, pd.DataFrame]
    ranef_sd: dict[str, pd.DataFrame]
    rows: np.ndarray

    @cached_property
    def point_labels(self) -> np.ndarray:
        """What a point's hover names: its data row and its level of each grouping factor
        (``row 12 · Subject 308``)."""
        labels = "row " + pd.Series(self.rows).astype(str)
        for group, levels in self.groups.items():
            # One string per level, then taken per row: a million rows format only the levels.
            named = (f" · {group} " + pd.Index(levels.categories).astype(str)).to_numpy(dtype=object)
            labels = labels + named[levels.codes]
        return labels.to_numpy(dtype=object)

    @property
    def drawn_labels(self) -> np.ndarray | None:
        """The point labels when the scatters draw points one by one; None when they are binned (beyond
        WEBGL_LIMIT rows), so a large fit never formats a label per row."""
        return self.point_labels if len(self.rows) <= WEBGL_LIMIT else None


def _group_levels(result) -> dict[str, pd.Categorical]:
    """Each grouping factor's level of every used row, from the fit's own random-effects terms (their level
    codes are row-aligned with the residuals: no per-row string work, which took 0.2 s at 10^6 rows)."""
    levels = {}
    for block in result.design.reterms:
        if block.group not in levels:
            levels[block.group] = pd.Categorical.from_codes(block.refs, categories=pd.Index(block.levels))
    return {group: levels[group] for group in result.ranef}


def fit_data(result, data: pd.DataFrame) -> FitData:
    """Residuals are Pearson residuals ``(y - fitted) / sigma``; observed = fitted + residual, which is the
    response as the model saw it (after ``log()`` or dropped rows). The groups come from the fit itself;
    ``data`` (the fitted frame) is kept in the signature the panels and the report call."""
    resid = result.resid
    fitted = result.fitted.reindex(resid.index).to_numpy(float)
    return FitData(
        fitted=fitted,
        pearson=resid.to_numpy(float) / float(result.sigma),
        observed=fitted + resid.to_numpy(float),
        response_name=str(result.design.response_name),
        groups=_group_levels(result),
        ranef=dict(result.ranef),
        ranef_sd=dict(result.ranef_sd),
        rows=resid.index.to_numpy(),
    )
