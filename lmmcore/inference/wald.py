"""Wald intervals, lme4's ``confint(m, method = "Wald")``: fixed effects only.

For each fixed effect ``beta_j +- z_{1 - a/2} se_j`` (normal quantiles, as lme4); the variance
parameters get NaN rows, because a symmetric interval on an SD or a correlation is not a sensible
summary (lme4 prints NA there too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.inference.levels import interval_columns, validate_level
from lmmcore.varcomp import sdcor_names


def wald_intervals(m, level: float = 0.95) -> pd.DataFrame:
    """Wald intervals: NaN rows for ``sdcor_names`` (SDs, correlations, sigma), then the fixed effects."""
    # scipy.stats is imported where used: it takes ~0.4 s, and `import lmmcore` stays light
    from scipy import stats

    validate_level(level)
    z = stats.norm.ppf(0.5 + level / 2)
    beta = np.asarray(m.solution.beta, dtype=float)
    se = np.sqrt(np.diag(m.solution.unscaled_vcov)) * float(m.solution.sigma)
    variance_rows = np.full((len(sdcor_names(m.design.reterms)), 2), np.nan)
    fixed_rows = np.column_stack([beta - z * se, beta + z * se])
    return pd.DataFrame(
        np.vstack([variance_rows, fixed_rows]),
        index=sdcor_names(m.design.reterms) + list(m.design.fixed_names),
        columns=interval_columns(level),
    )
