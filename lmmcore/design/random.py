"""Random-effects terms as :class:`ReBlock`s (lme4's ``mkReTrms``), sorted and checked as lme4 does.

A term ``(lhs | g)`` gets the columns of ``model.matrix(~ lhs)`` (same coding rules as the fixed part) and
the grouping factor ``g``; an interaction ``a:b`` has one level per *observed* combination, labelled
``"la:lb"``, ordered with ``a`` varying slowest (lme4's ``%i%``).  Terms are sorted by decreasing number
of levels, stably, which fixes the order of theta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lmmcore.design.columns import Categorical
from lmmcore.design.frame import ModelFrame
from lmmcore.design.modelmatrix import MatrixLayout, build_matrix, check_size, column_names, plan_layout
from lmmcore.design.types import ReBlock
from lmmcore.errors import FitError
from lmmcore.formula.spec import RandomTerm, group_label, term_label


@dataclass(frozen=True)
class RandomLayout:
    """What encoding new data needs for one random term: its grouping columns and lhs coding."""

    group: tuple[str, ...]
    layout: MatrixLayout


def interaction(factors: list[Categorical]) -> Categorical:
    """The observed combinations of several factors, the first varying slowest, labels joined by ``:``."""
    combined = factors[0]
    for other in factors[1:]:
        key = combined.codes * other.nlevels + other.codes
        codes, uniques = pd.factorize(key, sort=True)
        labels = tuple(
            f"{combined.labels[u // other.nlevels]}:{other.labels[u % other.nlevels]}" for u in uniques
        )
        combined = Categorical(codes.astype(np.int64), labels)
    return combined


def random_terms(
    terms: tuple[RandomTerm, ...], frame: ModelFrame
) -> tuple[tuple[ReBlock, ...], tuple[RandomLayout, ...]]:
    """One :class:`ReBlock` per term, in lme4's order (decreasing levels), after lme4's checks."""
    built = [_block(term, frame) for term in terms]
    order = sorted(range(len(built)), key=lambda i: -built[i][0].nlevels)
    blocks = tuple(built[i][0] for i in order)
    for i in order:
        _check_block(built[i][0], terms[i], frame.nobs)
    return blocks, tuple(built[i][1] for i in order)


def _block(term: RandomTerm, frame: ModelFrame) -> tuple[ReBlock, RandomLayout]:
    layout = plan_layout(term.intercept, term.terms, lambda e: isinstance(frame.values[e], Categorical))
    levels = {e: v.labels for e, v in frame.values.items() if isinstance(v, Categorical)}
    names = column_names(layout, levels)
    check_size(frame.nobs, names, f"random-effects term {describe_term(term)}")
    z = build_matrix(layout, frame.values, frame.nobs)
    factor = interaction([frame.groups[g] for g in term.group])
    block = ReBlock(group_label(term), factor.labels, factor.codes, z, names)
    return block, RandomLayout(term.group, layout)


def describe_term(term: RandomTerm) -> str:
    """The term as lme4 prints it: ``(Days | Subject)``, ``(0 + x | g)``."""
    lhs = [term_label(t) for t in term.terms]
    if not term.intercept:
        lhs.insert(0, "0")
    elif not lhs:
        lhs = ["1"]
    return f"({' + '.join(lhs)} | {group_label(term)})"


def _check_block(block: ReBlock, term: RandomTerm, nobs: int) -> None:
    """lme4's ``check.nlev.gtr.1``, ``check.nobs.vs.nlev`` and ``check.nobs.vs.nRE``, all fatal."""
    label = describe_term(term)
    if block.k == 0:
        raise FitError(f"random-effects term {label} has no columns; put 1 or a variable before the bar")
    if block.nlevels < 2:
        raise FitError(
            f"grouping factors must have > 1 sampled level: '{block.group}' has only "
            f"{block.nlevels} level in the rows used; remove {label} or group by a column with several levels"
        )
    if block.nlevels >= nobs:
        raise FitError(
            "number of levels of each grouping factor must be < number of observations "
            f"(problems: {block.group}: {block.nlevels} levels, {nobs} observations); every level needs "
            f"repeated observations: remove {label} or group by a coarser column"
        )
    if block.nlevels * block.k >= nobs:
        raise FitError(
            f"number of observations (={nobs}) <= number of random effects (={block.nlevels * block.k}) "
            f"for term {label}; the random-effects parameters and the residual variance are probably "
            "unidentifiable: use fewer random slopes in this term, e.g. (1 | "
            f"{block.group}), or more observations per level"
        )
