"""``ldL2(theta)`` and ``pwrss(theta)`` separately, from two cheap criterion evaluations.

Profiling an SD or sigma needs the deviance *not* profiled over sigma,
``ldL2 + pwrss / sigma^2 + n log(2 pi sigma^2)``, so the two pieces separately; ``Criterion.solve`` gives
them but also builds everything else a fit reports (~7 times the cost of the criterion itself).

The ML criterion is ``d(theta; y) = ldL2(theta) + n (1 + log(2 pi pwrss(theta; y) / n))`` and ``ldL2``
does not depend on the response.  For a response ``e`` orthogonal to the columns of ``X`` and ``Z``,
``beta = 0, u = 0`` solve the penalized least squares problem, so ``pwrss(theta; e) = ||e||^2`` for every
theta and ``d(theta; e)`` gives ``ldL2(theta)``; then ``d(theta; y)`` gives ``pwrss(theta; y)``.  Such an
``e`` exists when ``[X Z]`` has fewer columns than rows; otherwise (or for a large design, where the
projection would cost more than it saves) the pieces come from ``solve``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lmmcore.design.zmatrix import random_effects_z

#: Largest ``n x (p + q)`` for which the orthogonal response is computed (a dense QR).
_MAX_PROJECTION_SIZE = 4_000_000


@dataclass(frozen=True)
class DevianceParts:
    """``theta -> (ldL2, pwrss)`` for an ML criterion; ``(inf, inf)`` where the criterion is not finite."""

    criterion: object
    blank: object | None
    blank_offset: float

    @classmethod
    def of(cls, criterion) -> DevianceParts:
        """``criterion`` must be an ML criterion (``reml=False``)."""
        design = criterion.design
        e = _orthogonal_response(design)
        if e is None:
            return cls(criterion, None, 0.0)
        n = design.nobs
        return cls(criterion, criterion.with_response(e), n * (1 + math.log(2 * math.pi * (e @ e) / n)))

    def __call__(self, theta: np.ndarray) -> tuple[float, float]:
        """``(ldL2, pwrss)`` at ``theta``; infinite where the factorisation fails numerically (a theta
        far out along a profile of a singular fit), which no minimum can be."""
        try:
            if self.blank is None:
                s = self.criterion.solve(theta)
                return s.ldL2, s.pwrss
            ld = self.blank(theta) - self.blank_offset
            d = self.criterion(theta)
        except np.linalg.LinAlgError:
            return math.inf, math.inf
        if not (math.isfinite(ld) and math.isfinite(d)):
            return math.inf, math.inf
        n = self.criterion.design.nobs
        return ld, n / (2 * math.pi) * math.exp((d - ld) / n - 1)


def _orthogonal_response(design) -> np.ndarray | None:
    """A fixed unit vector orthogonal to every column of X and Z, or None."""
    n = design.nobs
    width = design.p + sum(t.nlevels * t.k for t in design.reterms)
    if width >= n or n * width > _MAX_PROJECTION_SIZE:
        return None
    q, _ = np.linalg.qr(np.hstack([design.X, random_effects_z(design).toarray()]))
    e = np.cos(np.arange(1, n + 1) * 1.7)  # deterministic and far from any column pattern
    e -= q @ (q.T @ e)
    e -= q @ (q.T @ e)  # a second pass removes what rounding left of the projection
    norm = np.linalg.norm(e)
    return e / norm if norm > 1e-8 * math.sqrt(n) else None
