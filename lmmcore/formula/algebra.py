"""R's term algebra (``terms.formula``) over bit sets of variables, for :mod:`lmmcore.formula.expand`.

A term is a *set* of variables, so ``a:b`` and ``b:a`` are one term.  With variables numbered by first
appearance, a term is a bit set and, for term lists ``A``, ``B``:

* ``A + B`` = A then the new terms of B;  ``A - B`` = A without the terms of B;
* ``A:B`` = { a | b : a in A, b in B };  ``A*B`` = A + B + A:B;  ``A/B`` = A + { (OR of A) | b : b in B };
* ``(A)^n`` = A*A*...*A (n times);  ``1`` / ``0`` set the intercept (flipped on the right of ``-``).
"""

from __future__ import annotations

from typing import Protocol

from lmmcore.errors import FormulaError
from lmmcore.formula.parser import Binary, CallNode, Name, Node, Num, Paren, Unary
from lmmcore.formula.spec import Expr

MAX_TERMS = 1000


class ExpressionBuilder(Protocol):
    """What the algebra needs from the expand stage: a variable's expression, and positioned errors."""

    def expr(self, node: Node, where: str) -> Expr: ...

    def error(self, message: str, node: Node) -> FormulaError: ...


class TermAlgebra:
    """R's term algebra over bit sets of variables; the intercept is a flag updated left to right."""

    def __init__(self, builder: ExpressionBuilder):
        self.builder = builder
        self.variables: list[Expr] = []
        self.index: dict[Expr, int] = {}
        self.intercept = True

    def variable(self, node: Node) -> list[int]:
        expr = self.builder.expr(node, "a function call")
        if expr not in self.index:
            self.index[expr] = len(self.variables)
            self.variables.append(expr)
        return [1 << self.index[expr]]

    def encode(self, node: Node, adding: bool) -> list[int]:
        if isinstance(node, Name | CallNode):
            return self.variable(node)
        if isinstance(node, Num):
            return self.number(node, adding)
        if isinstance(node, Paren):
            return self.encode(node.inner, adding)
        if isinstance(node, Unary):
            terms = self.encode(node.operand, adding if node.op == "+" else not adding)
            return terms if node.op == "+" else []
        terms = self.binary(node, adding)
        self.check_size(10 * len(terms), node)
        return terms

    def number(self, node: Num, adding: bool) -> list[int]:
        if node.value not in (0.0, 1.0):
            raise self.builder.error(
                f"the number {node.text} cannot be a term: write 1 or 0 to keep or drop the intercept, "
                f"or put arithmetic inside I(), e.g. I(x * {node.text})",
                node,
            )
        self.intercept = adding if node.value == 1.0 else not adding
        return []

    def binary(self, node: Binary, adding: bool) -> list[int]:
        if node.op == "^":
            return self.power(node, adding)
        if node.op in ":*/":
            self.reject_intercept_operand(node.left)
            self.reject_intercept_operand(node.right)
        left = self.encode(node.left, adding)
        if node.op == "-":
            removed = set(self.encode(node.right, not adding))
            return [t for t in left if t not in removed]
        right = self.encode(node.right, adding)
        if node.op in ":*/":
            self.check_size(len(left) * len(right), node)
        if node.op == "+":
            return _union(left, right)
        if node.op == ":":
            return _interact(left, right)
        if node.op == "*":
            return _union(_union(left, right), _interact(left, right))
        if node.op == "/":
            whole = 0
            for t in left:
                whole |= t
            return _union(left, [whole | t for t in right])
        raise self.builder.error(f"'{node.op}' cannot combine terms here: use + - * / : or ^", node)

    def reject_intercept_operand(self, node: Node) -> None:
        """R silently drops ``1:a``'s ``1``; a user writing it means something else, so say so."""
        numbers = [n for n in flatten(node, "+") if isinstance(n, Num)]
        if numbers:
            raise self.builder.error(
                f"{numbers[0].text} (the intercept) can only be added or removed with + or -, not crossed "
                "with * : or /: write e.g. y ~ 0 + a + a:b",
                numbers[0],
            )

    def power(self, node: Binary, adding: bool) -> list[int]:
        if not isinstance(node.left, Paren):
            raise self.builder.error(
                "'^' in a formula crosses a parenthesised sum, e.g. (a + b + c)^2; "
                "for a power of a column write I(x^2)",
                node,
            )
        exponent = node.right
        if not (isinstance(exponent, Num) and exponent.value >= 1 and exponent.value == int(exponent.value)):
            raise self.builder.error(
                "the exponent of (a + b)^n must be a whole number >= 1, e.g. (a + b + c)^2", exponent
            )
        base = self.encode(node.left, adding)
        result = base
        for _ in range(min(int(exponent.value), len(base)) - 1):
            self.check_size(len(result) * len(base), node)
            result = _union(result, _interact(result, base))
        return result

    def check_size(self, products: int, node: Binary) -> None:
        """Refuse an expansion past ``MAX_TERMS`` terms (``(a + ... + z)^26`` has 2^26): ``products`` is
        the number of pairs an interaction forms, or ten times a result's length."""
        if products > 10 * MAX_TERMS:
            raise self.builder.error(
                f"this interaction expands to more than {MAX_TERMS} terms: cross fewer variables, "
                "e.g. (a + b + c)^2 for the two-way interactions only",
                node,
            )


def _union(first: list[int], second: list[int]) -> list[int]:
    seen = set(first)
    out = list(first)
    for t in second:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def _interact(first: list[int], second: list[int]) -> list[int]:
    return _union([], [a | b for a in first for b in second])


def flatten(node: Node, op: str) -> list[Node]:
    """Operands of a left-nested chain ``a op b op c`` (parentheses around the whole are dropped)."""
    while isinstance(node, Paren):
        node = node.inner
    if isinstance(node, Binary) and node.op == op:
        return flatten(node.left, op) + flatten(node.right, op)
    return [node]
