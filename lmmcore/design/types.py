"""The numeric design: plain arrays the criterion works on, and what is needed to encode new data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lmmcore.formula.spec import FormulaSpec


@dataclass(frozen=True)
class ReBlock:
    """One random-effects term on the numeric side (MixedModels.jl's ``ReMat``).

    Attributes
    ----------
    group : str
        lme4's grouping-factor name (``"Subject"``, ``"cask:batch"``).
    levels : tuple of str
        Level labels in lme4's order.
    refs : ndarray of int, shape (n,)
        Level index of each observation.
    z : ndarray of float, shape (n, k)
        The term's columns for each observation (a column of ones for the intercept).
    names : tuple of str
        Column names, lme4's (``("(Intercept)", "Days")``).
    """

    group: str
    levels: tuple[str, ...]
    refs: np.ndarray
    z: np.ndarray
    names: tuple[str, ...]

    @property
    def k(self) -> int:
        return self.z.shape[1]

    @property
    def nlevels(self) -> int:
        return len(self.levels)

    @property
    def ntheta(self) -> int:
        return self.k * (self.k + 1) // 2

    @property
    def theta_names(self) -> tuple[str, ...]:
        """lme4's names of this term's theta entries, lower triangle column by column."""
        out = []
        for j in range(self.k):
            for i in range(j, self.k):
                suffix = self.names[i] if i == j else f"{self.names[i]}.{self.names[j]}"
                out.append(f"{self.group}.{suffix}")
        return tuple(out)

    @property
    def theta_lower(self) -> np.ndarray:
        """lme4's lower bounds: 0 on the diagonal of the factor, -inf below it."""
        return np.array([0.0 if i == j else -np.inf for j in range(self.k) for i in range(j, self.k)])


@dataclass(frozen=True)
class Design:
    """Everything the criterion needs, plus what predict/simulate need to encode new data.

    ``reterms`` are sorted as lme4 sorts them: by decreasing number of levels (stable), which also fixes
    the order of theta.  ``rows`` are the positions (0-based) of the data rows used, after NA rows were
    dropped.  ``encoding`` is the design stage's own state for encoding new data exactly as these data
    (factor levels, ``scale()`` centres and scales); only the design stage reads it.
    ``fixed_terms`` are the labels of the fixed terms in R's order and ``fixed_assign`` gives, for each
    column of ``X``, the index of its term in ``fixed_terms`` plus one (0 for the intercept): R's
    ``attr(X, "assign")`` without the columns dropped for rank deficiency.  ``fixed_aliases`` (shape
    ``(p, len(dropped_fixed))``, ``None`` when unknown) writes each dropped column as a linear combination
    of the columns of ``X``, on the data (lmerTest's type III hypotheses need it).
    """

    formula: FormulaSpec
    response_name: str
    y: np.ndarray
    X: np.ndarray
    fixed_names: tuple[str, ...]
    reterms: tuple[ReBlock, ...]
    rows: np.ndarray
    dropped_fixed: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    encoding: Any = field(default=None, repr=False, compare=False)
    fixed_terms: tuple[str, ...] = ()
    fixed_assign: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp), compare=False)
    fixed_aliases: np.ndarray | None = field(default=None, compare=False)

    @property
    def nobs(self) -> int:
        return self.y.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def ntheta(self) -> int:
        return sum(t.ntheta for t in self.reterms)

    @property
    def theta_names(self) -> tuple[str, ...]:
        return tuple(name for t in self.reterms for name in t.theta_names)

    @property
    def theta_lower(self) -> np.ndarray:
        return np.concatenate([t.theta_lower for t in self.reterms])

    def with_response(self, y: np.ndarray) -> Design:
        """The same design with another response vector (bootstrap, simulation)."""
        return dataclasses.replace(self, y=np.asarray(y, dtype=float))
