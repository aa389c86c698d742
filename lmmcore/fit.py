"""``fit``: lme4's ``lmer`` as the four stages in a row (parse, design, criterion + optimizer, result)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.design import build_design
from lmmcore.errors import DataError, FitError
from lmmcore.fitting.assemble import assemble_result
from lmmcore.fitting.criterion import make_criterion
from lmmcore.fitting.optimize import optimize_theta
from lmmcore.fitting.threads import one_blas_thread
from lmmcore.formula import parse_formula
from lmmcore.formula.spec import FormulaSpec
from lmmcore.result import LmmResult


def fit(formula: str | FormulaSpec, data: pd.DataFrame, reml: bool = True) -> LmmResult:
    """Fit a linear mixed model.

    Parameters
    ----------
    formula : str or FormulaSpec
        lme4 syntax, e.g. ``"Reaction ~ Days + (Days | Subject)"``.
    data : DataFrame
        One row per observation; rows with a missing value in a used column are dropped.
    reml : bool
        True (default) maximises the REML criterion, False the likelihood.

    Returns
    -------
    LmmResult

    Raises
    ------
    FormulaError, DataError, FitError
        With a message saying what to change.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}: pass a DataFrame.")
    if not isinstance(reml, (bool, np.bool_)):
        raise FitError(f"reml must be True or False, got {reml!r}.")
    spec = parse_formula(formula) if isinstance(formula, str) else formula
    design = build_design(spec, data)
    with one_blas_thread():
        criterion = make_criterion(design, bool(reml))
        report = optimize_theta(criterion)
        return assemble_result(design, criterion, report, data_index=data.index)
