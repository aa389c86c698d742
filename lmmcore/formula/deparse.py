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
    fixed = [term_label(t) for t in writing_order(spec.fixed)]
    if not spec.intercept:
        fixed.insert(0, "0")
    elif not fixed:
        fixed.append("1")
    bars = [f"({_bar_lhs(rt)} | {group_label(rt)})" for rt in spec.random]
    return f"{expr_label(spec.response)} ~ {' + '.join(fixed + bars)}"


def _bar_lhs(term: RandomTerm) -> str:
    return " + ".join(["1" if term.intercept else "0"] + [term_label(t) for t in writing_order(term.terms)])


def writing_order(terms: tuple[Term, ...]) -> list[Term]:
    """Terms in an order that keeps each degree's order and introduces variables as the labels require.

    A variable may be written once every variable listed before it in some term's label is written; the
    lowest-degree term that respects this goes next (so ordinary formulas come out sorted by degree).
    """
    must_follow: dict[Expr, set[Expr]] = {}
    for term in terms:
        for i, factor in enumerate(term.factors):
            must_follow.setdefault(factor, set()).update(term.factors[:i])
    pending = list(terms)
    written: set[Expr] = set()
    out = []
    while pending:
        chosen = 0
        degrees_seen = set()
        for i, term in enumerate(pending):
            degree = len(term.factors)
            if degree in degrees_seen:
                continue
            degrees_seen.add(degree)
            if _can_write(term, written, must_follow):
                chosen = i
                break
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
