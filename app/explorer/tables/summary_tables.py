"""The content of lme4's ``summary()`` as tables, and the warnings placed next to the numbers they concern.

Fixed effects: lmerTest's columns (estimate, standard error, Satterthwaite df, t, Pr(>|t|)) and the Wald
95 % interval; the type III ANOVA when the model has factor or interaction terms. Random effects:
variance, standard deviation and the correlations within each grouping factor (lme4's ``VarCorr``
layout). Model info: n, groups, REML criterion (REML fits) or deviance (ML fits), log-likelihood, AIC, BIC,
and R² and ICC when the engine gives them.

Cells are text formatted as R prints them: one number of decimals per column (R's ``format``), estimates,
standard errors and df rounded together as ``printCoefmat`` does, p-values by ``format.pval`` with
lmerTest's significance codes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import lmmcore
import lmmcore.rformat as rformat

from .inference_tables import quality

DIGITS = 4  # lme4's and lmerTest's summary: max(3, getOption("digits") - 3)
ANOVA_DIGITS = 5  # print.anova: max(getOption("digits") - 2, 3)
INFO_DIGITS = 7  # R's default print of a numeric vector
EPS = float(np.finfo(float).eps)  # printCoefmat's eps.Pvalue
_STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, "."))
_SIMPLIFY = {
    "variance": "The data carry no variation for that term: drop it (or its column) from the random effects.",
    "correlation": "The data cannot separate these two effects: drop the slope, or its correlation "
    "(|| instead of |).",
    "rank": "The random-effects structure is too rich for these data: drop a slope from that term.",
}


def fixed_effects(result) -> pd.DataFrame:
    """One row per coefficient: Estimate, Std. Error, t value (numbers)."""
    estimate = result.fixef.astype(float)
    se = result.se.reindex(estimate.index).astype(float)
    return pd.DataFrame(
        {"term": estimate.index.astype(str), "Estimate": estimate.to_numpy(), "Std. Error": se.to_numpy()}
    ).assign(**{"t value": lambda t: t["Estimate"] / t["Std. Error"]})


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def random_effects(result) -> pd.DataFrame:
    """lme4's VarCorr table: Groups, Name, Variance, Std.Dev., Corr (with the earlier terms of the group)."""
    varcorr = result.varcorr
    single = varcorr[varcorr["var2"].map(_is_missing)]
    pairs = varcorr[~varcorr["var2"].map(_is_missing)]
    rows = []
    for _, row in single.iterrows():
        group, name = str(row["grp"]), "" if _is_missing(row["var1"]) else str(row["var1"])
        earlier = [r["var1"] for r in rows if r["Groups"] == group]
        corr = []
        for other in earlier:
            match = pairs[
                (pairs["grp"] == group)
                & (
                    ((pairs["var1"] == other) & (pairs["var2"] == name))
                    | ((pairs["var1"] == name) & (pairs["var2"] == other))
                )
            ]
            corr.append(f"{float(match['sdcor'].iloc[0]):.2f}" if len(match) else "")
        rows.append(
            {
                "Groups": group,
                "var1": name,
                "Variance": float(row["vcov"]),
                "Std.Dev.": float(row["sdcor"]),
                "Corr": " ".join(corr),
            }
        )
    table = pd.DataFrame(rows, columns=["Groups", "var1", "Variance", "Std.Dev.", "Corr"])
    return table.rename(columns={"var1": "Name"})


def model_info(result, reml: bool, measures: dict[str, float] | None = None) -> pd.DataFrame:
    """Quantity / value pairs (text): observations, groups, criterion, logLik, AIC, BIC, R², ICC.

    The four likelihood numbers are formatted together as R prints a vector (7 significant digits, one
    number of decimals); R² and ICC together with 4. ``measures``: R² and ICC as :func:`quality_measures`
    gives them (the live fit's come from its worker); computed from ``result`` when None.
    """
    rows = [("Observations", f"{int(result.nobs)}")]
    rows += [(f"Groups: {g}", f"{int(n)}") for g, n in result.ngroups.items()]
    label = "REML criterion at convergence" if reml else "Deviance"
    names = [label, "logLik", "AIC", "BIC"]
    values = [result.criterion, result.loglik, result.aic, result.bic]
    rows += zip(names, _cells([float(v) for v in values], INFO_DIGITS))
    if measures is None:
        measures = quality_measures(*quality(result))
    rows += zip(measures, _cells(list(measures.values()), DIGITS))
    return pd.DataFrame(rows, columns=["Quantity", "Value"])


def quality_measures(r2: pd.Series | None, icc: pd.Series | None) -> dict[str, float]:
    """R² (marginal, conditional) and ICC (adjusted, unadjusted) as ``performance`` gives them (``r2`` and
    ``icc`` as :func:`~explorer.tables.inference_tables.quality` returns them), those that are defined (an
    ICC is NaN for a model without random-effect variance)."""
    measures: dict[str, float] = {}
    for prefix, series in (("R²", r2), ("ICC", icc)):
        if series is not None:
            measures |= {f"{prefix} {kind}": float(v) for kind, v in series.items() if np.isfinite(v)}
    return measures


def summary_warnings(result) -> dict[str, list[str]]:
    """Warnings keyed by the table they concern, derived from the result's numbers: ``model``
    (convergence) and ``random`` (a singular fit: which term and what is degenerate, as ``isSingular``
    with ``rePCA`` would tell); ``notes`` are the engine's own messages, shown as they are (they include
    informational lines such as the optimizer's return code). Rows left out of the fit are reported once,
    under the fit's status (:mod:`~explorer.tables.dropped_rows`)."""
    model, random = [], []
    if not bool(result.converged):
        model.append("The optimizer did not converge: the numbers may be unreliable; simplify the model.")
    if bool(result.singular):
        terms = lmmcore.singular_terms(result)
        random += [f"Singular fit. {term.message}." for term in terms]
        random.append(_SIMPLIFY.get(next((t.kind for t in terms), "rank"), _SIMPLIFY["rank"]))
    return {"model": model, "random": random, "notes": [str(m) for m in result.messages]}


# --- R's printing, cell by cell -------------------------------------------------------------------------
def _cells(values, digits: int) -> list[str]:
    """R's ``format(x, digits)`` of one column, without the padding (a table aligns its own cells)."""
    return [s.strip().replace("NaN", "") for s in rformat.format_real(values, digits)]


def format_numbers(table: pd.DataFrame, digits: int = DIGITS) -> pd.DataFrame:
    """Every numeric column as text, formatted as R's ``format(column, digits)``: the significant digits
    each entry needs (at most ``digits``) with one number of decimals for the whole column."""
    shown = table.copy()
    for name in table.columns:
        if pd.api.types.is_float_dtype(table[name]):
            shown[name] = _cells(table[name].to_numpy(), digits)
    return shown


def coefficient_cells(values: np.ndarray, digits: int = DIGITS) -> list[str]:
    """``printCoefmat``'s estimate columns: rounded together to the decimals the smallest magnitude needs
    (``digits - 1 - floor(log10 min |x|)``, at least 1), then formatted as one column."""
    finite = np.abs(values[np.isfinite(values) & (values != 0)])
    smallest = finite.min() if finite.size else 1.0
    largest = finite.max() if finite.size else 1.0
    decimals = max(1, *(digits - 1 - math.floor(math.log10(m)) for m in (smallest, largest)))
    return _cells([rformat.r_round(v, decimals) for v in values], digits)


def statistic_cells(values: np.ndarray, digits: int = DIGITS) -> list[str]:
    """``printCoefmat``'s test statistic column: rounded to ``digits - 1`` decimals, then formatted."""
    dig_tst = max(1, min(5, digits - 1))
    return _cells([rformat.r_round(v, dig_tst) for v in values], digits)


def pvalue_cells(p: np.ndarray, digits: int, stars: bool = True) -> list[str]:
    """R's ``format.pval(p, digits, eps = .Machine$double.eps)`` with the significance codes
    (``***`` < 0.001 < ``**`` < 0.01 < ``*`` < 0.05 < ``.`` < 0.1) as lmerTest prints them."""
    p = np.asarray(p, dtype=float)
    texts = [""] * len(p)
    tiny = p < EPS
    rest = np.flatnonzero(np.isfinite(p) & ~tiny)
    exponent = np.floor(np.log10(np.where(p[rest] > 0, p[rest], 1e-50)))
    for group in (rest[exponent >= -3], rest[exponent < -3]):
        for i, text in zip(group, _cells(p[group], digits)):
            texts[i] = text
    if tiny.any():
        texts = _below_eps(texts, tiny, digits, rest)
    return [f"{t} {_stars(v)}".rstrip() if stars else t for t, v in zip(texts, p)]


def _below_eps(texts: list[str], tiny: np.ndarray, digits: int, rest: np.ndarray) -> list[str]:
    eps_digits = max(1, digits - 2)
    widest = max((len(texts[i]) for i in rest), default=0)
    if len(rest) and eps_digits > 1 and eps_digits + 6 > widest:
        eps_digits = max(1, widest - 7)
    joined = eps_digits == 1 and (not len(rest) or widest <= 6)
    below = "<" + ("" if joined else " ") + f"{EPS:.{eps_digits - 1}e}"
    return [below if t else texts[i] for i, t in enumerate(tiny)]


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return next((code for bound, code in _STARS if p < bound), "")


def format_fixed(table: pd.DataFrame) -> pd.DataFrame:
    """lmerTest's summary cells of a :class:`~explorer.tables.inference_tables.SummaryInference` fixed
    table: Estimate, Std. Error and df rounded together, t value, Pr(>|t|) with codes, the Wald interval's
    two columns formatted together."""
    shown = table[["term"]].copy()
    together = ["Estimate", "Std. Error", "df"]
    cells = coefficient_cells(table[together].to_numpy(dtype=float).ravel(order="F"))
    for k, name in enumerate(together):
        shown[name] = cells[k * len(table) : (k + 1) * len(table)]
    shown["t value"] = statistic_cells(table["t value"].to_numpy(dtype=float))
    shown["Pr(>|t|)"] = pvalue_cells(table["Pr(>|t|)"].to_numpy(dtype=float), max(1, min(5, DIGITS - 1)))
    interval = _cells(table[["2.5 %", "97.5 %"]].to_numpy(dtype=float).ravel(order="F"), DIGITS)
    shown["2.5 %"], shown["97.5 %"] = interval[: len(table)], interval[len(table) :]
    return shown


def format_anova(table: pd.DataFrame) -> pd.DataFrame:
    """lmerTest's ``anova(m)`` cells (R's ``print.anova``, 5 digits): sums of squares zapped to the
    largest one's digits, df as numbers, F rounded to 4 decimals, Pr(>F) by ``format.pval`` with codes."""
    shown = table[["term"]].copy()
    for name in ("Sum Sq", "Mean Sq"):
        column = table[name].to_numpy(dtype=float)
        shown[name] = _cells(rformat.zapsmall(column, ANOVA_DIGITS), ANOVA_DIGITS)
    for name in ("NumDF", "DenDF"):
        shown[name] = _cells(table[name].to_numpy(dtype=float), ANOVA_DIGITS)
    shown["F value"] = statistic_cells(table["F value"].to_numpy(dtype=float), ANOVA_DIGITS)
    dig_tst = max(1, min(5, ANOVA_DIGITS - 1))
    shown["Pr(>F)"] = pvalue_cells(table["Pr(>F)"].to_numpy(dtype=float), dig_tst)
    return shown
