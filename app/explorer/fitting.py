"""The live fit's request, outcome and worker function (run in the compute layer's worker processes).

Every result is tagged with the request it answers (formula, criterion, data key), so a panel can refuse to
show an old fit as the answer to a newer request.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.api.types import is_numeric_dtype

from . import compute


@dataclass(frozen=True)
class FitRequest:
    """What a fit is computed from: every field is an input or derived from inputs and the data."""

    formula: str
    reml: bool
    data_key: tuple

    @property
    def label(self) -> str:
        return f"{self.formula} by {'REML' if self.reml else 'ML'}"

    @property
    def tag(self) -> str:
        """A short stable name of this request (shown on every plot as ``data-fit``)."""
        return hashlib.sha1(repr(self).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class FitOutcome:
    """The answer to one request: a result, or the message of the error that stopped the fit.

    ``inference`` is the summary's lmerTest/Wald/ANOVA tables, computed in the worker right after the fit so
    the summary shows them in the same update. ``retryable`` marks an error that is not the model's (the
    worker crashed, the time budget ran out): the same request may be tried again.
    """

    request: FitRequest
    result: Any = None
    error: str | None = None
    seconds: float = 0.0
    inference: Any = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def fit_in_worker(request: FitRequest, data: pd.DataFrame) -> FitOutcome:
    """Run one fit and its summary inference (in a worker process); user errors come back as messages."""
    from . import engine
    from .tables.inference_tables import summary_inference

    started = time.perf_counter()
    try:
        result = engine.fit(request.formula, data, reml=request.reml)
    except engine.LmmError as err:
        return FitOutcome(request, error=str(err), seconds=time.perf_counter() - started)
    except (ValueError, TypeError, ArithmeticError, MemoryError) as err:
        # An engine bug or an impossible model lmmcore did not classify: say so rather than crash the session.
        message = f"The fit failed unexpectedly ({type(err).__name__}: {err}); try a simpler model."
        return FitOutcome(request, error=message, seconds=time.perf_counter() - started)
    seconds = time.perf_counter() - started
    return FitOutcome(request, result=result, seconds=seconds, inference=summary_inference(result))


def fit_lane(formula: str, data: pd.DataFrame) -> str:
    """The compute lane of a fit: its cost grows with rows x random-effect columns (a factor slope counts
    one column per level), so that product decides."""
    from . import engine

    rows = len(data)
    if compute.lane_for(rows) == "large":
        return "large"  # past the threshold with one column already: no need to look at the formula
    try:
        spec = engine.parse_formula(formula)
    except engine.LmmError:
        return "small"  # the worker reports the error in milliseconds
    columns = sum(_term_columns(term, data) for term in spec.random)
    return compute.lane_for(rows, columns)


def _term_columns(random_term, data: pd.DataFrame) -> int:
    columns = int(random_term.intercept)
    for term in random_term.terms:
        width = 1
        for expr in term.factors:
            name = getattr(expr, "name", None)
            if name in data.columns and not is_numeric_dtype(data[name]):
                width *= max(data[name].nunique(), 1)
        columns += width
    return max(columns, 1)
