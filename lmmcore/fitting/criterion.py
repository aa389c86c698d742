"""lme4's profiled REML criterion / deviance as a function of theta (Bates et al. 2015, JSS 67(1)).

The Cholesky factor of ``[L'Z'Z L + I, L'Z'X, L'Z'y; ., X'X, X'y; ., ., y'y]`` (``L = Lambda(theta)``) is
computed blockwise as in MixedModels.jl (see :mod:`lmmcore.fitting.blocks`).  With ``r^2`` (pwrss) the
square of its last diagonal entry, ``ldL2`` and ``ldRX2`` twice the sums of the logs of its diagonal over
the random-effect and fixed-effect parts::

    REML criterion = ldL2 + ldRX2 + (n - p) (1 + log(2 pi r^2 / (n - p)))
    deviance (ML)  = ldL2         +  n      (1 + log(2 pi r^2 / n))

Every cross-product is computed once by :func:`make_criterion`; an evaluation never touches the n
observations.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular
from scipy.linalg.lapack import dpotrf, dtrtri

from lmmcore.design.types import Design, ReBlock
from lmmcore.errors import FitError
from lmmcore.fitting import blocks
from lmmcore.fitting.solution import Solution
from lmmcore.fitting.threads import SMALL_DENSE_ORDER, one_blas_thread

# C = R'Z1 is kept dense up to this many entries; beyond it a crossed design uses the sparse kernel
_DENSE_CROSS_LIMIT = 200_000
# the trailing block is dense (m x m); refuse models whose trailing block would not fit in memory
_MAX_TRAILING = 15_000
_LOG_2PI = math.log(2.0 * math.pi)
# dense intermediates of the conditional variances are built in chunks of about this many entries
_CHUNK_ENTRIES = 5_000_000


class Criterion:
    """The profiled criterion of one design and response; call it with theta.

    Build it with :func:`make_criterion`.  ``criterion(theta)`` returns lme4's REML criterion (``reml``)
    or deviance, ``+inf`` where the factorisation fails; :meth:`solve` returns the whole
    :class:`~lmmcore.fitting.solution.Solution`; :meth:`with_response` gives the criterion of another
    response on the same design, reusing every y-free cross-product.

    Attributes
    ----------
    design : Design
    reml : bool
    lower : ndarray
        lme4's bounds on theta: 0 for diagonal elements of the factors, -inf below the diagonal.
    theta0 : ndarray
        lme4's start: 1 on the diagonals, 0 below.
    ntheta : int
    nfev : int
        Evaluations so far (a gradient counts as the evaluations it costs).
    """

    def __init__(self, design: Design, reml: bool, gu, a22, cross):
        self.design = design
        self.reml = bool(reml)
        self._gu = gu
        self._a22 = a22
        self._cross = cross
        terms = design.reterms
        self._first_kernel = blocks.first_block_kernel(terms[0].k)
        self._tri = [blocks.lower_pairs(t.k) for t in terms]
        self._theta_slices = _slices([t.ntheta for t in terms])
        self._rest = terms[1:]
        self._qr = sum(t.nlevels * t.k for t in self._rest)
        self._rest_scalar = all(t.k == 1 for t in self._rest)
        self._re_diag = np.arange(self._qr)
        self._rest_starts = [int(x) for x in np.cumsum([0] + [t.nlevels * t.k for t in self._rest])[:-1]]
        n, p = design.nobs, design.p
        self._n, self._p = n, p
        self.lower = design.theta_lower
        self.theta0 = np.concatenate([np.where(np.isinf(t.theta_lower), 0.0, 1.0) for t in terms])
        self.ntheta = len(self.theta0)
        self.nfev = 0
        # large factorisations run on one BLAS thread whoever calls them (see fitting/threads.py)
        self._large = self._qr + p + 1 > SMALL_DENSE_ORDER
        self._gradient = (
            None if self._rest else blocks.SingleTermGradient(gu, cross.c, a22, design.nobs, self.reml)
        )

    # --- evaluation --------------------------------------------------------------------------------

    def __call__(self, theta) -> float:
        if self._large:
            with one_blas_thread():
                return self._evaluate(theta)
        return self._evaluate(theta)

    def value_and_gradient(self, theta) -> tuple[float, np.ndarray]:
        """The criterion and its gradient in theta (see :meth:`_value_and_gradient`)."""
        if self._large:
            with one_blas_thread():
                return self._value_and_gradient(theta)
        return self._value_and_gradient(theta)

    def solve(self, theta) -> Solution:
        """Fixed effects, conditional modes, sigma, ``(RX'RX)^{-1}``, conditional variances at theta.

        Raises
        ------
        FitError
            If the system is not positive definite at theta (rank-deficient fixed effects).
        """
        if self._large:
            with one_blas_thread():
                return self._solve(theta)
        return self._solve(theta)

    def _evaluate(self, theta) -> float:
        self.nfev += 1
        factors = self._factors(theta)
        ld1, mu = self._first_kernel(factors[0], self._gu)
        chol, info = self._trailing_factor(factors, mu)
        if info != 0:
            return math.inf
        return self._objective(ld1, np.diagonal(chol))[0]

    def _value_and_gradient(self, theta) -> tuple[float, np.ndarray]:
        """The criterion and its gradient in theta.

        Analytic for a single random-effects term (:class:`~lmmcore.fitting.blocks.SingleTermGradient`).
        With several terms, the entries of scalar terms after the first are analytic too: for such a term
        ``t`` (``Lambda_t = theta_t I``, ``q_t`` levels)::

            d log det Omega / d theta_t = 2 (q_t - sum_{i in t} (Omega^{-1})_ii) / theta_t
            d pwrss / d theta_t         = -2 (Z_t' resid)' b_t / theta_t

        (``Omega^{-1}``'s diagonal there is that of the trailing block's inverse, or of its random-effect
        part for the deviance); the first term's entries, vector terms' entries and a ``theta_t`` near 0
        take forward differences (a step of 1e-7 relative, always into the feasible side).
        """
        theta = np.asarray(theta, dtype=float)
        if self._gradient is not None:
            return self._single_term_value_and_gradient(theta)
        self.nfev += 1
        factors = self._factors(theta)
        ld1, mu = self._first_kernel(factors[0], self._gu)
        chol, info = self._trailing_factor(factors, mu)
        if info != 0:
            return math.inf, np.zeros(self.ntheta)
        value = self._objective(ld1, np.diagonal(chol))[0]
        analytic = self._rest_scalar_gradient(theta, factors, chol) if self._rest_scalar else {}
        grad = np.empty(self.ntheta)
        for i in range(self.ntheta):
            if i in analytic:
                grad[i] = analytic[i]
                continue
            step = theta.copy()
            h = 1e-7 * max(abs(theta[i]), 0.1)
            step[i] += h
            grad[i] = (self._evaluate(step) - value) / h
        return value, grad

    def _single_term_value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        self.nfev += 1
        logdet, grad, pwrss = self._gradient(self._factors(theta)[0])
        if not pwrss > 0:
            return math.inf, np.zeros(self.ntheta)
        n, p = self._n, self._p
        if self.reml:
            dof = n - p
            value = logdet + (dof - 1) * math.log(pwrss) + dof * (1.0 + _LOG_2PI - math.log(dof))
        else:
            value = logdet + n * (1.0 + _LOG_2PI + math.log(pwrss / n))
        return value, grad

    def _rest_scalar_gradient(self, theta, factors, chol) -> dict[int, float]:
        """Analytic derivatives in the scalar terms after the first (see :meth:`value_and_gradient`)."""
        qr, p, n = self._qr, self._p, self._n
        lower = np.tril(chol)
        solution = solve_triangular(lower[:-1, :-1], lower[-1, :-1], lower=True, trans="T")
        pwrss = lower[-1, -1] ** 2
        scale = np.concatenate([np.full(t.nlevels, f[0, 0]) for t, f in zip(self._rest, factors[1:])])
        b_rest = solution[:qr] * scale
        beta = solution[qr:]
        a_inv = blocks.factor_first_block(factors[0], self._gu)[1]
        starts = self._rest_starts
        b_first = self._first_modes(
            factors[0], a_inv, [b_rest[s : s + t.nlevels, None] for t, s in zip(self._rest, starts)], beta
        )
        known = np.concatenate([b_rest, beta, [-1.0]])
        z_resid = -(self._a22[:qr] @ known) - self._cross.re_rows(qr) @ b_first.T.ravel()
        inverse = np.tril(dtrtri(lower if self.reml else lower[:qr, :qr], lower=1)[0])
        inverse_diag = np.einsum("ki,ki->i", inverse[:, :qr], inverse[:, :qr])
        weight = (n - p - 1 if self.reml else n) / pwrss
        out = {}
        for term, start, sl in zip(self._rest, starts, self._theta_slices[1:]):
            value = theta[sl.start]
            if abs(value) < 1e-3:  # the ratio loses its digits near 0; differences do fine there
                continue
            block = slice(start, start + term.nlevels)
            logdet_part = 2.0 * (term.nlevels - inverse_diag[block].sum())
            pwrss_part = -2.0 * weight * float(z_resid[block] @ b_rest[block])
            out[sl.start] = (logdet_part + pwrss_part) / value
        return out

    def _factors(self, theta) -> list[np.ndarray]:
        theta = np.asarray(theta, dtype=float)
        out = []
        for term, (rows, cols), sl in zip(self.design.reterms, self._tri, self._theta_slices):
            t = np.zeros((term.k, term.k))
            t[rows, cols] = theta[sl]
            out.append(t)
        return out

    def _trailing_factor(self, factors, mu) -> tuple[np.ndarray, int]:
        """Lower Cholesky factor of the Schur complement ``Lr'(R'R - C M C')Lr + P`` and LAPACK's info."""
        s = self._cross.schur(self._a22, mu)
        if self._rest:
            s = self._scale_by_lambda(s, factors[1:])
            s[self._re_diag, self._re_diag] += 1.0
        # s is symmetric and C-ordered: its transpose is the same matrix in Fortran order, no copy
        upper, info = dpotrf(s.T, lower=0, clean=0, overwrite_a=1)
        return upper.T, info

    def _scale_by_lambda(self, s: np.ndarray, factors) -> np.ndarray:
        """``Lr' S Lr`` with ``Lr = blockdiag(I (x) T_2, ..., I (x) T_T, I_{p+1})``."""
        if self._rest_scalar:
            d = np.ones(s.shape[0])
            for term, t, start in zip(self._rest, factors, self._rest_starts):
                d[start : start + term.nlevels] = t[0, 0]
            s *= d[:, None]
            s *= d[None, :]
            return s
        s = np.tril(s) + np.tril(s, -1).T
        m = s.shape[0]
        for term, t, start in zip(self._rest, factors, self._rest_starts):
            block = slice(start, start + term.nlevels * term.k)
            s[:, block] = (s[:, block].reshape(m, term.nlevels, term.k) @ t).reshape(m, -1)
            s[block, :] = (t.T @ s[block, :].reshape(term.nlevels, term.k, m)).reshape(-1, m)
        return s

    def _objective(self, ld1: float, diag: np.ndarray) -> tuple[float, float, float, float]:
        """(criterion, ldL2, ldRX2, pwrss) from the first block's log-determinant and L22's diagonal."""
        logs = np.log(diag[:-1])
        qr = self._qr
        ldl2 = ld1 + 2.0 * float(logs[:qr].sum())
        ldrx2 = 2.0 * float(logs[qr:].sum())
        pwrss = float(diag[-1]) ** 2
        n, p = self._n, self._p
        if self.reml:
            dof = n - p
            value = ldl2 + ldrx2 + dof * (1.0 + _LOG_2PI + math.log(pwrss / dof))
        else:
            value = ldl2 + n * (1.0 + _LOG_2PI + math.log(pwrss / n))
        return value, ldl2, ldrx2, pwrss

    # --- the solution at one theta ----------------------------------------------------------------------

    def _solve(self, theta) -> Solution:
        theta = np.array(theta, dtype=float)
        factors = self._factors(theta)
        ld1, a_inv, m_full = blocks.factor_first_block(factors[0], self._gu)
        rows, cols = self._tri[0]
        chol, info = self._trailing_factor(factors, m_full[:, rows, cols].T)
        if info != 0:
            raise FitError(
                "The model matrix is rank deficient at these variance parameters: "
                "remove collinear fixed effects."
            )
        chol = np.tril(chol)
        objective, ldl2, ldrx2, pwrss = self._objective(ld1, np.diagonal(chol))
        qr, p = self._qr, self._p
        solution = solve_triangular(chol[:-1, :-1], chol[-1, :-1], lower=True, trans="T")
        b_rest = [
            solution[start : start + term.nlevels * term.k].reshape(term.nlevels, term.k) @ t.T
            for term, t, start in zip(self._rest, factors[1:], self._rest_starts)
        ]
        beta = solution[qr:]
        b_first = self._first_modes(factors[0], a_inv, b_rest, beta)
        b = (b_first, *b_rest)
        dof = self._n - p if self.reml else self._n
        sigma = math.sqrt(pwrss / dof)
        unscaled_vcov = np.zeros((0, 0))
        if p:
            rx_inv = dtrtri(chol[qr : qr + p, qr : qr + p], lower=1)[0]
            unscaled_vcov = rx_inv.T @ rx_inv
        cond_var = self._conditional_variances(factors, a_inv, chol[:qr, :qr], sigma)
        return Solution(
            theta=theta,
            reml=self.reml,
            objective=objective,
            beta=beta,
            b=b,
            sigma=sigma,
            pwrss=pwrss,
            ldL2=ldl2,
            ldRX2=ldrx2,
            unscaled_vcov=unscaled_vcov,
            cond_var=cond_var,
            fitted=self._fitted(beta, b),
        )

    def _first_modes(self, t1, a_inv, b_rest, beta) -> np.ndarray:
        """``b1 = T1 A_j^{-1} T1' Z1'(y - X beta - Z_r b_r)`` per level, shape (nlevels, k)."""
        known = np.concatenate([*(b.ravel() for b in b_rest), beta])
        rhs = self._cross.y_row() - self._cross.rmatvec(known)
        u = (a_inv @ (t1.T @ rhs).T[:, :, None])[:, :, 0]
        return u @ t1.T

    def _conditional_variances(self, factors, a_inv, l_rest, sigma) -> tuple[np.ndarray, ...]:
        """lme4's postVar: diagonal blocks of ``sigma^2 Lambda (L'Z'Z L + I)^{-1} Lambda'`` per term.

        With ``A = [A11, B'; B, Arr]`` (first term, the rest) and ``Lr`` the factor of the Schur complement,
        the diagonal blocks of ``A^{-1}`` are ``A_j^{-1} + E_j'E_j`` (``E = Lr^{-1} B A11^{-1}``) for the
        first term and the diagonal blocks of ``Lr^{-T} Lr^{-1}`` for the others.
        """
        inv_blocks = [a_inv]
        if self._rest:
            lr_inv = dtrtri(l_rest, lower=1)[0]
            qr = self._qr
            for term, start in zip(self._rest, self._rest_starts):
                cols = lr_inv[:, start : start + term.nlevels * term.k].reshape(qr, term.nlevels, term.k)
                inv_blocks.append(np.einsum("rls,rlt->lst", cols, cols))
            lam_rest = sp.block_diag(
                [sp.kron(sp.eye(t.nlevels), f) for t, f in zip(self._rest, factors[1:])], format="csr"
            )
            scaled = lam_rest.T @ self._cross.re_rows(qr)
            inv_blocks[0] = a_inv + self._first_term_correction(scaled, lr_inv, factors[0], a_inv)
        s2 = sigma * sigma
        return tuple(s2 * (t @ v @ t.T) for t, v in zip(factors, inv_blocks))

    def _first_term_correction(self, scaled, lr_inv, t1, a_inv) -> np.ndarray:
        """``E_j'E_j`` per first-term level, ``E_j = Lr^{-1} (Lambda_r' C_r)_j T1 A_j^{-1}``, in chunks.

        ``Lr`` is the factor of the Schur complement's random-effect part; ``Lr^{-1} Lambda_r' C_r`` is dense
        (random-effect rows x first-term columns), so chunks bound its memory.
        """
        qr = lr_inv.shape[0]
        k1, nl1 = t1.shape[0], a_inv.shape[0]
        if sp.issparse(scaled):
            scaled = scaled.tocsc()
        out = np.empty_like(a_inv)
        chunk = max(1, _CHUNK_ENTRIES // (qr * k1))
        for first in range(0, nl1, chunk):
            levels = np.arange(first, min(first + chunk, nl1))
            columns = (np.arange(k1)[:, None] * nl1 + levels[None, :]).ravel()
            part = scaled[:, columns]
            dense = np.asarray((part.T @ lr_inv.T).T).reshape(qr, k1, len(levels))
            e = np.einsum("rsj,st,jtu->rju", dense, t1, a_inv[levels], optimize=True)
            out[levels] = np.einsum("rju,rjv->juv", e, e)
        return out

    def _fitted(self, beta, b) -> np.ndarray:
        fitted = self.design.X @ beta
        for term, modes in zip(self.design.reterms, b):
            fitted += np.einsum("ik,ik->i", term.z, modes[term.refs])
        return fitted

    # --- another response -----------------------------------------------------------------------------

    def with_response(self, y) -> Criterion:
        """The criterion of response ``y`` on the same design; only y's cross-products are recomputed."""
        y = np.asarray(y, dtype=float)
        design = self.design.with_response(y)
        first = design.reterms[0]
        a22 = self._a22.copy()
        y_col = _trailing_y_column(design, self._qr)
        a22[-1, :] = y_col
        a22[:, -1] = y_col
        cy = blocks.level_cross(first.refs, first.z, first.nlevels, y[:, None])[:, 0, :]
        other = copy.copy(self)
        other.design, other._a22, other._cross, other.nfev = design, a22, self._cross.with_y_row(cy), 0
        if self._gradient is not None:
            other._gradient = self._gradient.with_response(other._cross.c, a22)
        return other


def make_criterion(design: Design, reml: bool = True) -> Criterion:
    """Precompute every cross-product of ``design`` and return its profiled criterion.

    Parameters
    ----------
    design : Design
        The numeric design; ``reterms`` in lme4's order (decreasing number of levels).
    reml : bool
        REML criterion (default) or deviance (maximum likelihood).

    Raises
    ------
    FitError
        If the model has no random-effects term or its crossed random effects are too large.
    """
    if not design.reterms:
        raise FitError("The formula has no random-effects term: add one such as (1 | group).")
    if design.nobs <= design.p:
        # the residual has n - p <= 0 degrees of freedom: sigma is 0 and the criterion undefined
        raise FitError(
            f"The fixed effects have {design.p} coefficients (after dropping collinear ones) but there are "
            f"only {design.nobs} observations: use fewer fixed effects, or a factor with fewer levels "
            "(is a numeric or date column being read as text?)."
        )
    first, rest = design.reterms[0], design.reterms[1:]
    qr = sum(t.nlevels * t.k for t in rest)
    m = qr + design.p + 1
    if m > _MAX_TRAILING:
        raise FitError(
            f"The random-effects terms after the first have {qr} coefficients in all; at most "
            f"{_MAX_TRAILING - design.p - 1} are supported: use fewer or coarser crossed grouping factors."
        )
    gu = blocks.level_gram(first.refs, first.z, first.nlevels)
    a22 = _trailing_gram(design, qr)
    xy = np.column_stack([design.X, design.y])
    cross_xy = blocks.level_cross(first.refs, first.z, first.nlevels, xy)
    if not rest or first.k * m * first.nlevels <= _DENSE_CROSS_LIMIT:
        cross = blocks.DenseCross(_dense_cross(first, rest, cross_xy, m))
    else:
        cross = _sparse_cross(first, rest, cross_xy, m)
    return Criterion(design, reml, gu, a22, cross)


def _slices(sizes) -> list[slice]:
    ends = np.cumsum(sizes)
    return [slice(int(e - s), int(e)) for s, e in zip(sizes, ends)]


def _re_columns(terms: tuple[ReBlock, ...]):
    """For each term and column: (row index of each observation in the stacked Z_r, the column values)."""
    start = 0
    for term in terms:
        for u in range(term.k):
            yield start + term.refs * term.k + u, term.z[:, u]
        start += term.nlevels * term.k


def _trailing_gram(design: Design, qr: int) -> np.ndarray:
    """``R'R`` for ``R = [Z_2 .. Z_T, X, y]``, dense m x m."""
    rest = design.reterms[1:]
    xy = np.column_stack([design.X, design.y])
    m = qr + xy.shape[1]
    out = np.empty((m, m))
    out[qr:, qr:] = xy.T @ xy
    if not rest:
        return out
    columns = list(_re_columns(rest))
    index = np.concatenate([ra.astype(np.int64) * m + rb for ra, _ in columns for rb, _ in columns])
    weights = np.concatenate([va * vb for _, va in columns for _, vb in columns])
    out[:qr, :qr] = np.bincount(index, weights, m * m).reshape(m, m)[:qr, :qr]
    start = 0
    for term in rest:
        c = blocks.level_cross(term.refs, term.z, term.nlevels, xy)  # (k, p+1, nlevels)
        block = c.transpose(2, 0, 1).reshape(term.nlevels * term.k, -1)
        out[start : start + len(block), qr:] = block
        out[qr:, start : start + len(block)] = block.T
        start += len(block)
    return out


def _dense_cross(first: ReBlock, rest, cross_xy: np.ndarray, m: int) -> np.ndarray:
    """``C = R'Z1`` as ``(k1, m, nlevels1)``."""
    k1, nl1 = first.k, first.nlevels
    c = np.zeros((k1, m, nl1))
    c[:, m - cross_xy.shape[1] :, :] = cross_xy
    for s in range(k1):
        for rows, values in _re_columns(rest):
            c[s] += np.bincount(
                rows.astype(np.int64) * nl1 + first.refs, values * first.z[:, s], m * nl1
            ).reshape(m, nl1)
    return c


def _sparse_cross(first: ReBlock, rest, cross_xy: np.ndarray, m: int) -> blocks.SparseCross:
    """``C = R'Z1`` with its random-effect and X rows sparse, and the fixed Schur map built once."""
    k1, nl1 = first.k, first.nlevels
    levels, rows, values = [], [], []
    for row, v in _re_columns(rest):
        levels.append(first.refs)
        rows.append(row)
        values.append(v[:, None] * first.z)
    p = cross_xy.shape[1] - 1
    x_level, x_row = np.meshgrid(np.arange(nl1), np.arange(m - 1 - p, m - 1), indexing="xy")
    levels.append(x_level.ravel())
    rows.append(x_row.ravel())
    values.append(cross_xy[:, :p, :].reshape(k1, -1).T)
    cross = blocks.SparseCross.build(
        np.concatenate(levels), np.concatenate(rows), np.concatenate(values), m - 1, nl1
    )
    return cross.with_y_row(cross_xy[:, p, :])


def _trailing_y_column(design: Design, qr: int) -> np.ndarray:
    """The last column of ``R'R``: ``[Z_r'y, X'y, y'y]``."""
    y = design.y
    parts = []
    for term in design.reterms[1:]:
        c = blocks.level_cross(term.refs, term.z, term.nlevels, y[:, None])[:, 0, :]
        parts.append(c.T.ravel())
    parts.append(design.X.T @ y)
    parts.append([y @ y])
    return np.concatenate(parts)
