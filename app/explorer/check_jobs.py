"""The Model check panel's worker jobs, picklable module-level functions run by the compute layer.

``check_job`` computes everything drawn from one fit and its simulations (posterior predictive densities,
smoothers, QQ bands, VIF, R², ICC); ``influence_job`` refits the model once per level of a grouping factor
(Cook's distances), reporting progress after each refit. Anything the engine cannot compute for this model
comes back as a :class:`CheckFailure` message, never as a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import lmmcore

from .figures.check_data import CheckData, check_data

Progress = Callable[[int, int], object]

#: Deleting groups one at a time costs one refit each; beyond this many levels the panel does not start.
MAX_INFLUENCE_LEVELS = 1000

_ENGINE_FAILURES = (lmmcore.LmmError, ArithmeticError, ValueError, IndexError, np.linalg.LinAlgError)


@dataclass(frozen=True)
class CheckFailure:
    """What a check could not compute, in words for the panel."""

    message: str


def _failure(what: str, err: Exception) -> CheckFailure:
    detail = str(err) if isinstance(err, lmmcore.LmmError) else f"{type(err).__name__}: {err}"
    return CheckFailure(f"{what} could not be computed for this model ({detail}).")


def check_job(model, seed: int, progress: Progress | None = None) -> CheckData | CheckFailure | None:
    """The panel's figures' numbers for ``model`` (an ``LmmResult``), simulations drawn with ``seed``."""
    if progress is not None and progress(0, 1) is False:
        return None
    try:
        data = check_data(model, seed)
    except _ENGINE_FAILURES as err:
        return _failure("The model check", err)
    if progress is not None:
        progress(1, 1)
    return data


def too_many_levels(model, group: str) -> str | None:
    """Why the influence of ``group`` is not computed (too many refits), or None."""
    levels = model.ngroups.get(group, 0)
    if levels <= MAX_INFLUENCE_LEVELS:
        return None
    return (
        f"Influence needs one refit per level: {group} has {levels} levels (at most "
        f"{MAX_INFLUENCE_LEVELS}). Choose a grouping factor with fewer levels."
    )


def influence_job(
    model, group: str, progress: Progress | None = None
) -> lmmcore.Influence | CheckFailure | None:
    """Cook's distances of deleting each level of ``group`` (one refit per level)."""
    refused = too_many_levels(model, group)
    if refused is not None:
        return CheckFailure(refused)
    try:
        return model.influence(group, progress=progress)
    except lmmcore.Cancelled:
        return None
    except _ENGINE_FAILURES as err:
        return _failure(f"The influence of {group}", err)
