"""Build every figure once on a few points when the app starts: plotly loads and builds its property
validators on first use of each trace type (about 70 ms in all), which the first visitor's first
Diagnostics or Random effects view would otherwise pay."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import diagnostics
from .caterpillar import caterpillar


def warm_up() -> None:
    x = np.linspace(0.0, 1.0, 8)
    groups = np.repeat(["a", "b", "c", "d"], 2)
    modes = pd.DataFrame({"(Intercept)": [0.1, -0.1, 0.2, 0.0]}, index=["a", "b", "c", "d"])
    figures = [
        diagnostics.residuals_vs_fitted(x, x, groups),
        diagnostics.qq_residuals(x),
        diagnostics.qq_random_effects({"g": modes}),
        diagnostics.residuals_by_group(x, groups, "g", groups),
        diagnostics.observed_vs_fitted(x, x, "y", groups),
        caterpillar(modes, modes.abs(), "g"),
    ]
    for figure in figures:
        figure.to_json()
