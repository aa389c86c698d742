"""Fits of lme4's reference models for the inference tests, also at lme4's own optimum.

Our optimizer often stops at a slightly lower criterion than lme4 (whose optimizer stops at a
tolerance), so estimates differ from lme4's by ~1e-5 relative in the flattest directions.
:func:`at_reference_theta` evaluates a fit at lme4's theta, which isolates a method's arithmetic from
that difference.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np

import lmmcore
from lmmcore.fitting import criterion_for
from tests.refs import load_reference


@cache
def fitted(name: str):
    """Our fit of the reference model ``name`` (a file of ``tests/reference/lme4``)."""
    ref = load_reference(name)
    return lmmcore.fit(ref["formula"], lmmcore.datasets.load(ref["data"]), reml=ref["REML"])


@cache
def at_reference_theta(name: str):
    """The same result with its solution at lme4's theta (beta, sigma, vcov as lme4 reports them)."""
    m = fitted(name)
    theta = np.atleast_1d(np.asarray(load_reference(name)["theta"], dtype=float))
    return dataclasses.replace(m, solution=criterion_for(m).solve(theta))
