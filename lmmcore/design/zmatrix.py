"""The random-effects model matrix ``Z`` (lme4's ``getME(m, "Z")``), the one place it is built.

A term over ``m`` levels with ``k`` columns contributes ``m k`` columns to ``Z``, level by level with the
term's columns innermost (lme4's order): observation ``i`` in level ``l`` has the term's row ``z_i`` in
columns ``l k .. l k + k - 1`` and zeros elsewhere.  ``Z`` is sparse (``k`` nonzeros per row and term).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from lmmcore.design.types import Design, ReBlock


def term_z(term: ReBlock) -> sp.csr_matrix:
    """One term's block of ``Z``: n x (nlevels k)."""
    n, k = term.z.shape
    # every row holds exactly k entries, in column order: CSR arrays directly (no COO conversion)
    indptr = np.arange(0, n * k + 1, k)
    cols = (term.refs[:, None] * k + np.arange(k)).ravel()
    return sp.csr_matrix((term.z.ravel(), cols, indptr), shape=(n, term.nlevels * k))


def random_effects_z(design: Design) -> sp.csr_matrix:
    """The whole ``Z``: n x q, the terms' blocks side by side in ``design.reterms`` order."""
    return sp.hstack([term_z(term) for term in design.reterms], format="csr")


def level_cross(term: ReBlock, columns: np.ndarray) -> np.ndarray:
    """``Z_l' C`` for every level ``l`` of a term: shape (nlevels, k, ncol).

    With ``C = term.z`` this is each level's ``Z_l' Z_l``, the diagonal blocks of the term's ``Z'Z``.
    """
    columns = np.asarray(columns, dtype=float)
    product = term_z(term).T @ columns.reshape(len(columns), -1)
    return np.asarray(product).reshape(term.nlevels, term.k, -1)
