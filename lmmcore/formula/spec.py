"""The parsed formula as plain, immutable data: the contract between the parser and the design stage.

An :class:`Expr` is one evaluable piece of the fixed part (a column, a whitelisted function call, a power
inside ``I()``); a :class:`Term` is an interaction of expressions; a :class:`RandomTerm` is one
``(lhs | group)`` bar after ``||`` and ``/`` have been expanded exactly as lme4 expands them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


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
    ``RandomTerm(group=("b", "a"))`` (lme4 labels it ``b:a``) and ``RandomTerm(group=("a",))``, in that
    order, as lme4 1.1-31's ``findbars`` lists them.
    """

    intercept: bool
    terms: tuple[Term, ...]
    group: tuple[str, ...]


@dataclass(frozen=True)
class FormulaSpec:
    """A whole model formula: response, fixed part (R's term order: by degree, then appearance), bars."""

    # The text as typed; two specs of the same model compare equal whatever their spacing.
    text: str = field(compare=False)
    response: Expr
    intercept: bool
    fixed: tuple[Term, ...]
    random: tuple[RandomTerm, ...]


_SYNTACTIC_NAME = re.compile(r"(?:[^\W\d_]|\.(?!\d))[\w.]*\Z")
R_RESERVED_WORDS = frozenset(
    {"if", "else", "repeat", "while", "function", "for", "next", "break", "in", "TRUE", "FALSE", "NULL"}
    | {"Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_"}
)
# R's deparse precedences; unary minus binds tighter than * / but looser than ^.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "^": 4}


def name_label(name: str) -> str:
    """A column name as R deparses it: backquoted unless it is a syntactic R name (```my col```)."""
    if _SYNTACTIC_NAME.match(name) and name not in R_RESERVED_WORDS:
        return name
    return f"`{name}`"


def number_label(value: float) -> str:
    """A number as R deparses it: 15 significant digits, fixed or scientific, whichever is shorter."""
    if value == int(value) and abs(value) < 1e15:
        fixed = str(int(value))
        digits = len(fixed.lstrip("-").rstrip("0")) or 1
        sci = f"{value:.{digits - 1}e}"
        return sci if len(sci) < len(fixed) else fixed
    text = f"{value:.15g}"
    if float(text) != value:
        text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent):+03d}"
    return text


def expr_label(expr: Expr) -> str:
    """R's deparse of an expression: the text lme4 uses in column names (``factor(temp)``, ``I(x^2)``).

    Parentheses are written only where R's precedences need them: ``I((x + 1)^2)``, ``I(x/2)``.
    """
    if isinstance(expr, Variable):
        return name_label(expr.name)
    if isinstance(expr, Number):
        return number_label(expr.value)
    if isinstance(expr, Call):
        return f"{expr.func}({', '.join(expr_label(a) for a in expr.args)})"
    if isinstance(expr, UnaryOp):
        return f"{expr.op}{_operand_label(expr.operand, _PRECEDENCE['unary'], tighter=False)}"
    if isinstance(expr, BinaryOp):
        precedence = _PRECEDENCE[expr.op]
        right_assoc = expr.op == "^"
        left = _operand_label(expr.left, precedence, tighter=right_assoc)
        if right_assoc and isinstance(expr.right, UnaryOp):
            right = expr_label(expr.right)  # R writes x^-1
        else:
            right = _operand_label(expr.right, precedence, tighter=not right_assoc)
        sep = expr.op if expr.op in ("^", "/") else f" {expr.op} "
        return f"{left}{sep}{right}"
    raise TypeError(f"not a formula expression: {expr!r}")


def _operand_label(expr: Expr, parent: int, tighter: bool) -> str:
    """Label of an operand, parenthesised if it binds looser than its operator (or equally, on the side
    where associativity would regroup it)."""
    label = expr_label(expr)
    if isinstance(expr, BinaryOp):
        own = _PRECEDENCE[expr.op]
    elif isinstance(expr, UnaryOp) or (isinstance(expr, Number) and expr.value < 0):
        own = _PRECEDENCE["unary"]
    else:
        return label
    if own < parent or (tighter and own == parent):
        return f"({label})"
    return label


def term_label(term: Term) -> str:
    """R's label of an interaction term: factor labels joined by ``:``."""
    return ":".join(expr_label(f) for f in term.factors)


def group_label(term: RandomTerm) -> str:
    """lme4's name of a grouping factor: ``Subject``, ``cask:batch``."""
    return ":".join(name_label(g) for g in term.group)
