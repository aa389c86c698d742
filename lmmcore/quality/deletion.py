"""The fixed effects of a model refitted without some of its observations, many deletions at once.

Each deletion restricts the design's rows (:mod:`lmmcore.design.subset`) and refits with the same criterion
(REML or ML) from the full fit's theta.  One-term models whose restricted designs have equal shapes (every
deletion of a balanced design) are fitted together by the batched Newton method of
:mod:`lmmcore.inference.batchfit`; the others, and any batched fit that did not converge, by the ordinary
optimizer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lmmcore.design.subset import Subset, keep_rows
from lmmcore.errors import LmmError
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import optimize_theta
from lmmcore.inference.batch_criterion import shape_key
from lmmcore.inference.batchfit import batchable, fit_designs

#: What one refit can raise besides lmmcore's own errors (a numerically degenerate restricted design).
REFIT_FAILURES = (LmmError, np.linalg.LinAlgError, ArithmeticError)


@dataclass(frozen=True)
class Refit:
    """The fixed effects of one restricted fit, or the reason it could not be made."""

    beta: np.ndarray | None
    converged: bool
    error: str | None = None


def refit_deletions(m, keeps: list[np.ndarray], done: Callable[[int], None] | None = None) -> list[Refit]:
    """Refit ``m`` on each mask of ``keeps`` (bool per observation); ``done(count)`` after each batch."""
    refits: list[Refit | None] = [None] * len(keeps)
    subsets: dict[int, Subset] = {}
    for i, keep in enumerate(keeps):
        try:
            subsets[i] = keep_rows(m.design, keep)
        except REFIT_FAILURES as err:
            refits[i] = Refit(None, False, str(err))
    finished = len(keeps) - len(subsets)
    for batch in _batches(m, subsets):
        for i, refit in zip(batch, _fit_batch(m, [subsets[i] for i in batch])):
            refits[i] = refit
        finished += len(batch)
        if done is not None:
            done(finished)
    return refits


def _batches(m, subsets: dict[int, Subset]) -> list[list[int]]:
    """Deletions fitted together: equal shapes of a one-term model; else one at a time."""
    if not batchable(m.design):
        return [[i] for i in subsets]
    by_shape: dict[tuple, list[int]] = defaultdict(list)
    for i, subset in subsets.items():
        by_shape[shape_key(subset.design)].append(i)
    return list(by_shape.values())


def _fit_batch(m, subsets: list[Subset]) -> list[Refit]:
    if len(subsets) == 1 or not batchable(m.design):
        return [_fit_one(m, subset) for subset in subsets]
    try:
        fits = fit_designs([s.design for s in subsets], m.reml, m.solution.theta)
    except REFIT_FAILURES:
        return [_fit_one(m, subset) for subset in subsets]
    return [
        Refit(fits.beta[j], True) if fits.converged[j] else _fit_one(m, subset)
        for j, subset in enumerate(subsets)
    ]


def _fit_one(m, subset: Subset) -> Refit:
    try:
        criterion = make_criterion(subset.design, m.reml)
        start = subset.theta_from_full(m.solution.theta, m.design)
        report = optimize_theta(criterion, theta0=start, check_derivatives=False)
        return Refit(criterion.solve(report.theta).beta, bool(report.converged))
    except REFIT_FAILURES as err:
        return Refit(None, False, str(err))
