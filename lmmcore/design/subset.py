"""A design restricted to some of its observations, as lme4 rebuilds it for ``update(m, subset = )``.

The columns of ``X`` and of each term are the full design's rows, not re-encoded: ``scale()`` keeps the
full data's centre and SD, as R's ``model.frame`` evaluates variables on the whole data before taking the
subset (checked with ``update(m, subset = )`` of ``Reaction ~ scale(Days) + (1 | Subject)``).  As lme4's
``mkReTrms``, grouping factors drop the levels no remaining observation has, and terms are sorted again by
decreasing number of levels (stable), which can change the order of theta.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lmmcore.design.rank import independent_columns
from lmmcore.design.types import Design, ReBlock
from lmmcore.errors import FitError


@dataclasses.dataclass(frozen=True)
class Subset:
    """The restricted design and, for each of its terms, the index of that term in the full design."""

    design: Design
    term_order: tuple[int, ...]

    def theta_from_full(self, theta: np.ndarray, full: Design) -> np.ndarray:
        """A theta of the full design, rearranged for the restricted design's term order."""
        starts = [0]
        for term in full.reterms:
            starts.append(starts[-1] + term.ntheta)
        return np.concatenate([theta[starts[i] : starts[i + 1]] for i in self.term_order])


def keep_rows(design: Design, keep: np.ndarray) -> Subset:
    """The design on the observations where ``keep`` (bool, one per observation) is True.

    Raises
    ------
    FitError
        When lme4 would refuse the restricted model: a fixed-effect column no longer estimable, a grouping
        factor left with one level or with as many levels as observations.
    """
    keep = np.asarray(keep, dtype=bool)
    X = design.X[keep]
    if len(independent_columns(X)) < design.p:
        raise FitError("without these observations some fixed effects can no longer be estimated")
    nobs = int(keep.sum())
    blocks = [_restrict(term, keep) for term in design.reterms]
    order = sorted(range(len(blocks)), key=lambda i: -blocks[i].nlevels)
    for block in blocks:
        if not 2 <= block.nlevels < nobs:
            raise FitError(
                f"without these observations the grouping factor '{block.group}' has {block.nlevels} "
                f"level(s) in {nobs} rows; lme4 needs at least 2 levels and fewer levels than rows"
            )
    restricted = dataclasses.replace(
        design, y=design.y[keep], X=X, rows=design.rows[keep], reterms=tuple(blocks[i] for i in order)
    )
    return Subset(restricted, tuple(order))


def _restrict(term: ReBlock, keep: np.ndarray) -> ReBlock:
    used, refs = np.unique(term.refs[keep], return_inverse=True)
    levels = tuple(term.levels[i] for i in used)
    return dataclasses.replace(term, levels=levels, refs=refs.astype(term.refs.dtype), z=term.z[keep])
