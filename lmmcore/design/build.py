"""The design stage's driver (lme4's ``lFormula``): formula and data in, :class:`Design` out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.design.encode import Encoding
from lmmcore.design.fixed import fixed_part
from lmmcore.design.frame import model_frame
from lmmcore.design.random import random_terms
from lmmcore.design.types import Design
from lmmcore.errors import DataError, FitError, FormulaError
from lmmcore.formula.spec import FormulaSpec, expr_label, term_label


def build_design(formula: str | FormulaSpec, data: pd.DataFrame) -> Design:
    """Build the numeric design of a linear mixed model.

    Parameters
    ----------
    formula : str or FormulaSpec
        lme4 syntax, e.g. ``"Reaction ~ Days + (Days | Subject)"``.
    data : DataFrame

    Returns
    -------
    Design
        y, X (R's ``model.matrix`` with treatment contrasts, rank-deficient columns dropped as lme4 does),
        one ``ReBlock`` per random term sorted by decreasing number of levels, the rows used.

    Raises
    ------
    FormulaError, DataError, FitError
        With a message saying what to change.
    """
    spec = _as_spec(formula)
    _check_data(data)
    if not spec.random:
        raise FitError(
            "the formula has no random-effects term; add a random-effects term like (1 | group); "
            "for a model without random effects use OLS"
        )
    frame = model_frame(spec, data)
    y = frame.values[spec.response]
    _check_response(y, expr_label(spec.response))
    fixed = fixed_part(spec, frame)
    reterms, random_layouts = random_terms(spec.random, frame)
    encoding = Encoding(
        kinds=frame.kinds,
        scales=frame.scales,
        levels={e: v.labels for e, v in frame.values.items() if not isinstance(v, np.ndarray)},
        fixed=fixed.layout,
        fixed_keep=fixed.keep,
        random=random_layouts,
    )
    return Design(
        formula=spec,
        response_name=expr_label(spec.response),
        y=y,
        X=fixed.X,
        fixed_names=fixed.names,
        reterms=reterms,
        rows=frame.rows,
        dropped_fixed=fixed.dropped,
        messages=frame.messages + fixed.messages,
        encoding=encoding,
        fixed_terms=tuple(term_label(t) for t in spec.fixed),
        fixed_assign=fixed.assign,
        fixed_aliases=fixed.aliases,
    )


def _as_spec(formula: str | FormulaSpec) -> FormulaSpec:
    if isinstance(formula, FormulaSpec):
        return formula
    if isinstance(formula, str):
        from lmmcore.formula import parse_formula

        return parse_formula(formula)
    raise FormulaError(f"the formula must be text like 'y ~ x + (1 | group)', not {type(formula).__name__}")


def _check_data(data: object) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise DataError("the data are empty; load a data set with rows and columns")


def _check_response(y: np.ndarray, name: str) -> None:
    if y.shape[0] == 1:
        raise DataError(
            "only 1 row is complete (no missing value in the columns used); a mixed model needs several "
            "observations in each of several groups: use more data or columns with fewer missing values"
        )
    if y.shape[0] > 0 and np.all(y == y[0]):
        raise DataError(
            f"response '{name}' is constant (every used value is {y[0]:g}); choose a response that varies"
        )
