"""lmerTest's type III hypothesis matrices: which linear functions of beta each fixed term's F test tests.

lmerTest 3.1-3 (``get_contrasts_type3`` for treatment contrasts) works with the over-parameterised
coding ``D`` of the fixed part (an intercept, then every factor of every term coded by indicators of all
its levels) next to the model's own ``X`` (``p`` columns):

1. ``L = (X^+ D)'``, shape ``(q, p)``: row ``i`` expresses ``D``'s column ``i`` in ``X``'s columns.
2. A term ``T`` *contained* in a term ``U`` (``T``'s variables a proper subset of ``U``'s, with the same
   numeric variables; a term's variables are those R's ``factors`` attribute marks 1) is orthogonalised:
   from the highest order down, ``L``'s columns of ``T`` are replaced by their least-squares residuals on
   the columns of the terms containing ``T``.  So ``A`` in ``A * B`` is tested averaged over ``B``'s
   levels and ``x`` in ``A * x`` as the mean slope, while ``A`` in ``A * x`` stays ``A`` at ``x = 0``.
3. The rows of ``L`` named as ``X``'s columns form a ``p x p`` matrix; term ``T``'s hypothesis is the
   transpose of its columns, without zero rows.

``X^+ D`` is computed on made-up rows (:func:`lmmcore.design.fixed.dummy_coding_sample`): each column of
``D`` is a fixed linear combination of ``X``'s columns whatever the data, as long as no column of ``X`` was
dropped for rank deficiency.  With dropped columns (empty cells) lmerTest's matrices depend on the data's
cell counts and the ones here, those of data with every cell filled, may differ.
"""

from __future__ import annotations

import numpy as np

from lmmcore.design.fixed import dummy_coding_sample
from lmmcore.errors import InferenceError
from lmmcore.formula.spec import Expr, Term

#: lmerTest's threshold for a row of a hypothesis matrix to count as zero.
_ZERO_ROW = 1e-8
#: Largest misfit of ``D`` by ``X`` on the made-up rows that still counts as an exact identity.
_SPAN_TOL = 1e-8


def type3_hypotheses(design) -> dict[str, np.ndarray]:
    """lmerTest's type III hypothesis matrix, shape ``(k, p)``, of each fixed term with columns in X.

    Parameters
    ----------
    design : Design
        With ``fixed_terms`` and ``fixed_assign``, as :func:`lmmcore.design.build_design` makes it.

    Returns
    -------
    dict
        Term label -> hypothesis matrix ``H``: the term's F test is of ``H beta = 0``.
    """
    columns = term_columns(design)
    L, names, numeric = _dummy_in_x(design)
    terms = design.formula.fixed
    containers = containment(terms, numeric)
    for t in np.argsort([-len(term.factors) for term in terms], kind="stable"):
        outer = np.concatenate([columns[u] for u in containers[t]] + [np.zeros(0, dtype=np.intp)])
        if columns[t].size and outer.size:
            L[:, columns[t]] = _zapsmall(_residuals(L[:, outer], L[:, columns[t]]))
    square = L[_rows_named(names, design.fixed_names)]
    hypotheses = {}
    for label, cols in zip(design.fixed_terms, columns):
        h = square[:, cols].T
        h = h[np.abs(h).sum(axis=1) > _ZERO_ROW]
        if h.size:  # lmerTest's table has no row for a term without a hypothesis
            hypotheses[label] = h
    return hypotheses


def term_columns(design) -> list[np.ndarray]:
    """Columns of X of each fixed term, in ``design.fixed_terms`` order (R's ``assign``)."""
    assign = np.asarray(design.fixed_assign)
    if assign.shape != (design.p,) or len(design.fixed_terms) != len(getattr(design.formula, "fixed", ())):
        raise InferenceError(
            "this design does not say which term each fixed-effect column belongs to; "
            "build it with lmmcore.design.build_design (or lmmcore.fit)"
        )
    return [np.flatnonzero(assign == t + 1) for t in range(len(design.fixed_terms))]


def containment(terms: tuple[Term, ...], numeric: frozenset[Expr]) -> list[list[int]]:
    """lmerTest's ``containment``: for each term, the indices of the terms that contain it."""
    variables = contrast_variables(terms)
    numerics = [v & numeric for v in variables]
    return [
        [u for u in range(len(terms)) if variables[t] < variables[u] and numerics[t] == numerics[u]]
        for t in range(len(terms))
    ]


def contrast_variables(terms: tuple[Term, ...]) -> list[frozenset[Expr]]:
    """Variables R's ``factors`` attribute marks 1 in each term (R's ``TermCode``).

    A variable is marked 1 when the term without it is empty or contained in a preceding term, else 2
    (numeric variables included).
    """
    sets = [frozenset(t.factors) for t in terms]
    return [
        frozenset(v for v in s if not (s - {v}) or any((s - {v}) <= earlier for earlier in sets[:j]))
        for j, s in enumerate(sets)
    ]


def _dummy_in_x(design) -> tuple[np.ndarray, tuple[str, ...], frozenset[Expr]]:
    """``zapsmall((X^+ D)')`` on the data, with ``D``'s column names and the numeric variables.

    On the made-up rows ``D = X_R C`` exactly (``X_R`` R's coding before the rank check); on the data the
    columns dropped from ``X_R`` are ``X A`` (``A`` = ``design.fixed_aliases``), so ``X^+ D`` is ``C``'s
    kept rows plus ``A`` times its dropped rows.
    """
    sample = dummy_coding_sample(design)
    coefficients, *_ = np.linalg.lstsq(sample.X, sample.full, rcond=None)
    scale = max(1.0, float(np.max(np.abs(sample.full))))
    if np.max(np.abs(sample.X @ coefficients - sample.full), initial=0.0) > _SPAN_TOL * scale:
        raise InferenceError(
            "type III tests need every term's indicator coding to be spanned by the model's columns; "
            "add the missing marginal terms (e.g. A + B + A:B rather than A:B alone)"
        )
    dropped = np.setdiff1d(np.arange(sample.X.shape[1]), sample.keep)
    in_x = coefficients[sample.keep]
    if dropped.size:
        if design.fixed_aliases is None:
            raise InferenceError("this design does not record how its dropped columns depend on the others")
        in_x = in_x + design.fixed_aliases @ coefficients[dropped]
    return _zapsmall(in_x.T), sample.names, sample.numeric


def _rows_named(names: tuple[str, ...], wanted: tuple[str, ...]) -> np.ndarray:
    position = {name: i for i, name in enumerate(names)}
    missing = [name for name in wanted if name not in position]
    if missing:
        raise InferenceError(f"type III hypotheses: no indicator column named {', '.join(missing)}")
    return np.array([position[name] for name in wanted], dtype=np.intp)


def _residuals(basis: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares residuals of each column of ``target`` on the columns of ``basis`` (any rank)."""
    return target - basis @ np.linalg.lstsq(basis, target, rcond=None)[0]


def _zapsmall(a: np.ndarray, digits: int = 7) -> np.ndarray:
    """R's ``zapsmall``: round to ``digits`` significant digits of the largest magnitude.

    Kept because lmerTest's hypotheses carry its rounding (1/3 becomes 0.3333333).
    """
    largest = np.max(np.abs(a), initial=0.0)
    decimals = digits if largest == 0 else max(0, int(np.floor(digits - np.log10(largest) + 0.5)))
    return np.round(a, decimals)
