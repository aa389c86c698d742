"""Arithmetic of columns on the left of ``~`` as lme4 evaluates it (``incidence/size``), through the same
grammar as the right-hand side: parsed into expressions, computed by numpy, never evaluated as code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lmmcore
from lmmcore.errors import FormulaError
from lmmcore.formula import expr_label, parse_formula


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("incidence/size ~ period + (1 | herd)", "incidence/size"),
        ("a - b ~ x", "a - b"),
        ("log(a + 1) ~ x", "log(a + 1)"),
        ("(a + b)/2 ~ x", "(a + b)/2"),
        ("a * b ~ x", "a * b"),
        ("-y ~ x", "-y"),
        ("a^2 ~ x", "a^2"),
    ],
)
def test_response_arithmetic_is_named_as_r_deparses_it(text, name):
    assert expr_label(parse_formula(text).response) == name


@pytest.mark.parametrize("text", ["a:b ~ x", "a %in% b ~ x", "(1 | g) ~ x", "a == b ~ x"])
def test_what_is_not_arithmetic_is_refused_with_a_message(text):
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_ratio_response_fits_the_computed_values():
    rng = np.random.default_rng(3)
    herd = np.repeat([f"h{i}" for i in range(8)], 6)
    size = rng.integers(5, 30, herd.size).astype(float)
    incidence = np.floor(size * rng.uniform(0.0, 0.4, herd.size))
    period = np.tile(["1", "2", "3"], herd.size // 3)
    data = pd.DataFrame({"incidence": incidence, "size": size, "period": period, "herd": herd})
    data["ratio"] = data["incidence"] / data["size"]
    by_text = lmmcore.fit("incidence/size ~ period + (1 | herd)", data)
    by_column = lmmcore.fit("ratio ~ period + (1 | herd)", data)
    assert by_text.design.response_name == "incidence/size"
    # the same numbers in the same order: only the response's name differs
    np.testing.assert_allclose(by_text.fixef.to_numpy(), by_column.fixef.to_numpy(), rtol=1e-12)
    assert by_text.criterion == pytest.approx(by_column.criterion, rel=1e-12)
