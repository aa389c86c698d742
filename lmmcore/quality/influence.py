"""Group-deletion influence, as lme4's ``influence(m, groups = g)`` and ``cooks.distance()`` of it.

For each level of the grouping factor the model is refitted without that level's observations (same
criterion, REML or ML; the design's rows are reused, not rebuilt, and the search starts at the full fit's
theta, as lme4's ``start = getME(m, "theta")``).  Cook's distance of deleting group ``i`` compares the
refitted fixed effects with the full fit's on the full fit's covariance ``V``:

.. math::
    D_i = \\frac{G - p}{G p} (\\hat\\beta_{(-i)} - \\hat\\beta)' V^{-1} (\\hat\\beta_{(-i)} - \\hat\\beta),

with ``G`` the number of groups and ``p`` the number of fixed effects (lme4's
``cooks.distance.influence.merMod``).  Groups come in lme4's order: first appearance in the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.design.subset import keep_rows
from lmmcore.errors import InferenceError, LmmError
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import optimize_theta
from lmmcore.inference.executors import Cancelled


@dataclass(frozen=True)
class Influence:
    """Fixed effects refitted without each group, and Cook's distances.

    Attributes
    ----------
    group : str
        The grouping factor whose levels were deleted one at a time.
    fixef : Series
        The full fit's fixed effects.
    fixef_deleted : DataFrame
        One row per level (first appearance in the data): the fixed effects refitted without it; NaN
        where the refit was impossible (see ``messages``).
    cooks : Series
        Cook's distance of each level (NaN where the refit was impossible).
    converged : Series
        Whether each refit met the optimizer's convergence criteria.
    messages : tuple of str
        Why some refits were impossible (a level whose deletion leaves a fixed effect inestimable, ...).
    """

    group: str
    fixef: pd.Series
    fixef_deleted: pd.DataFrame
    cooks: pd.Series
    converged: pd.Series
    messages: tuple[str, ...]

    @property
    def dfbeta(self) -> pd.DataFrame:
        """Change of each fixed effect when a group is deleted (lme4's ``dfbeta``)."""
        return self.fixef_deleted - self.fixef


def influence(m, group: str, progress=None) -> Influence:
    """Refit ``m`` without each level of ``group`` and compute Cook's distances (see the module docstring).

    Parameters
    ----------
    m : LmmResult
    group : str
        A grouping factor of the model (a key of ``m.ngroups``).
    progress : callable, optional
        ``progress(done, total) -> bool`` after each refit; returning False stops with
        :class:`~lmmcore.inference.executors.Cancelled`.
    """
    term = _grouping_term(m, group)
    codes = _first_appearance(term.refs)
    names = list(m.design.fixed_names)
    deleted = np.full((len(codes), len(names)), np.nan)
    converged = np.zeros(len(codes), dtype=bool)
    messages = []
    for row, code in enumerate(codes):
        try:
            deleted[row], converged[row] = _refit_without(m, term.refs != code)
        except (LmmError, np.linalg.LinAlgError, ArithmeticError) as err:
            messages.append(f"{group} {term.levels[code]}: {err}")
        _report(progress, row + 1, len(codes))
    levels = pd.Index([term.levels[c] for c in codes], name=group)
    fixef = m.fixef
    frame = pd.DataFrame(deleted, index=levels, columns=names)
    cooks = _cooks_distances(frame.to_numpy() - fixef.to_numpy(), m.vcov.to_numpy())
    return Influence(
        group=group,
        fixef=fixef,
        fixef_deleted=frame,
        cooks=pd.Series(cooks, index=levels, name="cooks"),
        converged=pd.Series(converged, index=levels, name="converged"),
        messages=tuple(messages),
    )


def _grouping_term(m, group: str):
    for term in m.design.reterms:
        if term.group == group:
            return term
    known = ", ".join(repr(g) for g in m.ngroups)
    raise InferenceError(f"{group!r} is not a grouping factor of this model; choose one of {known}")


def _first_appearance(refs: np.ndarray) -> np.ndarray:
    codes, first = np.unique(refs, return_index=True)
    return codes[np.argsort(first)]


def _refit_without(m, keep: np.ndarray) -> tuple[np.ndarray, bool]:
    subset = keep_rows(m.design, keep)
    criterion = make_criterion(subset.design, m.reml)
    start = subset.theta_from_full(m.solution.theta, m.design)
    report = optimize_theta(criterion, theta0=start, check_derivatives=False)
    return criterion.solve(report.theta).beta, report.converged


def _cooks_distances(dfbeta: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    n, p = dfbeta.shape
    weight = (n - p) / (n * p)
    return weight * np.einsum("ij,ij->i", dfbeta, np.linalg.solve(vcov, dfbeta.T).T)


def _report(progress, done: int, total: int) -> None:
    if progress is not None and progress(done, total) is False:
        raise Cancelled(f"influence stopped after {done} of {total} refits")
