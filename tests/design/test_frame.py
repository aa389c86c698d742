"""Model frame: missing values, expression evaluation and the checks with their messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore.datasets import load
from lmmcore.design import build_design
from lmmcore.errors import DataError, FitError, FormulaError


def test_rows_with_missing_values_are_dropped_and_reported(toy):
    toy.loc[[3, 7], "x"] = np.nan
    toy.loc[[7, 11], "recipe"] = None
    toy.loc[20, "g"] = np.nan  # numeric grouping column with a gap becomes float: labels stay "1", not "1.0"
    toy.loc[30, "z"] = np.nan  # not used by the formula: kept
    design = build_design("y ~ x + recipe + (1 | g)", toy)
    assert design.nobs == 56
    np.testing.assert_array_equal(design.rows, np.setdiff1d(np.arange(60), [3, 7, 11, 20]))
    assert design.messages == ("dropped 4 rows with missing values (columns: x, recipe, g)",)
    np.testing.assert_array_equal(design.y, toy["y"].to_numpy()[design.rows])
    assert set(design.reterms[0].levels) == {str(i) for i in range(1, 11)}


def test_slope_columns_count_for_missing_values(toy):
    toy.loc[[0, 1, 2], "z"] = np.nan
    design = build_design("y ~ x + (z | g)", toy)
    assert design.nobs == 57
    assert design.messages == ("dropped 3 rows with missing values (columns: z)",)


def test_grouping_levels_of_numbers_sort_numerically():
    data = load("sleepstudy")
    data["Subject"] = data["Subject"].astype(int)
    levels = build_design("Reaction ~ Days + (1 | Subject)", data).reterms[0].levels
    assert levels[:3] == ("308", "309", "310")
    data["Subject"] = data["Subject"].astype(float)
    assert build_design("Reaction ~ Days + (1 | Subject)", data).reterms[0].levels == levels


def test_unknown_column_names_it_lists_columns_and_points_at_it(toy):
    with pytest.raises(FormulaError) as err:
        build_design("y ~ tmp + (1 | g)", toy)
    assert "unknown column 'tmp'" in str(err.value)
    assert "temp" in str(err.value) and "recipe" in str(err.value)
    assert err.value.position == 4


def test_text_response(toy):
    with pytest.raises(DataError, match="response 'recipe' is text; choose a numeric column"):
        build_design("recipe ~ x + (1 | g)", toy)


def test_all_missing_response(toy):
    toy["y"] = np.nan
    with pytest.raises(DataError, match="no complete rows"):
        build_design("y ~ x + (1 | g)", toy)


def test_constant_response(toy):
    toy["y"] = 3.5
    with pytest.raises(DataError, match="response 'y' is constant"):
        build_design("y ~ x + (1 | g)", toy)


def test_not_a_data_frame_or_empty(toy):
    with pytest.raises(DataError, match="DataFrame"):
        build_design("y ~ x + (1 | g)", toy.to_dict())
    with pytest.raises(DataError, match="empty"):
        build_design("y ~ x + (1 | g)", toy.iloc[:0])


def test_no_random_term(toy):
    with pytest.raises(FitError, match=r"add a random-effects term like \(1 \| group\).*use OLS"):
        build_design("y ~ x", toy)


def test_log_and_sqrt_domains_name_the_column_and_count(toy):
    toy.loc[[1, 2, 5], "z"] = [0.0, -1.0, -2.0]
    with pytest.raises(DataError, match=r"log\(z\): 3 value\(s\) of z are zero or negative"):
        build_design("y ~ log(z) + (1 | g)", toy)
    with pytest.raises(DataError, match=r"sqrt\(z\): 2 value\(s\) of z are negative"):
        build_design("y ~ sqrt(z) + (1 | g)", toy)


def test_infinite_values_are_rejected(toy):
    toy.loc[4, "x"] = 0.0
    with pytest.raises(DataError, match=r"'I\(1/x\)' has 1 infinite value"):
        build_design("y ~ I(1/x) + (1 | g)", toy)


def test_arithmetic_on_text_is_rejected(toy):
    with pytest.raises(DataError, match="'recipe' is categorical"):
        build_design("y ~ log(recipe) + (1 | g)", toy)


def test_single_level_fixed_factor(toy):
    toy["recipe"] = "A"
    with pytest.raises(DataError, match="'recipe' has a single level"):
        build_design("y ~ recipe + (1 | g)", toy)


def test_scale_uses_all_observed_values_like_r(toy):
    # R's model.frame evaluates scale(x) before dropping rows with a missing value elsewhere
    x = toy["x"].to_numpy().copy()
    toy.loc[0, "z"] = np.nan
    design = build_design("y ~ scale(x) + z + (1 | g)", toy)
    np.testing.assert_allclose(design.X[:, 1], ((x - x.mean()) / x.std(ddof=1))[1:], rtol=1e-14)


def test_nullable_and_object_columns(toy):
    toy["x"] = pd.array([1, None, *range(58)], dtype="Int64")
    toy["recipe"] = toy["recipe"].astype(object)
    design = build_design("y ~ x + recipe + (1 | g)", toy)
    assert design.nobs == 59
    assert design.fixed_names == ("(Intercept)", "x", "recipeB", "recipeC")


def test_duplicated_column_names(toy):
    doubled = pd.concat([toy, toy[["x"]]], axis=1)
    with pytest.raises(DataError, match="several columns named 'x'"):
        build_design("y ~ x + (1 | g)", doubled)


def test_design_owns_its_arrays(toy):
    design = build_design("y ~ x + (1 | g)", toy)
    assert design.y.flags.owndata and design.y.flags.writeable
    toy.loc[0, "y"] = 99.0
    assert design.y[0] != 99.0
