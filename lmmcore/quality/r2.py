"""Nakagawa's R² (Nakagawa & Schielzeth 2013; random slopes as Johnson 2014), as ``performance::r2_nakagawa``.

``marginal = var_f / (var_f + var_r + var_e)`` (variance explained by the fixed effects) and
``conditional = (var_f + var_r) / (var_f + var_r + var_e)`` (fixed and random effects together), with the
parts of :mod:`lmmcore.quality.variances`.  On a singular fit performance drops the random part:
``marginal = var_f / (var_f + var_e)`` and the conditional R² is not available (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.quality.variances import VarianceParts, variance_parts


def r2(m) -> pd.Series:
    """Marginal and conditional R² of a fitted model: a Series indexed ``("marginal", "conditional")``."""
    return r2_from_parts(variance_parts(m))


def r2_from_parts(parts: VarianceParts) -> pd.Series:
    """R² from a variance decomposition (see the module docstring)."""
    if parts.random is None:
        values = [_ratio(parts.fixed, parts.fixed + parts.residual), np.nan]
    else:
        total = parts.fixed + parts.random + parts.residual
        values = [_ratio(parts.fixed, total), _ratio(parts.fixed + parts.random, total)]
    return pd.Series(values, index=["marginal", "conditional"], name="R2")


def _ratio(part: float, total: float) -> float:
    return part / total if total > 0 else np.nan
