"""Encoding new data with the fitted design (predict, simulate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore.datasets import load
from lmmcore.design import build_design, encode_newdata
from lmmcore.errors import DataError


def test_new_rows_match_the_fitted_rows(toy):
    formula = "y ~ recipe * scale(x) + factor(temp) + flag + (x | g)"
    design = build_design(formula, toy)
    X_new, terms = encode_newdata(design, toy.iloc[::-1].drop(columns="y"), re=True)
    np.testing.assert_allclose(X_new, design.X[::-1], rtol=0, atol=1e-15)
    ((refs, z),) = terms
    np.testing.assert_array_equal(refs, design.reterms[0].refs[::-1])
    np.testing.assert_array_equal(z, design.reterms[0].z[::-1])


def test_scale_uses_the_fitted_centre_and_sd(toy):
    design = build_design("y ~ scale(x) + (1 | g)", toy)
    x = toy["x"].to_numpy()
    new = pd.DataFrame({"x": [0.0, 1.0]})
    expected = (np.array([0.0, 1.0]) - x.mean()) / x.std(ddof=1)
    np.testing.assert_allclose(encode_newdata(design, new)[:, 1], expected, rtol=1e-14)


def test_sleepstudy_prediction_grid_and_a_new_subject():
    design = build_design("Reaction ~ Days + (Days | Subject)", load("sleepstudy"))
    new = pd.DataFrame({"Days": [0, 5], "Subject": ["308", "999"]})
    X, ((refs, z),) = encode_newdata(design, new, re=True)
    np.testing.assert_array_equal(X, [[1, 0], [1, 5]])
    np.testing.assert_array_equal(refs, [0, -1])  # 999 was not fitted: lme4 gives it 0
    np.testing.assert_array_equal(z, [[1, 0], [1, 5]])
    # the subject may come as a number: matched by R's label
    _, ((refs, _),) = encode_newdata(design, pd.DataFrame({"Days": [1], "Subject": [309]}), re=True)
    np.testing.assert_array_equal(refs, [1])


def test_nested_group_of_new_data():
    design = build_design("strength ~ 1 + (1 | batch/cask)", load("Pastes"))
    new = pd.DataFrame({"batch": ["A", "A", "K"], "cask": ["b", "z", "a"]})
    _, terms = encode_newdata(design, new, re=True)
    cask_batch, batch = (refs for refs, _ in terms)
    assert [design.reterms[0].levels[i] for i in cask_batch[:1]] == ["b:A"]
    np.testing.assert_array_equal(cask_batch[1:], [-1, -1])
    np.testing.assert_array_equal(batch, [0, 0, -1])


def test_unknown_fixed_level_is_an_error(toy):
    design = build_design("y ~ recipe + (1 | g)", toy)
    with pytest.raises(DataError, match="'recipe' has level\\(s\\) D not seen when fitting"):
        encode_newdata(design, pd.DataFrame({"recipe": ["A", "D"]}))


def test_missing_columns_are_named(toy):
    design = build_design("y ~ x + recipe + (1 | g)", toy)
    with pytest.raises(DataError, match="newdata lacks column\\(s\\) recipe"):
        encode_newdata(design, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(DataError, match="lacks column\\(s\\) g"):
        encode_newdata(design, pd.DataFrame({"x": [1.0], "recipe": ["A"]}), re=True)


def test_missing_values_give_nan_rows(toy):
    design = build_design("y ~ x + recipe + (1 | g)", toy)
    X = encode_newdata(design, pd.DataFrame({"x": [1.0, np.nan], "recipe": ["B", None]}))
    np.testing.assert_array_equal(X[0], [1, 1, 1, 0])
    assert np.isnan(X[1, 1:]).all()


def test_rank_dropped_columns_stay_dropped(toy):
    toy["x2"] = 2 * toy["x"]
    design = build_design("y ~ x + x2 + (1 | g)", toy)
    X = encode_newdata(design, pd.DataFrame({"x": [1.0], "x2": [5.0]}))
    np.testing.assert_array_equal(X, [[1.0, 1.0]])
