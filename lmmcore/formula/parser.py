"""Phase 2 of parsing: tokens -> syntax tree, by precedence climbing (Pratt) over an operator table.

The table follows R's precedences (``?Syntax``), highest last: ``~`` < ``|`` ``||`` < ``+ -`` < ``* /`` <
``:`` < unary ``- +`` < ``^`` (right-associative).  The tree keeps parentheses (``(a + b)^2`` and a bar
``(x | g)`` need to know they were parenthesised) and every node's offset in the text for error messages.
Only whitelisted functions are accepted, with their arity checked here; nothing is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

from lmmcore.errors import FormulaError
from lmmcore.formula.tokens import Token, tokenize

MAX_DEPTH = 100
MAX_HEIGHT = 200


@dataclass(frozen=True, slots=True)
class Operator:
    """One row of the operator table: ``arity`` 1 is a prefix operator, 2 an infix one."""

    symbol: str
    arity: int
    precedence: int
    associativity: str


OPERATORS = (
    Operator("~", 2, 10, "left"),
    Operator("~", 1, 10, "right"),
    Operator("|", 2, 20, "left"),
    Operator("||", 2, 20, "left"),
    Operator("+", 2, 30, "left"),
    Operator("-", 2, 30, "left"),
    Operator("*", 2, 40, "left"),
    Operator("/", 2, 40, "left"),
    Operator(":", 2, 50, "left"),
    Operator("-", 1, 60, "right"),
    Operator("+", 1, 60, "right"),
    Operator("^", 2, 70, "right"),
)
INFIX = {op.symbol: op for op in OPERATORS if op.arity == 2}
PREFIX = {op.symbol: op for op in OPERATORS if op.arity == 1}

# name -> (min args, max args)
FUNCTIONS = {"factor": (1, 1), "log": (1, 2), "exp": (1, 1), "sqrt": (1, 1), "scale": (1, 1), "I": (1, 1)}
ALLOWED_FUNCTIONS = ", ".join(FUNCTIONS)


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    pos: int
    height: int = 1


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    text: str
    pos: int
    height: int = 1


@dataclass(frozen=True, slots=True)
class CallNode:
    func: str
    args: tuple
    pos: int
    height: int


@dataclass(frozen=True, slots=True)
class Paren:
    inner: object
    pos: int
    height: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: object
    pos: int
    height: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: object
    right: object
    pos: int
    height: int


Node = Name | Num | CallNode | Paren | Unary | Binary


def parse_tree(text: str) -> Binary:
    """Parse formula text into a syntax tree whose root is the ``~`` node.

    Raises
    ------
    FormulaError
        With the offset of the offending token: unbalanced parentheses, a missing ``~``, response or
        right-hand side, an unknown function or a wrong number of arguments, nesting deeper than
        ``MAX_DEPTH``.
    """
    parser = _Parser(text, tokenize(text))
    tree = parser.expression(0, 0, None)
    parser.expect_end()
    if not (isinstance(tree, Binary) and tree.op == "~"):
        raise FormulaError(
            "the formula has no '~': write the response, then ~, then the terms, e.g. y ~ x + (1 | g)",
            formula=text,
            position=0,
        )
    return tree


class _Parser:
    def __init__(self, text: str, tokens: list[Token]):
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.seen_tilde = False
        self.open_parens = 0

    def error(self, message: str, pos: int) -> FormulaError:
        return FormulaError(message, formula=self.text, position=pos)

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self, min_precedence: int, depth: int, after: Token | None) -> Node:
        if depth > MAX_DEPTH:
            raise self.error(
                f"the formula is nested more than {MAX_DEPTH} levels deep: remove redundant parentheses",
                self.current.pos,
            )
        left = self.prefix(depth, after)
        while True:
            token = self.current
            op = INFIX.get(token.text) if token.kind == "op" else None
            if op is None or op.precedence < min_precedence:
                return left
            self.advance()
            self.check_tilde(token, left)
            next_min = op.precedence + 1 if op.associativity == "left" else op.precedence
            right = self.expression(next_min, depth + 1, token)
            height = 1 + max(left.height, right.height)
            if height > MAX_HEIGHT:
                raise self.error(
                    f"the formula chains more than {MAX_HEIGHT} operators: use a*b or (a + b + c)^2 "
                    "instead of writing every term out",
                    token.pos,
                )
            left = Binary(op.symbol, left, right, token.pos, height)

    def check_tilde(self, token: Token, left: Node | None) -> None:
        if token.text != "~":
            return
        if self.open_parens:
            raise self.error(
                "'~' must separate the response from the terms, outside any parentheses", token.pos
            )
        if self.seen_tilde:
            raise self.error("a formula has exactly one '~': remove the second one", token.pos)
        self.seen_tilde = True
        if left is None:
            raise self.error(
                "the response is missing before '~': write it first, e.g. Reaction ~ Days", token.pos
            )

    def prefix(self, depth: int, after: Token | None) -> Node:
        token = self.advance()
        if token.kind == "name":
            if self.current.text == "(":
                return self.call(token, depth)
            return Name(token.text, token.pos)
        if token.kind == "number":
            return Num(float(token.text), token.text, token.pos)
        if token.text == "(":
            self.open_parens += 1
            inner = self.expression(0, depth + 1, token)
            self.expect_close(token)
            self.open_parens -= 1
            return Paren(inner, token.pos, inner.height + 1)
        if token.text in PREFIX:
            self.check_tilde(token, None)
            operand = self.expression(PREFIX[token.text].precedence, depth + 1, token)
            return Unary(token.text, operand, token.pos, operand.height + 1)
        raise self.missing_operand(token, after)

    def missing_operand(self, token: Token, after: Token | None) -> FormulaError:
        if after is not None and after.text == "~" and token.kind == "end":
            return self.error(
                "the right-hand side is empty: add terms after '~' (y ~ 1 fits only an intercept)", token.pos
            )
        if token.text in ("|", "||"):
            return self.error(
                f"the left side of '{token.text}' is empty: write the random effects first, e.g. (1 | Site)",
                token.pos,
            )
        if after is not None and after.text in ("|", "||"):
            return self.error(
                f"the grouping factor after '{after.text}' is missing: write e.g. (1 | Site)", token.pos
            )
        if token.text == ")":
            return self.error("')' has no matching '(' or closes an empty group: remove it", token.pos)
        if token.kind == "end":
            where = f" after '{after.text}'" if after is not None else ""
            return self.error(f"the formula ends unexpectedly{where}: add the missing term", token.pos)
        return self.error(f"'{token.text}' cannot start a term here: write a column name or (", token.pos)

    def call(self, name: Token, depth: int) -> CallNode:
        if name.text not in FUNCTIONS and self.current.pos > name.pos + len(name.text):
            raise self.error(
                f"'{name.text} (' reads as a call of {name.text}(): join the terms with +, "
                f"e.g. {name.text} + (1 | g)",
                self.current.pos,
            )
        if name.text not in FUNCTIONS:
            raise self.error(
                f"unknown function {name.text}(): only {ALLOWED_FUNCTIONS} are allowed "
                "(arithmetic goes inside I(), e.g. I(x^2))",
                name.pos,
            )
        open_paren = self.advance()
        self.open_parens += 1
        args = []
        if self.current.text != ")":
            args.append(self.expression(0, depth + 1, open_paren))
            while self.current.text == ",":
                comma = self.advance()
                args.append(self.expression(0, depth + 1, comma))
        self.expect_close(open_paren)
        self.open_parens -= 1
        low, high = FUNCTIONS[name.text]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} or {high}"
            raise self.error(
                f"{name.text}() takes {wanted} argument{'s' if high > 1 else ''}, not {len(args)}: "
                f"write e.g. {name.text}(x)",
                name.pos,
            )
        height = 1 + max((a.height for a in args), default=0)
        return CallNode(name.text, tuple(args), name.pos, height)

    def expect_close(self, open_paren: Token) -> None:
        token = self.current
        if token.text == ")":
            self.advance()
            return
        if token.kind == "end":
            raise self.error("this '(' is never closed: add the matching ')'", open_paren.pos)
        raise self.unexpected(token)

    def expect_end(self) -> None:
        token = self.current
        if token.kind != "end":
            raise self.unexpected(token)

    def unexpected(self, token: Token) -> FormulaError:
        if token.text == ")":
            return self.error("')' has no matching '(': remove it or add a '(' before", token.pos)
        if token.text == ",":
            return self.error(
                "',' is only allowed between a function's arguments, e.g. log(x, 10)", token.pos
            )
        return self.error(
            f"unexpected '{token.text}': join terms with an operator, e.g. a + {token.text}", token.pos
        )
