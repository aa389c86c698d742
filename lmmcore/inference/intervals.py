"""``confint(m, method=...)``: one entry point for every kind of confidence interval.

Every method returns lme4's layout: rows ``sdcor_names`` (SDs, correlations, ``sigma``) then the fixed
effects, columns R's percent labels (``"2.5 %"``, ``"97.5 %"``).  The simulation-based methods are
imported only when asked for.
"""

from __future__ import annotations

import pandas as pd

from lmmcore.errors import InferenceError
from lmmcore.inference.executors import check_count
from lmmcore.inference.levels import validate_level

METHODS = ("wald", "profile", "boot", "sim")
#: Replicates when ``nsim`` is not given: lme4's ``confint(method = "boot")`` default, and ``sim``'s.
DEFAULT_NSIM = {"boot": 500, "sim": 1000}


def confint(
    m,
    method: str = "wald",
    level: float = 0.95,
    nsim: int | None = None,
    seed: int | None = None,
    executor=None,
) -> pd.DataFrame:
    """Confidence intervals of every parameter of a fit.

    Parameters
    ----------
    m : LmmResult
    method : {"wald", "profile", "boot", "sim"}
        ``"wald"``: fixed effects +- z se (NaN for variance parameters, as lme4); ``"profile"``:
        likelihood-profile intervals (lme4's default); ``"boot"``: parametric-bootstrap percentile
        intervals; ``"sim"``: quantiles of arm's ``sim`` draws.
    level : float
        Confidence level, strictly between 0 and 1.
    nsim : int, optional
        Replicates for ``"boot"`` (500 by default) and ``"sim"`` (1000); ignored otherwise.
    seed : int, optional
        Seed of the simulation methods (same seed, same intervals).
    executor : concurrent.futures.Executor, optional
        Where bootstrap replicates run.

    Raises
    ------
    InferenceError
        Unknown method, level outside (0, 1), nsim < 1.
    """
    key = method.lower() if isinstance(method, str) else method
    if key not in METHODS:
        raise InferenceError(f"Unknown interval method {method!r}: use one of {', '.join(METHODS)}.")
    level = validate_level(level)
    if key == "wald":
        from lmmcore.inference.wald import wald_intervals

        return wald_intervals(m, level)
    if key == "profile":
        from lmmcore.inference.profile import profile_intervals

        return profile_intervals(m, level)
    count = DEFAULT_NSIM[key] if nsim is None else check_count("nsim", nsim)
    if key == "boot":
        from lmmcore.inference.bootstrap import bootstrap

        return bootstrap(m, nsim=count, seed=seed, executor=executor).intervals(level)
    from lmmcore.inference.posterior import sim

    return sim(m, count, seed).intervals(level)
