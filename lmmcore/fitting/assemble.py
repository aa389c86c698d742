"""The last stage (lme4's ``mkMerMod``): the result at the optimizer's theta, and back to a criterion."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import pandas as pd

from lmmcore.design.types import Design
from lmmcore.result import LmmResult

if TYPE_CHECKING:
    from lmmcore.fitting.criterion import Criterion
    from lmmcore.fitting.optimize import OptimizerReport

_criteria: weakref.WeakKeyDictionary[LmmResult, Criterion] = weakref.WeakKeyDictionary()


def assemble_result(
    design: Design,
    criterion: Criterion,
    report: OptimizerReport,
    data_index: pd.Index | None = None,
) -> LmmResult:
    """Solve once more at the optimum and wrap everything in a frozen, picklable :class:`LmmResult`.

    Parameters
    ----------
    design : Design
    criterion : Criterion
        The criterion the optimizer minimised; its solution's ``reml`` flag is the kind of fit.
    report : OptimizerReport
    data_index : pandas.Index, optional
        Row labels of the data frame (``fitted``, ``resid`` are labelled with the used rows' labels).
    """
    solution = criterion.solve(report.theta)
    result = LmmResult(
        design=design,
        reml=bool(solution.reml),
        solution=solution,
        optimizer=report,
        data_index=data_index,
    )
    _criteria[result] = criterion
    return result


def criterion_for(result: LmmResult) -> Criterion:
    """The criterion of ``result``'s model (same design, same REML flag), for refits and profiles.

    The result does not hold its criterion (criteria may hold closures; results must pickle), so it is
    rebuilt from ``result.design``; the one built at fit time is reused while the result lives.
    """
    cached = _criteria.get(result)
    if cached is None:
        from lmmcore.fitting.criterion import make_criterion

        cached = make_criterion(result.design, result.reml)
        _criteria[result] = cached
    return cached
