"""lmerTest's inference for the summary: the fixed-effects table with Satterthwaite df, Pr(>|t|) and Wald
95 % intervals, and the type III ANOVA table when the model has factor or interaction terms.

Computed in the fit's worker (it costs a few Satterthwaite gradients), shown with the fit; so are R² and the
ICC, which need a pass over every row (a noticeable pause on the event loop at a million rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import engine

#: The columns of :attr:`SummaryInference.fixed`, in lmerTest's order, then the Wald interval.
FIXED_COLUMNS = ("Estimate", "Std. Error", "df", "t value", "Pr(>|t|)", "2.5 %", "97.5 %")
#: The columns of :attr:`SummaryInference.anova`, as lmerTest's ``anova(m)`` prints them.
ANOVA_COLUMNS = ("Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)")


@dataclass(frozen=True)
class SummaryInference:
    """The summary's inference tables for one fit.

    Attributes
    ----------
    fixed : pandas.DataFrame
        One row per coefficient (a ``term`` column, then :data:`FIXED_COLUMNS`). df and Pr(>|t|) are NaN
        when Satterthwaite's method failed (``error`` says why); the estimate and its Wald interval are
        always there.
    anova : pandas.DataFrame or None
        lmerTest's type III table (a ``term`` column, then :data:`ANOVA_COLUMNS`), or None when every
        term is a single numeric column (its F test is the t test squared) or the table failed.
    error : str or None
        The engine's message when part of the inference could not be computed.
    r2 : pandas.Series or None
        Nakagawa's R² (``marginal``, ``conditional``; performance's ``r2_nakagawa``), None when the engine
        cannot give it.
    icc : pandas.Series or None
        The ICC (``adjusted``, ``unadjusted``; performance's ``icc``; NaN on a singular fit), None when the
        engine cannot give it.
    """

    fixed: pd.DataFrame
    anova: pd.DataFrame | None
    error: str | None = None
    r2: pd.Series | None = None
    icc: pd.Series | None = None


def summary_inference(result) -> SummaryInference:
    """Satterthwaite df and p, Wald 95 % intervals and (when it says more) the type III ANOVA of a fit.

    Parameters
    ----------
    result : lmmcore.LmmResult
        A fitted model.

    Returns
    -------
    SummaryInference
        Engine errors (:class:`lmmcore.LmmError`) are caught into ``error``; whatever could be computed
        is kept.
    """
    errors: list[str] = []
    tests = _attempt(result.satterthwaite, errors)
    wald = _attempt(lambda: result.confint("wald", level=0.95), errors)
    fixed = _fixed_table(result, tests, wald)
    anova = _attempt(result.anova, errors) if has_factor_or_interaction(result.design) else None
    r2, icc = quality(result)
    return SummaryInference(
        fixed=fixed,
        anova=None if anova is None else _anova_table(anova),
        error="; ".join(dict.fromkeys(errors)) or None,
        r2=r2,
        icc=icc,
    )


def quality(result) -> tuple[pd.Series | None, pd.Series | None]:
    """``(result.r2(), result.icc())``, each None when the engine cannot compute it for this model."""
    return _quietly(result.r2), _quietly(result.icc)


def _quietly(compute):
    try:
        return compute()
    except (engine.LmmError, ArithmeticError, ValueError):
        return None


def has_factor_or_interaction(design) -> bool:
    """True when a fixed term is an interaction or spans columns other than itself (a factor's contrasts).

    For a model of numeric main effects only the type III F tests repeat the t tests, so the summary
    leaves the table out.
    """
    names = design.fixed_names
    assign = np.asarray(design.fixed_assign)
    for index, label in enumerate(design.fixed_terms, start=1):
        columns = [names[i] for i in np.flatnonzero(assign == index)]
        if ":" in label or columns != [label]:
            return True
    return False


def _attempt(compute, errors: list[str]):
    try:
        return compute()
    except engine.LmmError as err:
        errors.append(str(err))
        return None


def _fixed_table(result, tests: pd.DataFrame | None, wald: pd.DataFrame | None) -> pd.DataFrame:
    estimate = result.fixef.astype(float)
    terms = estimate.index
    se = result.se.reindex(terms).astype(float)
    missing = pd.Series(np.nan, index=terms)
    df = missing if tests is None else tests["df"].reindex(terms)
    p = missing if tests is None else tests["p"].reindex(terms)
    low = missing if wald is None else wald.iloc[:, 0].reindex(terms)
    high = missing if wald is None else wald.iloc[:, 1].reindex(terms)
    columns = (estimate, se, df, estimate / se, p, low, high)
    table = pd.DataFrame({name: c.to_numpy(dtype=float) for name, c in zip(FIXED_COLUMNS, columns)})
    table.insert(0, "term", terms.astype(str))
    return table


def _anova_table(anova: pd.DataFrame) -> pd.DataFrame:
    table = anova.rename(columns={"F": "F value", "p": "Pr(>F)"}).loc[:, list(ANOVA_COLUMNS)]
    table = table.astype(float).reset_index(names="term")
    table["term"] = table["term"].astype(str)
    return table
