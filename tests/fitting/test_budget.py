"""The optimizer's evaluation budget: a structure with many covariance parameters stops in bounded time
with the best point seen, marked unconverged, and a message saying what to simplify."""

import numpy as np
import pandas as pd

import lmmcore
from lmmcore.fitting.optimize import optimize_theta


def _factor_slope_data(levels: int = 8, groups: int = 30, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = groups * levels * 2
    g = np.repeat([f"g{i}" for i in range(groups)], levels * 2)
    f = np.tile([f"f{j}" for j in range(levels)], groups * 2)
    return pd.DataFrame({"y": rng.normal(size=n), "f": f, "g": g})


def test_budget_stops_with_best_point_and_message():
    data = _factor_slope_data()
    design = lmmcore.build_design("y ~ 1 + (0 + f | g)", data)
    criterion = lmmcore.make_criterion(design)
    full = optimize_theta(criterion)
    cut = optimize_theta(criterion, maxfun=50)
    assert full.nfev > 50
    assert cut.converged is False
    assert 50 <= cut.nfev < 50 + design.ntheta + 2  # stops within one gradient of the budget
    assert cut.objective <= criterion(criterion.theta0)  # the best point seen, not the last
    assert cut.objective >= full.objective - 1e-8 * abs(full.objective)
    assert np.isclose(criterion(cut.theta), cut.objective)
    assert all(cut.theta[criterion.lower == 0] >= 0)  # folded into lme4's region
    assert any("budget of 50 criterion evaluations" in m and "simplify" in m for m in cut.messages)


def test_default_budget_leaves_ordinary_fits_alone():
    m = lmmcore.fit("Reaction ~ Days + (Days | Subject)", lmmcore.datasets.load("sleepstudy"))
    assert m.converged and m.optimizer.nfev < 1000
