"""Likelihood-ratio tests of nested models, lme4's ``anova(m0, m1, ...)``.

As lme4 (``refit = TRUE``), REML fits are refitted by maximum likelihood first: REML criteria of models
with different fixed effects are not comparable.  Models are ordered by their number of parameters;
each row after the first is tested against the row before::

    Chisq = 2 max(0, logLik_i - logLik_{i-1}),  Df = npar_i - npar_{i-1},  p = P(chi2_Df > Chisq)

(no p-value, NaN, where Df is 0: models with as many parameters are not nested).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lmmcore.errors import InferenceError
from lmmcore.inference.refit import refit_ml

COLUMNS = ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"]


def anova(*models, names: Sequence[str] | None = None, refit: bool = True, **named) -> pd.DataFrame:
    """Compare nested fits of the same data by likelihood-ratio tests.

    lme4 labels each row with the name of the object in the call (``anova(small, big)`` has rows
    ``small`` and ``big``); here the keywords play that part, ``anova(small=m0, big=m1)``, and any label
    (a formula, a name with spaces) can be passed as ``anova(**{"(1 | Subject)": m0, ...})`` or with
    ``names=`` (lme4's ``model.names``).

    Parameters
    ----------
    *models : LmmResult
        Fits of the same response on the same rows, labelled by ``names`` or ``m1, m2, ...``.
    names : sequence of str, optional
        Labels of the positional models, in the order given (lme4's ``model.names``).
    refit : bool
        Refit REML fits by ML (lme4's default); with False their REML log-likelihoods are used.
    **named : LmmResult
        Fits labelled by their keyword, after the positional ones; at least two models in all.

    Returns
    -------
    DataFrame
        Rows by increasing number of parameters; columns ``npar, AIC, BIC, logLik, deviance, Chisq, Df,
        Pr(>Chisq)`` (NaN in the first row's test columns).

    Raises
    ------
    InferenceError
        Fewer than two models, wrong names, or models of different data or responses.
    """
    # scipy.stats is imported where used: it takes ~0.4 s, and `import lmmcore` stays light
    from scipy import stats

    labels = _labels(models, names) + list(named)
    models = models + tuple(named.values())
    if len(models) < 2:
        raise InferenceError("anova compares models: give at least two fits, e.g. anova(m0, m1).")
    if len(set(labels)) != len(labels):
        raise InferenceError(f"every model needs its own label; got {labels}: rename the repeated ones.")
    _check_same_data(models, labels)
    deviances = [_ml_deviance(m) if (refit and m.reml) else -2.0 * m.loglik for m in models]
    npars = [m.design.p + m.design.ntheta + 1 for m in models]
    order = sorted(range(len(models)), key=lambda i: npars[i])
    nobs = models[0].design.nobs
    rows = []
    for rank, i in enumerate(order):
        dev, k = deviances[i], npars[i]
        chisq = df = p = np.nan
        if rank > 0:
            j = order[rank - 1]
            chisq = max(0.0, deviances[j] - dev)
            df = k - npars[j]
            p = (
                float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
            )  # lme4: no test without extra parameters
        rows.append((k, dev + 2 * k, dev + np.log(nobs) * k, -dev / 2, dev, chisq, df, p))
    return pd.DataFrame(rows, index=[labels[i] for i in order], columns=COLUMNS)


def _labels(models, names) -> list[str]:
    """Labels of the positional models (lme4 refuses names of another length)."""
    if names is None:
        return [f"m{i + 1}" for i in range(len(models))]
    if isinstance(names, str):
        names = [names]
    labels = [str(n) for n in names]
    if len(labels) != len(models):
        raise InferenceError(
            f"names must give {len(models)} labels, one per model given without a keyword; got {names!r}."
        )
    return labels


def _check_same_data(models, labels) -> None:
    first = models[0]
    for label, m in zip(labels[1:], models[1:]):
        if m.design.nobs != first.design.nobs:
            raise InferenceError(
                f"Models were not all fitted to the same number of observations ({labels[0]}: "
                f"{first.design.nobs}, {label}: {m.design.nobs}): refit them to the same rows "
                "(drop rows with missing values in any model's variables first)."
            )
        if m.design.response_name != first.design.response_name or not np.array_equal(
            m.design.y, first.design.y
        ):
            raise InferenceError(
                f"Models have different responses ({labels[0]}: {first.design.response_name}, {label}: "
                f"{m.design.response_name}): likelihoods are only comparable for the same response."
            )


def _ml_deviance(m) -> float:
    """-2 log-likelihood of the ML refit, started from the REML theta (lme4's ``refitML``)."""
    return float(refit_ml(m)[1].objective)
