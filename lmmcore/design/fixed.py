"""The fixed-effects model matrix X: R's ``model.matrix`` of the fixed part, then lme4's rank check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmmcore.design.columns import Categorical
from lmmcore.design.frame import ModelFrame
from lmmcore.design.modelmatrix import MatrixLayout, build_matrix, check_size, column_names, plan_layout
from lmmcore.design.rank import independent_columns, rank_message
from lmmcore.formula.spec import FormulaSpec


@dataclass(frozen=True)
class FixedPart:
    """X with the dependent columns dropped; ``keep`` indexes the full matrix's columns."""

    X: np.ndarray
    names: tuple[str, ...]
    layout: MatrixLayout
    keep: np.ndarray
    dropped: tuple[str, ...]
    messages: tuple[str, ...]


def fixed_part(spec: FormulaSpec, frame: ModelFrame) -> FixedPart:
    """Build X as R's ``model.matrix`` and drop the columns lme4 drops for rank deficiency."""
    layout = plan_layout(spec.intercept, spec.fixed, lambda e: isinstance(frame.values[e], Categorical))
    levels = {e: v.labels for e, v in frame.values.items() if isinstance(v, Categorical)}
    names = column_names(layout, levels)
    check_size(frame.nobs, names, "fixed-effects matrix")
    X = build_matrix(layout, frame.values, frame.nobs)
    keep = independent_columns(X)
    if keep.shape[0] == X.shape[1]:
        return FixedPart(X, names, layout, keep, (), scale_messages(X))
    dropped = tuple(name for j, name in enumerate(names) if j not in set(keep.tolist()))
    X = np.ascontiguousarray(X[:, keep])
    return FixedPart(
        X, tuple(names[j] for j in keep), layout, keep, dropped, (rank_message(dropped), *scale_messages(X))
    )


def scale_messages(X: np.ndarray, ratio: float = 1e3) -> tuple[str, ...]:
    """lme4's ``checkScaleX`` warning: a non-0/1 column with SD beyond ``[1/ratio, ratio]``, or two such
    columns whose SDs differ by more than ``ratio``."""
    continuous = [j for j in range(X.shape[1]) if not ((X[:, j] == 0) | (X[:, j] == 1)).all()]
    if not continuous or X.shape[0] < 2:
        return ()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_sd = np.log(np.std(X[:, continuous], axis=0, ddof=1))
        spread = np.abs(log_sd[:, None] - log_sd[None, :])
    if max(np.abs(log_sd).max(), spread.max()) > np.log(ratio):
        return ("Some predictor variables are on very different scales: consider rescaling",)
    return ()
