"""The intraclass correlation, as ``performance::icc``.

``adjusted = var_r / (var_r + var_e)`` (the share of the variance left after the fixed effects that lies
between groups) and ``unadjusted = var_r / (var_f + var_r + var_e)``, with the parts of
:mod:`lmmcore.quality.variances`.  On a singular fit performance reports no ICC: both are NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.quality.variances import VarianceParts, variance_parts


def icc(m) -> pd.Series:
    """Adjusted and unadjusted ICC of a fitted model: a Series indexed ``("adjusted", "unadjusted")``."""
    return icc_from_parts(variance_parts(m))


def icc_from_parts(parts: VarianceParts) -> pd.Series:
    """ICC from a variance decomposition (see the module docstring)."""
    if parts.random is None:
        values = [np.nan, np.nan]
    else:
        values = [
            parts.random / (parts.random + parts.residual),
            parts.random / (parts.fixed + parts.random + parts.residual),
        ]
    return pd.Series(values, index=["adjusted", "unadjusted"], name="ICC")
