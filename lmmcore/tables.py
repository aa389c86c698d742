"""The content of lme4's ``summary(m)`` as data frames.

Built once here; :mod:`lmmcore.summary` formats lme4's text from these tables and the app shows them as
they are, so the two can never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lmmcore.varcomp import term_covariances, term_labels

if TYPE_CHECKING:
    from lmmcore.result import LmmResult

QUANTILE_NAMES = ["Min", "1Q", "Median", "3Q", "Max"]


def tables(m: LmmResult) -> dict[str, pd.DataFrame]:
    """Every table of the summary, by name.

    Returns
    -------
    dict of DataFrame
        ``model`` (how it was fitted, criterion or AIC/BIC/logLik/deviance/df.resid), ``groups`` (levels
        per grouping factor), ``scaled_residuals`` (Min, 1Q, Median, 3Q, Max), ``random_effects``
        (Groups, Name, Variance, Std.Dev., Corr...), ``fixed_effects`` (Estimate, Std. Error, t value),
        ``fixed_correlation`` (correlation of the fixed-effects estimates), ``messages`` (source,
        message).
    """
    return {
        "model": model_table(m),
        "groups": groups_table(m),
        "scaled_residuals": scaled_residuals_table(m),
        "random_effects": random_effects_table(m),
        "fixed_effects": fixed_effects_table(m),
        "fixed_correlation": fixed_correlation_table(m),
        "messages": messages_table(m),
    }


def model_table(m: LmmResult) -> pd.DataFrame:
    """How the model was fitted and its fit criteria, one item per row (column ``value``)."""
    rows: dict[str, object] = {
        "Fit by": "REML" if m.reml else "maximum likelihood",
        "Formula": m.formula,
        "Number of obs": m.nobs,
    }
    if m.reml:
        rows["REML criterion at convergence"] = m.criterion
    else:
        rows.update(
            {
                "AIC": m.aic,
                "BIC": m.bic,
                "logLik": m.loglik,
                "deviance": -2.0 * m.loglik,
                "df.resid": m.nobs - m.npar,
            }
        )
    rows["Optimizer"] = m.optimizer.optimizer
    rows["Converged"] = m.converged
    rows["Singular"] = m.singular
    return pd.DataFrame({"value": pd.Series(rows, dtype=object)})


def groups_table(m: LmmResult) -> pd.DataFrame:
    """Number of levels of each grouping factor (lme4's ``ngrps``)."""
    groups = m.ngroups
    return pd.DataFrame({"Levels": list(groups.values())}, index=pd.Index(list(groups), name="Groups"))


def scaled_residuals_table(m: LmmResult) -> pd.DataFrame:
    """Quantiles of the scaled residuals ``(y - fitted) / sigma`` (R's type 7 quantiles)."""
    scaled = (m.design.y - m.solution.fitted) / m.sigma
    quantiles = np.quantile(scaled, [0.0, 0.25, 0.5, 0.75, 1.0])
    return pd.DataFrame([quantiles], columns=QUANTILE_NAMES, index=["Scaled residuals"])


def random_effects_table(m: LmmResult) -> pd.DataFrame:
    """lme4's random-effects table: one row per term column, then the residual.

    ``Groups`` holds lme4's names of the terms (a factor in a second term gets ``.1``, as ``VarCorr``
    names it); ``Corr``, ``Corr.2``, ... are the correlations with the term's first, second, ... column
    (lower triangle; ``None`` where lme4 prints nothing).
    """
    reterms = m.design.reterms
    ncorr = max([t.k for t in reterms] + [1]) - 1
    corr_names = [_corr_column(j) for j in range(ncorr)]
    rows = []
    covs = term_covariances(m.solution.theta, m.sigma, reterms)
    for label, term, cov in zip(term_labels(reterms), reterms, covs):
        sd = np.sqrt(np.diag(cov))
        for i, name in enumerate(term.names):
            corr: list[object] = [None] * ncorr
            for j in range(i):
                corr[j] = cov[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else np.nan
            rows.append([label, name, cov[i, i], sd[i], *corr])
    rows.append(["Residual", "", m.sigma**2, m.sigma, *([None] * ncorr)])
    columns = list(zip(*rows))
    frame = {
        "Groups": list(columns[0]),
        "Name": list(columns[1]),
        "Variance": np.array(columns[2], dtype=float),
        "Std.Dev.": np.array(columns[3], dtype=float),
    }
    # object columns keep None (nothing to print) apart from NaN (a correlation that does not exist)
    frame.update({name: pd.Series(columns[4 + j], dtype=object) for j, name in enumerate(corr_names)})
    return pd.DataFrame(frame)


def _corr_column(j: int) -> str:
    return "Corr" if j == 0 else f"Corr.{j + 1}"


def fixed_effects_table(m: LmmResult) -> pd.DataFrame:
    """Estimate, Std. Error and t value of each fixed effect."""
    estimate, se = m.fixef, m.se
    return pd.DataFrame({"Estimate": estimate, "Std. Error": se, "t value": estimate / se})


def fixed_correlation_table(m: LmmResult) -> pd.DataFrame:
    """Correlation matrix of the fixed-effects estimates."""
    vcov = m.vcov
    sd = np.sqrt(np.diag(vcov.to_numpy()))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = vcov.to_numpy() / np.outer(sd, sd)
    return pd.DataFrame(corr, index=vcov.index, columns=vcov.columns)


def messages_table(m: LmmResult) -> pd.DataFrame:
    """What the user should know: the design stage's notes, then the optimizer's (singular fit...)."""
    rows = [("design", msg) for msg in m.design.messages]
    rows += [("optimizer", msg) for msg in m.optimizer_messages]
    return pd.DataFrame(rows, columns=["source", "message"])
