"""Model formulas: ``parse_formula(text) -> FormulaSpec`` (tokens -> syntax tree -> terms) and back."""

from __future__ import annotations

from functools import lru_cache

from lmmcore.errors import FormulaError
from lmmcore.formula.deparse import deparse_formula
from lmmcore.formula.expand import expand
from lmmcore.formula.parser import parse_tree
from lmmcore.formula.spec import (
    BinaryOp,
    Call,
    Expr,
    FormulaSpec,
    Number,
    RandomTerm,
    Term,
    UnaryOp,
    Variable,
    expr_label,
    group_label,
    term_label,
)

__all__ = [
    "BinaryOp",
    "Call",
    "Expr",
    "FormulaSpec",
    "Number",
    "RandomTerm",
    "Term",
    "UnaryOp",
    "Variable",
    "deparse_formula",
    "expr_label",
    "group_label",
    "parse_formula",
    "term_label",
]


def parse_formula(text: str) -> FormulaSpec:
    """Parse an lme4 model formula (``"Reaction ~ Days + (Days | Subject)"``) into a :class:`FormulaSpec`.

    Cached: the same text returns the same (immutable) spec without re-parsing.

    Raises
    ------
    FormulaError
        For anything outside the supported grammar, with the offset of the offending character and
        what to write instead.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text such as 'y ~ x + (1 | g)', not {type(text).__name__}")
    return _parse_cached(text)


@lru_cache(maxsize=512)
def _parse_cached(text: str) -> FormulaSpec:
    if not text.strip():
        raise FormulaError("the formula is empty: write e.g. y ~ x + (1 | g)", formula=text, position=0)
    return expand(parse_tree(text), text)
