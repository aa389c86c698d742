"""The parsed formula as plain, immutable data: the contract between the parser and the design stage.

An :class:`Expr` is one evaluable piece of the fixed part (a column, a whitelisted function call, a power
inside ``I()``); a :class:`Term` is an interaction of expressions; a :class:`RandomTerm` is one
``(lhs | group)`` bar after ``||`` and ``/`` have been expanded exactly as lme4 expands them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    """A data column, referred to by name (backquoted names allowed in the text)."""

    name: str


@dataclass(frozen=True)
class Number:
    """A numeric literal (inside ``I()`` or as a function argument)."""

    value: float


@dataclass(frozen=True)
class Call:
    """A whitelisted function applied to arguments: factor, log, exp, sqrt, scale, I."""

    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class BinaryOp:
    """Arithmetic inside ``I()``: one of ``+ - * / ^``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class UnaryOp:
    """Unary minus inside ``I()``."""

    op: str
    operand: Expr


Expr = Variable | Number | Call | BinaryOp | UnaryOp


@dataclass(frozen=True)
class Term:
    """An interaction of expressions (``a:b`` has two factors; a main effect has one)."""

    factors: tuple[Expr, ...]


@dataclass(frozen=True)
class RandomTerm:
    """One random-effects bar ``(lhs | group)`` after expansion.

    ``group`` holds the grouping variable names in lme4's order: ``(1 | a/b)`` expands to
    ``RandomTerm(group=("a",))`` and ``RandomTerm(group=("b", "a"))`` (lme4 labels it ``b:a``).
    """

    intercept: bool
    terms: tuple[Term, ...]
    group: tuple[str, ...]


@dataclass(frozen=True)
class FormulaSpec:
    """A whole model formula: response, fixed part (R's term order: by degree, then appearance), bars."""

    text: str
    response: Expr
    intercept: bool
    fixed: tuple[Term, ...]
    random: tuple[RandomTerm, ...]


def expr_label(expr: Expr) -> str:
    """R's deparse of an expression: the text lme4 uses in column names (``factor(temp)``, ``I(x^2)``)."""
    if isinstance(expr, Variable):
        return expr.name
    if isinstance(expr, Number):
        return f"{expr.value:g}"
    if isinstance(expr, Call):
        return f"{expr.func}({', '.join(expr_label(a) for a in expr.args)})"
    if isinstance(expr, UnaryOp):
        return f"{expr.op}{expr_label(expr.operand)}"
    if isinstance(expr, BinaryOp):
        sep = expr.op if expr.op == "^" else f" {expr.op} "
        return f"{expr_label(expr.left)}{sep}{expr_label(expr.right)}"
    raise TypeError(f"not a formula expression: {expr!r}")


def term_label(term: Term) -> str:
    """R's label of an interaction term: factor labels joined by ``:``."""
    return ":".join(expr_label(f) for f in term.factors)


def group_label(term: RandomTerm) -> str:
    """lme4's name of a grouping factor: ``Subject``, ``cask:batch``."""
    return ":".join(term.group)
