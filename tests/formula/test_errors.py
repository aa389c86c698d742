"""Bad and hostile formulas raise FormulaError at the offending character, saying what to write instead."""

from __future__ import annotations

import pytest

from lmmcore.errors import FormulaError
from lmmcore.formula import parse_formula

# (formula, offset of the caret, words the message must contain)
ERRORS = [
    ("y ~ a $ b", 6, ["unexpected character '$'"]),
    ("y ~ a # note", 6, ["unexpected character '#'"]),
    ("y ~ 'a'", 4, ["strings are not allowed", "backquotes"]),
    ("y ~ `a", 4, ["not closed"]),
    ("y ~ ``", 4, ["empty backquoted name"]),
    ("y ~ (x + z", 4, ["never closed", "')'"]),
    ("y ~ x + z)", 9, ["no matching '('"]),
    ("y ~ log(x", 7, ["never closed"]),
    ("y ~ ()", 5, ["')'"]),
    ("Reaction + Days", 0, ["no '~'", "y ~ x"]),
    ("~ Days", 0, ["response is missing"]),
    ("Reaction ~", 10, ["right-hand side is empty", "y ~ 1"]),
    ("Reaction ~   ", 13, ["right-hand side is empty"]),
    ("", 0, ["empty"]),
    ("   ", 0, ["empty"]),
    ("y ~ log(x | g)", 10, ["bar cannot be inside", "log()"]),
    ("y ~ I(1 + (1 | g))", 13, ["bar cannot be inside", "I()"]),
    ("y ~ x + 1 | Site", 10, ["must be in parentheses", "(1 | Site)"]),
    ("y ~ x + 1 || Site", 10, ["must be in parentheses", "(1 || Site)"]),
    ("y ~ x * (1 | g)", 11, ["bar cannot be inside", "with +"]),
    ("y ~ x - (1 | g)", 11, ["bar cannot be inside terms removed with -"]),
    ("y ~ eval(x)", 4, ["unknown function eval()", "factor, log, exp, sqrt, scale, I"]),
    ("y ~ poly(x, 2)", 4, ["unknown function poly()", "factor, log, exp, sqrt, scale, I"]),
    ("cbind(a, b) ~ x", 0, ["unknown function cbind()"]),
    ("y ~ log()", 4, ["log() takes 1 or 2 arguments, not 0"]),
    ("y ~ log(x, 2, 3)", 4, ["log() takes 1 or 2 arguments, not 3"]),
    ("y ~ factor(a, b)", 4, ["factor() takes 1 argument, not 2"]),
    ("y ~ I()", 4, ["I() takes 1 argument, not 0"]),
    ("y ~ ( | g)", 6, ["left side of '|' is empty", "(1 | Site)"]),
    ("y ~ (1 | )", 9, ["grouping factor after '|' is missing"]),
    ("y ~ (1 || )", 10, ["grouping factor after '||' is missing"]),
    ("y ~ (0 | g)", 7, ["no intercept and no slopes"]),
    ("y ~ (1 | factor(g))", 9, ["grouping side", "column name"]),
    ("y ~ (1 | g + h)", 11, ["grouping side"]),
    ("y ~ a:1", 6, ["only be added or removed"]),
    ("y ~ (0 + a)*b", 5, ["only be added or removed"]),
    ("y ~ lambda: 0", 12, ["only be added or removed"]),
    ("y ~ 2 + x", 4, ["number 2 cannot be a term", "I("]),
    ("y ~ x + 0.5", 8, ["number 0.5 cannot be a term"]),
    ("y ~ ((1 | g) | h)", 8, ["bars cannot be nested"]),
    ("y ~ (x | (1 | g))", 12, ["bars cannot be nested"]),
    ("y ~ x ~ z", 6, ["exactly one '~'"]),
    ("y ~ ~ z", 4, ["exactly one '~'"]),
    ("y ~ (a ~ b)", 7, ["outside any parentheses"]),
    ("y ~ .", 4, ["'.'", "not supported"]),
    ("y ~ . - x", 4, ["'.'"]),
    ("y ~ x^2", 5, ["I(x^2)"]),
    ("y ~ (a + b)^x", 12, ["whole number"]),
    ("y ~ (a + b)^0", 12, ["whole number"]),
    ("y ~ (a + b)^1.5", 12, ["whole number"]),
    ("y ~ I(a:b)", 7, ["':' is not arithmetic"]),
    ("y ~ a b", 6, ["unexpected 'b'", "a + b"]),
    ("y ~ a, b", 5, ["','"]),
    ("y ~ x + * z", 8, ["'*' cannot start a term"]),
    ("y ~ x +", 7, ["ends unexpectedly after '+'"]),
    ("x:y ~ z", 1, ["cannot be used in the response", "incidence/size"]),
    ("(1 | g) ~ x", 3, ["bar cannot be the response"]),
    ("y ~ log(x, base = 2)", 16, ["named arguments", "log(x, 10)"]),
    ("y ~ if", 4, ["reserved word", "`if`"]),
    ("y ~ x %in% a", 6, ["%in%"]),
    ("y ~ x[1]", 5, ["unexpected character '['"]),
    ("y ~ x (1 | g)", 6, ["x + (1 | g)"]),
    ("y ~ x * 1e400", 8, ["too large"]),
    ("y ~ I(x * ٣)", 10, ["unexpected character"]),
]


@pytest.mark.parametrize(("text", "position", "words"), ERRORS)
def test_error_points_at_the_offending_character(text, position, words):
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    err = info.value
    assert err.formula == text
    assert err.position == position, str(err)
    for word in words:
        assert word in err.message
    assert str(err).splitlines()[-1] == "  " + " " * position + "^"


@pytest.mark.parametrize("value", [42, None, ["y ~ x"], b"y ~ x"])
def test_error_for_non_text_input(value):
    with pytest.raises(FormulaError, match="must be text"):
        parse_formula(value)


HOSTILE = [
    "__import__('os').system('x') ~ a",
    "y ~ a; import os",
    "y ~ eval(x)",
    "y ~ exec('x')",
    "y ~ open('/etc/passwd')",
    "y ~ os.system(x)",
    "y ~ lambda: 0",
    "y ~ get('x')",
    "y ~ log(x)(1)",
    "y ~ {x}",
    "y ~ x\x00",
    "y ~ a <- b",
    "y ~ a = b",
    "y ~ I(log)(x)",
    "y ~ factor(x, levels = c(1, 2))",
    "y ~ " + "(" * 150 + "x" + ")" * 150,
    "y ~ " + "-" * 150 + "x",
    "y ~ I(" + "x^" * 150 + "x)",
    "y ~ " + "log(" * 120 + "x" + ")" * 120,
    "y ~ " + " + ".join(["a"] * 300),
    "y ~ " + "x" * 2100,
    "y ~ (" + " + ".join(f"v{i}" for i in range(30)) + ")^30",
    "y ~ " + "*".join(f"v{i}" for i in range(30)),
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: t[:30])
def test_hostile_input_raises_formula_error(text):
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_odd_but_syntactic_names_are_just_column_names():
    # Dots and underscores are legal in R names; such a name is looked up as a column, never evaluated.
    spec = parse_formula("y ~ x.__class__")
    assert [f.name for t in spec.fixed for f in t.factors] == ["x.__class__"]


def test_limits_are_reported_clearly():
    with pytest.raises(FormulaError, match="nested more than 100 levels"):
        parse_formula("y ~ " + "(" * 150 + "x" + ")" * 150)
    with pytest.raises(FormulaError, match="at most 2000 are accepted"):
        parse_formula("y ~ " + "x" * 2100)
    with pytest.raises(FormulaError, match="more than 1000 terms"):
        parse_formula("y ~ " + "*".join(f"v{i}" for i in range(30)))


def test_deep_but_allowed_nesting_parses():
    spec = parse_formula("y ~ " + "(" * 90 + "x" + ")" * 90)
    assert len(spec.fixed) == 1
