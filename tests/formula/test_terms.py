"""R's term algebra on the fixed part and lme4's expansion of bars, as tables of formula -> labels.

Expected labels are what R 4.x ``attr(terms(nobars(f)), "term.labels")`` and lme4 1.1-31
``findbars(f)`` give for the same formula.
"""

from __future__ import annotations

import pytest

from lmmcore.formula import (
    BinaryOp,
    Call,
    Number,
    RandomTerm,
    Term,
    UnaryOp,
    Variable,
    expr_label,
    parse_formula,
)
from tests.formula.helpers import bar_labels, fixed_labels

FIXED = [
    ("y ~ x", ["1", "x"]),
    ("y ~ 1 + x", ["1", "x"]),
    ("y ~ 0 + x", ["0", "x"]),
    ("y ~ x + 0", ["0", "x"]),
    ("y ~ x - 1", ["0", "x"]),
    ("y ~ -1 + x", ["0", "x"]),
    ("y ~ 1", ["1"]),
    ("y ~ 0", ["0"]),
    ("y ~ 0 + 1 + x", ["1", "x"]),
    ("y ~ x - 0", ["1", "x"]),
    ("y ~ a + b + a", ["1", "a", "b"]),
    ("y ~ a*b", ["1", "a", "b", "a:b"]),
    ("y ~ a:b + a", ["1", "a", "a:b"]),
    ("y ~ a:b + b:a", ["1", "a:b"]),
    ("y ~ a + b + b:a", ["1", "a", "b", "a:b"]),  # R orders a term's variables by first appearance
    ("y ~ b:a + a", ["1", "a", "b:a"]),
    ("y ~ a*b - a", ["1", "b", "a:b"]),
    ("y ~ a*b - a:b", ["1", "a", "b"]),
    ("y ~ a + b - c", ["1", "a", "b"]),
    ("y ~ a*b*c", ["1", "a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]),
    ("y ~ (a+b):c", ["1", "a:c", "b:c"]),
    ("y ~ (a+b):(c+d)", ["1", "a:c", "a:d", "b:c", "b:d"]),
    ("y ~ c:(a+b)", ["1", "c:a", "c:b"]),
    ("y ~ a/b", ["1", "a", "a:b"]),
    ("y ~ a/b/c", ["1", "a", "a:b", "a:b:c"]),
    ("y ~ (a+b)/c", ["1", "a", "b", "a:b:c"]),
    ("y ~ (a+b+c)^2", ["1", "a", "b", "c", "a:b", "a:c", "b:c"]),
    ("y ~ (a+b+c)^3", ["1", "a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]),
    ("y ~ (a+b+c)^2 - a:b", ["1", "a", "b", "c", "a:c", "b:c"]),
    ("y ~ (a)^2", ["1", "a"]),
    ("y ~ a:a", ["1", "a"]),
    ("y ~ ((a))", ["1", "a"]),
    ("y ~ a:b:c + a + b:c", ["1", "a", "b:c", "a:b:c"]),
    ("y ~ x + log(x) + factor(x)", ["1", "x", "log(x)", "factor(x)"]),
    ("y ~ log(x) + log( x )", ["1", "log(x)"]),
    ("y ~ recipe * factor(temp)", ["1", "recipe", "factor(temp)", "recipe:factor(temp)"]),
    ("y ~ I(x^2) + I(x/10) + I(-x) + I((x + 1)^2)", ["1", "I(x^2)", "I(x/10)", "I(-x)", "I((x + 1)^2)"]),
    ("y ~ I(x - (a - b)) + I(x - a - b)", ["1", "I(x - (a - b))", "I(x - a - b)"]),
    ("y ~ I(x^-1) + I(-x^2) + I((-x)^2) + I(2^x^2)", ["1", "I(x^-1)", "I(-x^2)", "I((-x)^2)", "I(2^x^2)"]),
    (
        "y ~ log(x, 2) + log(x + 1) + exp(x) + sqrt(x) + scale(x)",
        ["1", "log(x, 2)", "log(x + 1)", "exp(x)", "sqrt(x)", "scale(x)"],
    ),
    ("y ~ I(0.5 * x) + I(x * 1e5) + I(x + 123456)", ["1", "I(0.5 * x)", "I(x * 1e+05)", "I(x + 123456)"]),
    ("y ~ `my col` + `a:b` + x.1 + .x + x_y", ["1", "`my col`", "`a:b`", "x.1", ".x", "x_y"]),
    ("y ~ `x`", ["1", "x"]),
    ("y ~ \n  a +\tb", ["1", "a", "b"]),
    ("y ~ +a", ["1", "a"]),
    ("y ~ -a + a", ["1", "a"]),
]


@pytest.mark.parametrize(("text", "labels"), FIXED)
def test_fixed_terms_follow_r_term_algebra(text, labels):
    assert fixed_labels(parse_formula(text)) == labels


def test_terms_hold_expressions_with_first_seen_factor_order():
    spec = parse_formula("y ~ recipe * factor(temp) + I(x^2)")
    recipe, temp = Variable("recipe"), Call("factor", (Variable("temp"),))
    square = Call("I", (BinaryOp("^", Variable("x"), Number(2.0)),))
    assert spec.fixed == (Term((recipe,)), Term((temp,)), Term((square,)), Term((recipe, temp)))
    assert spec.intercept is True


def test_redundant_parentheses_are_not_kept_in_labels():
    # Known difference: R keeps the user's own parentheses, "I((x - a) - b)"; the spec has no node for
    # them, so the label is the minimal one.  Only redundant parentheses are affected.
    assert fixed_labels(parse_formula("y ~ I((x - a) - b)")) == ["1", "I(x - a - b)"]


def test_backquoted_name_keeps_its_characters():
    spec = parse_formula("`y value` ~ `log(x)` + `a b`")
    assert spec.response == Variable("y value")
    assert spec.fixed[0].factors == (Variable("log(x)"),)
    assert expr_label(spec.response) == "`y value`"


RESPONSES = [
    ("Reaction ~ Days", Variable("Reaction")),
    ("log(Reaction) ~ Days", Call("log", (Variable("Reaction"),))),
    ("sqrt(y) ~ x", Call("sqrt", (Variable("y"),))),
    ("I(y/10) ~ x", Call("I", (BinaryOp("/", Variable("y"), Number(10.0)),))),
    ("I(-y) ~ x", Call("I", (UnaryOp("-", Variable("y")),))),
    ("(y) ~ x", Variable("y")),
]


@pytest.mark.parametrize(("text", "response"), RESPONSES)
def test_response_is_an_expression(text, response):
    assert parse_formula(text).response == response


RANDOM = [
    ("Reaction ~ Days + (Days | Subject)", ["1", "Days"], ["1 + Days | Subject"]),
    ("Reaction ~ Days + (Days || Subject)", ["1", "Days"], ["1 | Subject", "0 + Days | Subject"]),
    ("strength ~ 1 + (1 | batch/cask)", ["1"], ["1 | cask:batch", "1 | batch"]),
    ("diameter ~ 1 + (1 | plate) + (1 | sample)", ["1"], ["1 | plate", "1 | sample"]),
    (
        "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
        ["1", "service"],
        ["1 | s", "1 | d", "1 | dept:service"],
    ),
    ("Biomass ~ Temp + N + (1 + Temp | Site)", ["1", "Temp", "N"], ["1 + Temp | Site"]),
    (
        "y ~ recipe * factor(temp) + (1 | replicate)",
        ["1", "recipe", "factor(temp)", "recipe:factor(temp)"],
        ["1 | replicate"],
    ),
    ("log(Reaction) ~ Days + I(Days^2) + (1|Subject)", ["1", "Days", "I(Days^2)"], ["1 | Subject"]),
    ("y ~ (1 | g)", ["1"], ["1 | g"]),
    ("y ~ 0 + (1 | g)", ["0"], ["1 | g"]),
    ("y ~ (x | g)", ["1"], ["1 + x | g"]),
    ("y ~ (0 + x | g)", ["1"], ["0 + x | g"]),
    ("y ~ (x - 1 | g)", ["1"], ["0 + x | g"]),
    ("y ~ (-1 + x | g)", ["1"], ["0 + x | g"]),
    ("y ~ (x + z | g)", ["1"], ["1 + x + z | g"]),
    ("y ~ (x*z | g)", ["1"], ["1 + x + z + x:z | g"]),
    ("y ~ (factor(f) | g)", ["1"], ["1 + factor(f) | g"]),
    ("y ~ (1 + x + z || g)", ["1"], ["1 | g", "0 + x | g", "0 + z | g"]),
    ("y ~ (0 + x || g)", ["1"], ["0 + x | g"]),
    ("y ~ (x - 1 || g)", ["1"], ["0 + x | g"]),
    ("y ~ (1 || g)", ["1"], ["1 | g"]),
    ("y ~ (x*z || g)", ["1"], ["1 | g", "0 + x | g", "0 + z | g", "0 + x:z | g"]),
    ("y ~ (1 | a:b)", ["1"], ["1 | a:b"]),
    ("y ~ (1 | a/b/c)", ["1"], ["1 | c:b:a", "1 | b:a", "1 | a"]),
    ("y ~ (1 | a:b/c)", ["1"], ["1 | c:a:b", "1 | a:b"]),
    ("y ~ (x || a/b)", ["1"], ["1 | b:a", "1 | a", "0 + x | b:a", "0 + x | a"]),
    ("y ~ (1 | g) + x + (x | h)", ["1", "x"], ["1 | g", "1 + x | h"]),
    ("y ~ x + ((1 | g) + (1 | h))", ["1", "x"], ["1 | g", "1 | h"]),
    ("y ~ (x + (1 | g))", ["1", "x"], ["1 | g"]),
    ("y ~ ((1 | g))", ["1"], ["1 | g"]),
    ("y ~ (1 | g) + (1 | g)", ["1"], ["1 | g", "1 | g"]),  # lme4 keeps both terms
    ("y ~ (1 | `my site`)", ["1"], ["1 | `my site`"]),
    ("y ~ x + (1 | g) - 1", ["0", "x"], ["1 | g"]),
    ("y ~ (1 | g) + x - x:z", ["1", "x"], ["1 | g"]),
    ("y ~ (1 | g) - 1", ["0"], ["1 | g"]),  # lme4 1.1-31's nobars would keep the intercept here
    ("y ~ x +\n   (1 + x |\n    g)", ["1", "x"], ["1 + x | g"]),
]


@pytest.mark.parametrize(("text", "fixed", "bars"), RANDOM)
def test_random_terms_expand_as_lme4(text, fixed, bars):
    spec = parse_formula(text)
    assert fixed_labels(spec) == fixed
    assert bar_labels(spec) == bars


def test_nested_grouping_gives_lme4_group_tuples():
    spec = parse_formula("strength ~ 1 + (1 | batch/cask)")
    assert spec.random == (
        RandomTerm(intercept=True, terms=(), group=("cask", "batch")),
        RandomTerm(intercept=True, terms=(), group=("batch",)),
    )


def test_sleepstudy_spec_in_full():
    spec = parse_formula("Reaction ~ Days + (Days | Subject)")
    days = Term((Variable("Days"),))
    assert spec.response == Variable("Reaction")
    assert spec.intercept is True
    assert spec.fixed == (days,)
    assert spec.random == (RandomTerm(True, (days,), ("Subject",)),)
    assert spec.text == "Reaction ~ Days + (Days | Subject)"


def test_specs_are_hashable_and_equal_whatever_the_spacing():
    first = parse_formula("y~x+(1|g)")
    second = parse_formula("y ~ x + (1 | g)")
    assert first == second and hash(first) == hash(second)
    assert first.text != second.text


def test_parse_is_cached():
    text = "Reaction ~ Days + (Days | Subject)"
    assert parse_formula(text) is parse_formula(text)
