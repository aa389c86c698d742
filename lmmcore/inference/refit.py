"""lme4's ``refitML``: a REML fit refitted by maximum likelihood, for the tests and profiles that need ML."""

from __future__ import annotations

import numpy as np

from lmmcore.fitting.criterion import Criterion, make_criterion
from lmmcore.fitting.optimize import OptimizerReport, optimize_theta


def refit_ml(m) -> tuple[Criterion, OptimizerReport]:
    """The ML criterion of ``m``'s design and its optimum, started from ``m``'s theta.

    lme4's derivative checks are skipped: their finite-difference Hessian costs more evaluations than
    the refit itself, and callers use only the optimum (never the report's messages).
    """
    criterion = make_criterion(m.design, reml=False)
    theta0 = np.asarray(m.solution.theta, dtype=float)
    return criterion, optimize_theta(criterion, theta0=theta0, check_derivatives=False)
