"""Which random-effects term makes a fit singular, and how: lme4's ``isSingular`` per term, read with
``rePCA``.

A term with k columns has covariance ``sigma^2 T T'`` (``T`` its lower-triangular relative factor). lme4
calls the fit singular when a diagonal element of some ``T`` is below 1e-4; then ``T`` has a singular
value below the tolerance too (for a triangular matrix the smallest singular value is at most the smallest
diagonal magnitude), so the covariance is rank-deficient: some combination ``u' b`` of the term's random
effects has no variance (``u`` a left singular vector of ``T`` with a singular value near 0). The
diagnosis names that combination:

- a single column (``u`` is a unit vector): that column's variance is 0;
- two columns: their correlation is +1 or -1 (``b_i`` is a multiple of ``b_j``);
- more: the covariance has rank r < k (``rePCA``'s standard deviations show which directions vanish).

The singular values of ``T`` are ``rePCA``'s ``sdev`` (standard deviations of the principal components,
relative to sigma).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmmcore.fitting.singular import SINGULAR_TOL, on_boundary
from lmmcore.varcomp import split_theta, term_labels

# A left singular vector's entry counts as part of the vanishing combination above this magnitude: the
# vector has unit length, so smaller entries carry under 0.01 % of it.
_LOADING = 1e-2


@dataclass(frozen=True)
class SingularTerm:
    """The diagnosis of one random-effects term on the boundary.

    Attributes
    ----------
    group : str
        lme4's name of the term in ``VarCorr`` (``"Site"``; ``"Subject.1"`` for a second term).
    term : str
        The term as a formula would write it (``"(1 + Temp | Site)"``).
    kind : str
        ``"variance"`` (columns with variance 0), ``"correlation"`` (two columns correlated +-1) or
        ``"rank"`` (a combination of more columns without variance).
    columns : tuple of str
        The columns concerned (lme4's names, ``"(Intercept)"``).
    correlation : float
        The correlation of the two columns (``kind == "correlation"``), else NaN.
    rank : int
        Rank of the term's covariance (number of singular values of ``T`` above the tolerance).
    sdev : tuple of float
        Singular values of ``T``, decreasing: ``rePCA``'s standard deviations relative to sigma.
    """

    group: str
    term: str
    kind: str
    columns: tuple[str, ...]
    correlation: float
    rank: int
    sdev: tuple[float, ...]

    @property
    def message(self) -> str:
        """One line for the user, e.g. ``Site: the (1 + Temp | Site) covariance is singular:
        correlation (Intercept)-Temp is -1.00``."""
        if self.kind == "variance" and len(self.sdev) == 1:
            return f"{self.group}: the {self.term} variance is estimated as 0"
        if self.kind == "variance":
            which = " and ".join(self.columns)
            verb = "is" if len(self.columns) == 1 else "are"
            detail = f"the variance of {which} {verb} 0"
        elif self.kind == "correlation":
            detail = f"correlation {'-'.join(self.columns)} is {self.correlation:.2f}"
        else:
            shown = ", ".join(f"{s:.3g}" for s in self.sdev)
            detail = f"rank {self.rank} of {len(self.sdev)} (principal components' relative SDs {shown})"
        return f"{self.group}: the {self.term} covariance is singular: {detail}"


def singular_terms(m, tol: float = SINGULAR_TOL) -> tuple[SingularTerm, ...]:
    """Diagnose every term that makes ``m`` singular (empty when ``m.singular`` is False).

    Parameters
    ----------
    m : LmmResult
        A fitted model.
    tol : float
        lme4's ``isSingular`` tolerance on the diagonal of each relative factor, also used for its
        singular values.

    Returns
    -------
    tuple of SingularTerm
        In the order of lme4's terms (decreasing number of levels).
    """
    reterms = m.design.reterms
    theta = np.asarray(m.theta, dtype=float)
    out = []
    start = 0
    for block, label, T in zip(reterms, term_labels(reterms), split_theta(theta, reterms)):
        stop = start + block.ntheta
        if on_boundary(theta[start:stop], block.theta_lower, tol).any():
            out.append(_diagnose(T, block.names, label, block.group, tol))
        start = stop
    return tuple(out)


def _diagnose(T: np.ndarray, names: tuple[str, ...], label: str, group: str, tol: float) -> SingularTerm:
    u, sdev, _ = np.linalg.svd(T)
    rank = int(np.sum(sdev >= tol))
    term = _term_text(names, group)

    def result(kind: str, columns, correlation: float = np.nan) -> SingularTerm:
        return SingularTerm(label, term, kind, tuple(columns), correlation, rank, tuple(map(float, sdev)))

    sd = np.sqrt(np.sum(T**2, axis=1))
    zero = [names[i] for i in np.flatnonzero(sd < tol)]
    missing = len(names) - rank
    if zero and len(zero) >= missing:
        return result("variance", zero)
    if missing == 1:
        involved = np.flatnonzero(np.abs(u[:, -1]) > _LOADING)
        if len(involved) == 2:
            i, j = involved
            cov = T @ T.T
            return result("correlation", (names[i], names[j]), float(cov[i, j] / (sd[i] * sd[j])))
        return result("rank", [names[i] for i in involved])
    return result("rank", names)


def _term_text(names: tuple[str, ...], group: str) -> str:
    """``(1 + Temp | Site)`` from the term's column names (``0 +`` when it has no intercept)."""
    parts = ["1" if n == "(Intercept)" else n for n in names]
    if "1" not in parts:
        parts.insert(0, "0")
    return f"({' + '.join(parts)} | {group})"
