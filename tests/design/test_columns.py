"""Column typing and R's level labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore.design.columns import categorical_values, r_label, r_number_label


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (185.0, "185"),
        (2.5, "2.5"),
        (1, "1"),
        (np.int64(100000), "100000"),  # an R integer prints in full
        (1e5, "1e+05"),  # an R double does not
        (123456.0, "123456"),
        (0.0001, "1e-04"),
        (0.001, "0.001"),
        (0.1 + 0.2, "0.3"),  # 15 significant digits
        (1 / 3, "0.333333333333333"),
        (-2.5, "-2.5"),
        (0.0, "0"),
        (1.5e-10, "1.5e-10"),
    ],
)
def test_r_number_labels(value, label):
    assert r_number_label(value) == label


def test_r_labels_of_booleans_and_text():
    assert (r_label(True), r_label(np.bool_(False)), r_label("308")) == ("TRUE", "FALSE", "308")


def test_categorical_level_orders():
    assert categorical_values(pd.Series(["b", "a", None, "b"])).labels == ("a", "b")
    numbers = categorical_values(pd.Series([10, 9, 100, 9]))
    assert numbers.labels == ("9", "10", "100")
    np.testing.assert_array_equal(numbers.codes, [1, 0, 2, 0])
    assert categorical_values(pd.Series([2.0, np.nan, 1.0])).codes.tolist() == [1, -1, 0]
    ordered = pd.Series(pd.Categorical(["lo", "hi"], categories=["lo", "mid", "hi"]))
    assert categorical_values(ordered).labels == ("lo", "mid", "hi")  # unused levels go later, at take()
    assert categorical_values(ordered).take(None).labels == ("lo", "hi")
    assert categorical_values(pd.Series([False, False])).take(None).labels == ("FALSE", "TRUE")
