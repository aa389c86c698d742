"""boot's percentile interval end points (``norm.inter``), used by the parametric bootstrap's intervals.

lme4's ``confint(method = "boot", boot.type = "perc")`` calls ``boot.ci``, which does not take plain
sample quantiles: it interpolates between order statistics on the normal-quantile scale.
"""

from __future__ import annotations

import numpy as np


def norm_inter(values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """boot's percentile end points: order statistics interpolated on the normal-quantile scale.

    With ``R`` finite draws sorted as ``t_(1) <= ... <= t_(R)`` and ``r = (R + 1) p``: ``t_(r)`` when
    ``r`` is whole; otherwise, with ``k = floor(r)``, the point between ``t_(k)`` and ``t_(k+1)`` at the
    fraction ``(Phi^-1(p) - Phi^-1(k/(R+1))) / (Phi^-1((k+1)/(R+1)) - Phi^-1(k/(R+1)))``; the extreme
    draw when ``k`` is 0 or ``R``.  NaN when no draw is finite.
    """
    # scipy.stats is imported where used: it takes ~0.4 s, and `import lmmcore` stays light
    from scipy import stats

    t = np.sort(values[np.isfinite(values)])
    size = t.size
    if size == 0:
        return np.full(len(probs), np.nan)
    out = np.empty(len(probs))
    for j, p in enumerate(probs):
        rank = (size + 1) * p
        if abs(rank - round(rank)) < 1e-9:  # whole up to rounding of (R + 1) p
            rank = float(round(rank))
        k = int(np.floor(rank))
        if k <= 0:
            out[j] = t[0]
        elif k >= size:
            out[j] = t[-1]
        elif rank == k:
            out[j] = t[k - 1]
        else:
            z, z_lo, z_hi = stats.norm.ppf([p, k / (size + 1), (k + 1) / (size + 1)])
            out[j] = t[k - 1] + (z - z_lo) / (z_hi - z_lo) * (t[k] - t[k - 1])
    return out
