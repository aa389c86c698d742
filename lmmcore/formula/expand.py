"""Phase 3 of parsing: syntax tree -> :class:`FormulaSpec`, with R's term algebra and lme4's bar expansion.

The fixed terms and each bar's left side go through R's term algebra (:mod:`lmmcore.formula.algebra`).
Terms are then sorted by degree (stable), and a term's factors are listed by first appearance, as R's
labels are.  Bars are taken out of the right-hand side first (lme4's ``nobars``/``findbars``); ``||`` is
split as lme4 1.1-31's ``expandDoubleVerts`` and ``a/b`` as its ``expandSlash`` (``b:a`` before ``a``).
"""

from __future__ import annotations

from lmmcore.errors import FormulaError
from lmmcore.formula.algebra import TermAlgebra, flatten
from lmmcore.formula.parser import Binary, CallNode, Name, Node, Num, Paren, Unary
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
)

_ARITHMETIC = frozenset("+-*/^")
_BARS = ("|", "||")


def expand(tree: Binary, text: str) -> FormulaSpec:
    """Build the :class:`FormulaSpec` of a parsed ``response ~ rhs`` tree."""
    builder = _Builder(text)
    response = builder.response(tree.left)
    bars: list[Binary] = []
    fixed_tree = builder.split_bars(tree.right, bars)
    intercept, fixed = builder.terms(fixed_tree)
    random = tuple(rt for bar in bars for rt in builder.random_terms(bar))
    return FormulaSpec(text, response, intercept, fixed, random)


class _Builder:
    def __init__(self, text: str):
        self.text = text

    def error(self, message: str, node: Node) -> FormulaError:
        return FormulaError(message, formula=self.text, position=node.pos)

    # ----- response -----
    def response(self, node: Node) -> Expr:
        while isinstance(node, Paren):
            node = node.inner
        if isinstance(node, Name | CallNode | Unary) or (isinstance(node, Binary) and node.op in _ARITHMETIC):
            # lme4 evaluates the left side as an expression: incidence/size, a - b, log(a + 1)
            return self.expr(node, "the response")
        if isinstance(node, Binary) and node.op in _BARS:
            raise self.error("a random-effect bar cannot be the response: put it after '~'", node)
        raise self.error(
            f"'{node.op}' cannot be used in the response: write a column, arithmetic of columns "
            "(a/b, a - b) or a function of them, e.g. y, log(y + 1) or incidence/size before '~'",
            node,
        )

    # ----- bars out of the right-hand side (lme4's nobars / findbars) -----
    def split_bars(self, node: Node, bars: list[Binary]) -> Node | None:
        """Move the bars of ``node`` into ``bars`` (left to right); return what is left, or None."""
        if isinstance(node, Binary) and node.op == "+":
            left = self.split_bars(node.left, bars)
            right = self.split_bars(node.right, bars)
            if left is None or right is None:
                return right if left is None else left
            return Binary("+", left, right, node.pos, node.height)
        if isinstance(node, Binary) and node.op == "-":
            # lme4 keeps what follows a minus in the fixed part: y ~ x + (1 | g) - 1
            self.reject_bars(node.right, "terms removed with -")
            left = self.split_bars(node.left, bars)
            if left is None:
                return Unary("-", node.right, node.pos, node.height)
            return Binary("-", left, node.right, node.pos, node.height)
        if isinstance(node, Paren):
            if isinstance(node.inner, Binary) and node.inner.op in _BARS:
                bars.append(node.inner)
                return None
            inner = self.split_bars(node.inner, bars)
            return None if inner is None else Paren(inner, node.pos, node.height)
        if isinstance(node, Binary) and node.op in _BARS:
            raise self.error(
                f"a random-effect bar must be in parentheses: write it as (1 {node.op} Site), "
                f"e.g. y ~ x + (1 {node.op} Site)",
                node,
            )
        self.reject_bars(node, "terms combined with * / : ^ or -")
        return node

    def reject_bars(self, node: Node, where: str) -> None:
        """Raise at the first bar inside ``node``: bars are only added with ``+``."""
        if isinstance(node, Binary) and node.op in _BARS:
            raise self.error(
                f"a random-effect bar cannot be inside {where}: add it to the fixed terms with +, "
                "e.g. y ~ x + (1 | Site)",
                node,
            )
        if isinstance(node, CallNode):
            for arg in node.args:
                self.reject_bars(arg, f"a function call {node.func}()")
        for child in _children(node):
            self.reject_bars(child, where)

    # ----- fixed terms (R's term algebra) -----
    def terms(self, node: Node | None) -> tuple[bool, tuple[Term, ...]]:
        """Intercept flag and terms of a formula right-hand side, in R's order."""
        algebra = TermAlgebra(self)
        masks = algebra.encode(node, adding=True) if node is not None else []
        masks = sorted((m for m in masks if m), key=int.bit_count)
        variables = algebra.variables
        terms = tuple(Term(tuple(v for i, v in enumerate(variables) if mask >> i & 1)) for mask in masks)
        return algebra.intercept, terms

    # ----- random terms (lme4's expandDoubleVerts, findbars and expandSlash) -----
    def random_terms(self, bar: Binary) -> list[RandomTerm]:
        self.reject_bars(bar.left, "another bar's left side (bars cannot be nested)")
        self.reject_bars(bar.right, "another bar's grouping side (bars cannot be nested)")
        intercept, terms = self.terms(bar.left)
        if not intercept and not terms:
            raise self.error(
                "this random-effect term has no intercept and no slopes: write (1 | g) or (0 + x | g)", bar
            )
        groups = self.groups(bar.right)
        if bar.op == "|":
            pieces = [(intercept, terms)]
        else:
            pieces = ([(True, ())] if intercept else []) + [(False, (t,)) for t in terms]
        return [RandomTerm(i, t, g) for i, t in pieces for g in groups]

    def groups(self, node: Node) -> list[tuple[str, ...]]:
        """Grouping factors of ``a``, ``a:b`` or ``a/b/c`` (-> c:b:a, b:a, a as lme4 orders them)."""
        nested = [self.interaction_names(part) for part in flatten(node, "/")]
        return [
            tuple(name for part in reversed(nested[:k]) for name in part) for k in range(len(nested), 0, -1)
        ]

    def interaction_names(self, node: Node) -> tuple[str, ...]:
        names = []
        for part in flatten(node, ":"):
            if not isinstance(part, Name):
                raise self.error(
                    "the grouping side of a bar must be a column name, a:b or a/b: write e.g. (1 | Site)",
                    part,
                )
            names.append(part.name)
        return tuple(names)

    # ----- expressions (variables of the algebra, arguments, I()) -----
    def expr(self, node: Node, where: str) -> Expr:
        """Convert an arithmetic sub-tree (a column, a call, or arithmetic inside a call) to an Expr."""
        if isinstance(node, Name):
            return Variable(node.name)
        if isinstance(node, Num):
            return Number(node.value)
        if isinstance(node, Paren):
            return self.expr(node.inner, where)
        if isinstance(node, CallNode):
            inner = f"{node.func}()"
            return Call(node.func, tuple(self.expr(a, inner) for a in node.args))
        if isinstance(node, Unary):
            operand = self.expr(node.operand, where)
            return operand if node.op == "+" else UnaryOp("-", operand)
        if node.op in _ARITHMETIC:
            return BinaryOp(node.op, self.expr(node.left, where), self.expr(node.right, where))
        if node.op in _BARS:
            raise self.error(
                f"a random-effect bar cannot be inside {where}: write it on its own, e.g. + (1 | Site)", node
            )
        raise self.error(
            f"'{node.op}' is not arithmetic and cannot be used inside {where}: use + - * / ^ there", node
        )


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Paren):
        return (node.inner,)
    return ()
