"""Phase 1 of parsing: formula text -> tokens (names, numbers, operators), with their offsets.

Names follow R: letters, digits, ``.`` and ``_``, starting with a letter or a dot not followed by a digit;
any other column name is written in backquotes (```my column```).  Nothing is ever evaluated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from lmmcore.errors import FormulaError
from lmmcore.formula.spec import R_RESERVED_WORDS

MAX_FORMULA_CHARS = 2000


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9])[0-9]*(?:[eE][+-]?[0-9]+)?)
    |(?P<name>(?:[^\W\d_]|\.(?!\d))[\w.]*)
    |(?P<quoted>`[^`]*`)
    |(?P<op>\|\||[~+\-*/:^|(),])
    """,
    re.VERBOSE,
)

_HINTS = {
    "'": "strings are not allowed in a formula; write a column name with spaces in backquotes: `my column`",
    '"': "strings are not allowed in a formula; write a column name with spaces in backquotes: `my column`",
    "`": "this backquoted name is not closed; write it as `my column`",
    "=": "named arguments are not supported; write log(x, 10) rather than log(x, base = 10)",
    ";": "a formula is a single expression; remove the ';' and what follows it",
    "_": "a name cannot start with '_'; put it in backquotes: `_name`",
    "%": "%in% and other %-operators are not supported; use a:b for an interaction",
}


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit: ``kind`` is "name", "number", "op" or "end"; ``text`` is the name without quotes."""

    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split formula text into tokens, ending with an "end" token at ``len(text)``.

    Raises
    ------
    FormulaError
        At the first character that starts no token, or for an over-long formula.
    """
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(
            f"the formula is {len(text)} characters long; at most {MAX_FORMULA_CHARS} are accepted: "
            "shorten it (e.g. use a*b instead of writing out every interaction)",
            formula=text,
            position=MAX_FORMULA_CHARS,
        )
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise _unexpected_character(text, pos)
        kind = match.lastgroup
        if kind == "name":
            _check_name(text, match.group(), pos)
            tokens.append(Token("name", match.group(), pos))
        elif kind == "quoted":
            if len(match.group()) == 2:
                raise FormulaError(
                    "an empty backquoted name ``: put the column name between the backquotes",
                    formula=text,
                    position=pos,
                )
            tokens.append(Token("name", match.group()[1:-1], pos))
        elif kind == "number" and not math.isfinite(float(match.group())):
            raise FormulaError(
                f"the number {match.group()} is too large: use a smaller one", formula=text, position=pos
            )
        elif kind != "space":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _check_name(text: str, name: str, pos: int) -> None:
    if name == ".":
        raise FormulaError(
            "'.' (all other columns) is not supported: list the columns you want, e.g. y ~ a + b",
            formula=text,
            position=pos,
        )
    if name in R_RESERVED_WORDS:
        raise FormulaError(
            f"'{name}' is a reserved word in R; if it is a column name, write it in backquotes: `{name}`",
            formula=text,
            position=pos,
        )


def _unexpected_character(text: str, pos: int) -> FormulaError:
    char = text[pos]
    hint = _HINTS.get(char, "use only column names, numbers, + - * / : ^ | ( ) , and ~")
    return FormulaError(f"unexpected character {char!r}: {hint}", formula=text, position=pos)
