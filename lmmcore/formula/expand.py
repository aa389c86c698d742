"""Phase 3 of parsing: syntax tree -> :class:`FormulaSpec`, with R's term algebra and lme4's bar expansion.

R's algebra (``terms.formula``) treats a term as a *set* of variables, so ``a:b`` and ``b:a`` are one
term.  With variables numbered by first appearance, a term is a bit set and, for term lists ``A``, ``B``:

* ``A + B`` = A then the new terms of B;  ``A - B`` = A without the terms of B;
* ``A:B`` = { a | b : a in A, b in B };  ``A*B`` = A + B + A:B;  ``A/B`` = A + { (OR of A) | b : b in B };
* ``(A)^n`` = A*A*...*A (n times);  ``1`` / ``0`` set the intercept (flipped on the right of ``-``).

Terms are then sorted by degree (stable), and a term's factors are listed by first appearance, as R's
labels are.  Bars are taken out of the right-hand side first (lme4's ``nobars``/``findbars``); ``||`` is
split as lme4 1.1-31's ``expandDoubleVerts`` and ``a/b`` as its ``expandSlash`` (``b:a`` before ``a``).
"""

from __future__ import annotations

from lmmcore.errors import FormulaError
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

MAX_TERMS = 1000
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
        if isinstance(node, Name | CallNode):
            return self.expr(node, "the response")
        if isinstance(node, Binary) and node.op in _BARS:
            raise self.error("a random-effect bar cannot be the response: put it after '~'", node)
        raise self.error(
            "the response must be a column or a function of one: write e.g. y, log(y) or I(a + b) before '~'",
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
        algebra = _TermAlgebra(self)
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
        nested = [self.interaction_names(part) for part in _flatten(node, "/")]
        return [
            tuple(name for part in reversed(nested[:k]) for name in part) for k in range(len(nested), 0, -1)
        ]

    def interaction_names(self, node: Node) -> tuple[str, ...]:
        names = []
        for part in _flatten(node, ":"):
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


class _TermAlgebra:
    """R's term algebra over bit sets of variables; the intercept is a flag updated left to right."""

    def __init__(self, builder: _Builder):
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
        numbers = [n for n in _flatten(node, "+") if isinstance(n, Num)]
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


def _flatten(node: Node, op: str) -> list[Node]:
    """Operands of a left-nested chain ``a op b op c`` (parentheses around the whole are dropped)."""
    while isinstance(node, Paren):
        node = node.inner
    if isinstance(node, Binary) and node.op == op:
        return _flatten(node.left, op) + _flatten(node.right, op)
    return [node]


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Paren):
        return (node.inner,)
    return ()
