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

from lmmcore.errors import InferenceError
from lmmcore.inference.executors import Cancelled
from lmmcore.quality.deletion import refit_deletions


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
        ``progress(done, total) -> bool`` as refits finish; returning False stops with
        :class:`~lmmcore.inference.executors.Cancelled`.

    Raises
    ------
    InferenceError
        When ``group`` is not a grouping factor of the model (the message lists those that are).  A
        deletion that cannot be refitted is not an error: its row is NaN and ``messages`` says why.
    """
    term = _grouping_term(m, group)
    codes = _first_appearance(term.refs)

    def done(count: int) -> None:
        if progress is not None and progress(count, len(codes)) is False:
            raise Cancelled(f"influence stopped after {count} of {len(codes)} refits")

    refits = refit_deletions(m, [term.refs != code for code in codes], done)
    names = list(m.design.fixed_names)
    deleted = np.array([r.beta if r.beta is not None else np.full(len(names), np.nan) for r in refits])
    converged = np.array([r.converged for r in refits], dtype=bool)
    messages = [f"{group} {term.levels[c]}: {r.error}" for c, r in zip(codes, refits) if r.error is not None]
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


def _cooks_distances(dfbeta: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    n, p = dfbeta.shape
    weight = (n - p) / (n * p)
    return weight * np.einsum("ij,ij->i", dfbeta, np.linalg.solve(vcov, dfbeta.T).T)
