"""Responses simulated from a fitted model, as lme4's ``simulate.merMod`` (new random effects each time).

With spherical random effects ``u ~ N(0, I_q)`` and noise ``e ~ N(0, I_n)``::

    y* = X beta + sigma * (Z Lambda(theta) u + e)

so that ``Var(y*) = sigma^2 (Z Lambda Lambda' Z' + I)``, the model's marginal covariance.  For one
term, ``Lambda`` is block diagonal with the term's lower-triangular factor ``T`` (from theta) once per
level, so a level's effect is ``sigma * T u_level``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lmmcore.design.types import Design
from lmmcore.errors import InferenceError
from lmmcore.varcomp import split_theta

if TYPE_CHECKING:
    from lmmcore.result import LmmResult


def simulate_responses(
    design: Design,
    beta: np.ndarray,
    theta: np.ndarray,
    sigma: float,
    nsim: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw ``nsim`` response vectors for ``design`` at the given parameters.

    Draw order (part of the reproducibility contract): first all spherical random effects, terms in
    ``design.reterms`` order, each as a (nlevels, k, nsim) block; then the (n, nsim) noise.

    Returns
    -------
    ndarray, shape (n, nsim)
    """
    factors = split_theta(np.asarray(theta, dtype=float), design.reterms)
    spherical = [rng.standard_normal((term.nlevels, term.k, nsim)) for term in design.reterms]
    noise = rng.standard_normal((design.nobs, nsim))
    random_part = noise
    for term, T, u in zip(design.reterms, factors, spherical):
        b = np.einsum("ij,ljs->lis", T, u)  # each level's relative effects T u, (nlevels, k, nsim)
        for j in range(term.k):
            random_part += term.z[:, j : j + 1] * b[term.refs, j, :]
    return (design.X @ np.asarray(beta, dtype=float))[:, None] + sigma * random_part


def simulate(m: LmmResult, nsim: int = 1, seed: Any = None) -> pd.DataFrame:
    """Simulate responses from the fitted model ``m`` at its estimates.

    Parameters
    ----------
    m : LmmResult
    nsim : int
        Number of simulated response vectors (>= 1).
    seed : int, SeedSequence, Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same draws.

    Returns
    -------
    DataFrame, shape (n, nsim)
        Columns ``sim_1 .. sim_<nsim>``, rows labelled as ``m.fitted``.
    """
    if isinstance(nsim, bool) or not isinstance(nsim, (int, np.integer)) or nsim < 1:
        raise InferenceError(
            f"nsim must be a whole number >= 1, got {nsim!r}: ask for at least one simulation."
        )
    rng = np.random.default_rng(seed)
    values = simulate_responses(m.design, m.solution.beta, m.solution.theta, m.sigma, int(nsim), rng)
    columns = [f"sim_{i + 1}" for i in range(int(nsim))]
    return pd.DataFrame(values, index=m.row_index, columns=columns)
