"""Variance inflation factors of the fixed effects, as ``performance::check_collinearity``.

With ``R`` the correlation matrix of the fixed-effect estimates (intercept removed) and ``S`` the columns
of one term, the (generalised, Fox & Monette 1992) VIF of the term is

.. math::
    \\mathrm{GVIF} = \\det R_{SS} \\, \\det R_{\\bar S \\bar S} / \\det R,

the plain VIF for a one-column term.  performance reports the GVIF itself (not ``GVIF^(1/(2 df))``), its
square root (how much the standard errors are inflated), the tolerance ``1 / VIF``, and an interval from
the multiple correlation ``r = 1 - 1 / VIF`` (logit scale, Fisher's standard error with ``n`` observations
and ``p`` fixed effects).  With fewer than two fixed terms there is nothing to compare: the table is empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

COLUMNS = (
    "VIF",
    "VIF_CI_low",
    "VIF_CI_high",
    "SE_factor",
    "Tolerance",
    "Tolerance_CI_low",
    "Tolerance_CI_high",
)


def vif(m, level: float = 0.95) -> pd.DataFrame:
    """One row per fixed term (R's labels, ``"A:B"``), the columns of :data:`COLUMNS`."""
    design = m.design
    cov = m.solution.unscaled_vcov
    assign = np.asarray(design.fixed_assign)
    if design.formula.intercept and "(Intercept)" in design.fixed_names:
        cov, assign = cov[1:, 1:], assign[1:]
    terms = list(design.fixed_terms)
    if len(terms) < 2:
        return pd.DataFrame(columns=list(COLUMNS), index=pd.Index([], name="Term"), dtype=float)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    whole = np.linalg.det(corr)
    labels, values = [], []
    for number, label in enumerate(terms, start=1):
        inside = assign == number
        if inside.any():
            labels.append(label)
            values.append(_det(corr, inside) * _det(corr, ~inside) / whole)
    return _table(np.array(values), labels, design.nobs, design.p, level)


def _det(corr: np.ndarray, keep: np.ndarray) -> float:
    return float(np.linalg.det(corr[np.ix_(keep, keep)]))


def _table(values: np.ndarray, labels: list[str], n: int, p: int, level: float) -> pd.DataFrame:
    r = 1.0 - 1.0 / values
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt((1.0 - r**2) ** 2 * (n - p - 1) ** 2 / ((n**2 - 1.0) * (n + 3.0)))
        half = norm.ppf((1.0 + level) / 2.0) * se / (r * (1.0 - r))
        low, high = expit(logit(r) - half), expit(logit(r) + half)
        table = {
            "VIF": values,
            "VIF_CI_low": 1.0 / (1.0 - low),
            "VIF_CI_high": 1.0 / (1.0 - high),
            "SE_factor": np.sqrt(values),
            "Tolerance": 1.0 / values,
            "Tolerance_CI_low": 1.0 - high,
            "Tolerance_CI_high": 1.0 - low,
        }
    return pd.DataFrame(table, index=pd.Index(labels, name="Term"))
