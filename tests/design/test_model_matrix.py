"""R's model.matrix column names and values (treatment contrasts, TermCode's margin rule, no intercept).

Expected names are what R 4.2's ``model.matrix`` prints for the same formula and data.
"""

from __future__ import annotations

import numpy as np
import pytest

from lmmcore.design import build_design

NAMING = [
    ("y ~ x + (1 | g)", ("(Intercept)", "x")),
    ("y ~ recipe + (1 | g)", ("(Intercept)", "recipeB", "recipeC")),
    ("y ~ flag + (1 | g)", ("(Intercept)", "flagTRUE")),
    (
        "y ~ factor(temp) + (1 | g)",
        ("(Intercept)", "factor(temp)175", "factor(temp)185", "factor(temp)195", "factor(temp)205"),
    ),
    (
        "y ~ recipe * flag + (1 | g)",
        ("(Intercept)", "recipeB", "recipeC", "flagTRUE", "recipeB:flagTRUE", "recipeC:flagTRUE"),
    ),
    ("y ~ 0 + recipe + (1 | g)", ("recipeA", "recipeB", "recipeC")),
    ("y ~ 0 + recipe + flag + (1 | g)", ("recipeA", "recipeB", "recipeC", "flagTRUE")),
    ("y ~ x:recipe + (1 | g)", ("(Intercept)", "x:recipeA", "x:recipeB", "x:recipeC")),
    (
        "y ~ recipe + recipe:x + (1 | g)",
        ("(Intercept)", "recipeB", "recipeC", "recipeA:x", "recipeB:x", "recipeC:x"),
    ),
    ("y ~ x * z + (1 | g)", ("(Intercept)", "x", "z", "x:z")),
    ("y ~ I(x^2) + log(z) + scale(x) + (1 | g)", ("(Intercept)", "I(x^2)", "log(z)", "scale(x)")),
    ("y ~ exp(x) + sqrt(z) + I(x * z) + (1 | g)", ("(Intercept)", "exp(x)", "sqrt(z)", "I(x * z)")),
    (
        "y ~ I(x/2) + I((x + 1)^2) + log(z, 10) + (1 | g)",
        ("(Intercept)", "I(x/2)", "I((x + 1)^2)", "log(z, 10)"),
    ),
]


@pytest.mark.parametrize(("formula", "names"), NAMING)
def test_column_names_as_r(toy, formula, names):
    assert build_design(formula, toy).fixed_names == names


def test_interaction_without_margins_uses_indicators_and_lme4_drops_the_last(toy):
    design = build_design("y ~ recipe:flag + (1 | g)", toy)
    # R: (Intercept) + all 6 indicator products; rank 6, lme4 drops the last one
    assert design.fixed_names == (
        "(Intercept)",
        "recipeA:flagFALSE",
        "recipeB:flagFALSE",
        "recipeC:flagFALSE",
        "recipeA:flagTRUE",
        "recipeB:flagTRUE",
    )
    assert design.dropped_fixed == ("recipeC:flagTRUE",)


def test_factor_of_numbers_sorts_numerically_with_r_labels(toy):
    toy["temp"] = np.tile([185.0, 1e5, 2.5, 10.0, 0.0001], 12)
    design = build_design("y ~ factor(temp) + (1 | g)", toy)
    # levels 1e-04 < 2.5 < 10 < 185 < 1e+05; the first is the reference
    assert design.fixed_names[1:] == (
        "factor(temp)2.5",
        "factor(temp)10",
        "factor(temp)185",
        "factor(temp)1e+05",
    )


def test_matrix_values(toy):
    design = build_design("y ~ recipe * x + (1 | g)", toy)
    assert design.fixed_names == ("(Intercept)", "recipeB", "recipeC", "x", "recipeB:x", "recipeC:x")
    is_b = (toy["recipe"] == "B").to_numpy(dtype=float)
    x = toy["x"].to_numpy()
    np.testing.assert_array_equal(design.X[:, 0], 1.0)
    np.testing.assert_array_equal(design.X[:, 1], is_b)
    np.testing.assert_array_equal(design.X[:, 3], x)
    np.testing.assert_array_equal(design.X[:, 4], is_b * x)


def test_pandas_categorical_keeps_category_order(toy):
    toy["recipe"] = toy["recipe"].astype("category").cat.reorder_categories(["C", "B", "A"])
    assert build_design("y ~ recipe + (1 | g)", toy).fixed_names == ("(Intercept)", "recipeB", "recipeA")


def test_unused_categories_are_dropped(toy):
    toy["recipe"] = toy["recipe"].astype("category").cat.add_categories(["Z"])
    assert build_design("y ~ 0 + recipe + (1 | g)", toy).fixed_names == ("recipeA", "recipeB", "recipeC")


def test_expression_values(toy):
    design = build_design("y ~ I(x/2) + I((x + 1)^2) + log(z, 10) + I(-z^3) + (1 | g)", toy)
    x, z = toy["x"].to_numpy(), toy["z"].to_numpy()
    np.testing.assert_allclose(
        design.X[:, 1:], np.column_stack([x / 2, (x + 1) ** 2, np.log10(z), -(z**3)]), rtol=1e-14
    )


def test_scale_centres_and_scales_with_sd_n_minus_1(toy):
    design = build_design("y ~ scale(x) + (1 | g)", toy)
    x = toy["x"].to_numpy()
    np.testing.assert_allclose(design.X[:, 1], (x - x.mean()) / x.std(ddof=1), rtol=1e-14)


def test_random_lhs_coding(toy):
    full = build_design("y ~ 1 + (0 + recipe | g)", toy).reterms[0]
    contrasts = build_design("y ~ 1 + (recipe | g)", toy).reterms[0]
    assert full.names == ("recipeA", "recipeB", "recipeC")
    assert contrasts.names == ("(Intercept)", "recipeB", "recipeC")
    assert contrasts.theta_names[:2] == ("g.(Intercept)", "g.recipeB.(Intercept)")
    np.testing.assert_array_equal(full.z.sum(axis=1), 1.0)


def test_logical_column_with_gaps_is_still_r_logical(toy):
    toy["flag"] = toy["flag"].astype(object)
    toy.loc[0, "flag"] = None
    design = build_design("y ~ flag + (1 | g)", toy)
    assert design.fixed_names == ("(Intercept)", "flagTRUE")
    assert design.nobs == 59
