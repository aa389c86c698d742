"""Bootstrapped prediction bands: the seed tutorial's ``bootMer(m, function(x) predict(x, newdata,
re.form = NA))`` with a percentile band per row of ``newdata``.

Predictions are linear in the refitted parameters, so nothing is refitted here: a row's prediction
under refit ``r`` is ``x_new' beta*_r`` (population, ``re=False``) or ``x_new' beta*_r + z_new' b*_r``
(``re=True``: the curves of the levels in ``newdata``, from a bootstrap conditional on their fitted
effects, lme4's ``use.u = TRUE``; each refit shrinks ``b*`` again, so such a band leans towards the
population curve), one matrix product over the bootstrap's stored draws.  The bootstrap is cached: a
band after ``confint(method="boot")`` with the same ``nsim`` and ``seed`` costs only that product.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.design import encode_newdata
from lmmcore.inference.bootstrap import bootstrap
from lmmcore.inference.executors import check_count
from lmmcore.inference.levels import validate_level


def predict_band(
    m,
    newdata: pd.DataFrame,
    level: float = 0.95,
    nsim: int = 1000,
    seed: int | None = None,
    re: bool = False,
) -> pd.DataFrame:
    """Prediction with a parametric-bootstrap percentile band.

    Parameters
    ----------
    m : LmmResult
    newdata : DataFrame
        Covariates (and, with ``re=True``, grouping factors) of the rows to predict.
    level : float
        Band level, strictly between 0 and 1.
    nsim : int
        Bootstrap replicates.
    seed : int or None
        Same seed, same band.
    re : bool
        False: population prediction (``re.form = NA``), bootstrap with new random effects (``use.u =
        FALSE``).  True: the groups' curves (``re.form = NULL``), conditional on their fitted effects:
        bootstrap around the fitted values (``use.u = TRUE``); a level unseen in the fit gets the
        population prediction.

    Returns
    -------
    DataFrame
        ``newdata``'s columns plus ``fit`` (``m.predict(newdata, re=re)``), ``lower`` and ``upper``: the
        ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles (R's default ``quantile``) of the
        bootstrapped predictions.
    """
    level = validate_level(level)
    nsim = check_count("nsim", nsim)
    boot = bootstrap(m, nsim=nsim, seed=seed, use_u=re)
    predictions = boot.beta @ _fixed_rows(m, newdata).T
    if re:
        predictions = predictions + boot.ranef @ _random_rows(m, newdata).T
    lower, upper = np.quantile(predictions, [(1 - level) / 2, (1 + level) / 2], axis=0)
    out = newdata.reset_index(drop=True).copy()
    out["fit"] = np.asarray(m.predict(newdata, re=re), dtype=float)
    out["lower"] = lower
    out["upper"] = upper
    return out


def _fixed_rows(m, newdata: pd.DataFrame) -> np.ndarray:
    """The fixed-effects model matrix of ``newdata`` (rows x p)."""
    return np.asarray(encode_newdata(m.design, newdata), dtype=float)


def _random_rows(m, newdata: pd.DataFrame) -> np.ndarray:
    """The random-effects model matrix of ``newdata`` (rows x q); a level unseen in the fit gets zeros
    (its effect is 0, lme4's ``allow.new.levels``)."""
    _, per_term = encode_newdata(m.design, newdata, re=True)
    blocks = []
    for term, (refs, z) in zip(m.design.reterms, per_term):
        refs, z = np.asarray(refs), np.asarray(z, dtype=float)
        block = np.zeros((len(refs), term.nlevels * term.k))
        seen = np.flatnonzero(refs >= 0)
        for j in range(term.k):
            block[seen, refs[seen] * term.k + j] = z[seen, j]
        blocks.append(block)
    return np.hstack(blocks)
