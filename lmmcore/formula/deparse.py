"""FormulaSpec -> canonical lme4-style formula text (``Biomass ~ Temp + N + (1 + Temp | Site)``).

The text parses back to an equal spec.  R labels a term's factors by first appearance of each variable,
so terms are written by degree, except that an interaction is moved earlier when that is what makes its
variables appear in the order its label states (``y ~ b:c + a + c`` must not become ``y ~ a + c + b:c``).
"""

from __future__ import annotations

from lmmcore.formula.spec import (
    Expr,
    FormulaSpec,
    RandomTerm,
    Term,
    expr_label,
    group_label,
    term_label,
)


def deparse_formula(spec: FormulaSpec) -> str:
    """The formula of ``spec`` as lme4 would write it, with the intercept explicit where it matters.

    Examples: ``y ~ 1 + (1 | a) + (1 | b:a)``, ``y ~ 0 + x + (0 + x | g)``, ``Reaction ~ Days +
    (1 + Days | Subject)``.
    """
    fixed = terms_text(spec.fixed)
    if not spec.intercept:
        fixed.insert(0, "0")
    elif not fixed:
        fixed.append("1")
    bars = [f"({_bar_lhs(rt)} | {group_label(rt)})" for rt in spec.random]
    return f"{expr_label(spec.response)} ~ {' + '.join(fixed + bars)}"


def _bar_lhs(term: RandomTerm) -> str:
    return " + ".join(["1" if term.intercept else "0"] + terms_text(term.terms))


def terms_text(terms: tuple[Term, ...]) -> list[str]:
    """The pieces (joined by `` + ``) that write ``terms`` back with the same order and labels.

    Usually the terms themselves, by degree.  When no order of the terms introduces the variables as the
    labels require (``(a + b):c`` gives ``a:c``, ``b:c``: ``c`` would come before ``b``), the text
    starts with ``a:b:c - a:b:c``, which adds no term but fixes the variables' order, as R reads it.
    """
    must_follow: dict[Expr, set[Expr]] = {}
    for term in terms:
        for i, factor in enumerate(term.factors):
            must_follow.setdefault(factor, set()).update(term.factors[:i])
    ordered = _writing_order(terms, must_follow)
    if ordered is not None:
        return [term_label(t) for t in ordered]
    prefix = ":".join(expr_label(v) for v in _variable_order(terms, must_follow))
    return [f"{prefix} - {prefix}"] + [term_label(t) for t in terms]


def _writing_order(terms: tuple[Term, ...], must_follow: dict[Expr, set[Expr]]) -> list[Term] | None:
    """Terms in an order that keeps each degree's order and introduces variables as the labels require
    (the lowest-degree term that can go next goes next), or None if there is no such order."""
    pending = list(terms)
    written: set[Expr] = set()
    out = []
    while pending:
        heads = {}
        for i, term in enumerate(pending):
            heads.setdefault(len(term.factors), i)
        chosen = next((i for i in heads.values() if _can_write(pending[i], written, must_follow)), None)
        if chosen is None:
            return None
        term = pending.pop(chosen)
        out.append(term)
        written.update(term.factors)
    return out


def _can_write(term: Term, written: set[Expr], must_follow: dict[Expr, set[Expr]]) -> bool:
    available = set(written)
    for factor in term.factors:
        if factor not in written and not must_follow[factor] <= available:
            return False
        available.add(factor)
    return True


def _variable_order(terms: tuple[Term, ...], must_follow: dict[Expr, set[Expr]]) -> list[Expr]:
    """The variables in an order consistent with every label (labels come from one total order)."""
    remaining = list(must_follow)
    out: list[Expr] = []
    while remaining:
        ready = next(v for v in remaining if must_follow[v] <= set(out))
        remaining.remove(ready)
        out.append(ready)
    return out
