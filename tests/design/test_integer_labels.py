"""Whole numbers stored as floats (pandas' way with a missing value) get R's integer labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.design.columns import categorical_values


def test_whole_floats_with_a_gap_are_labelled_as_r_reads_integers():
    # R: read.csv(text = "id\n100000\nNA\n200000") is integer, levels "100000" "200000" (not "1e+05")
    f = categorical_values(pd.Series([100000.0, np.nan, 200000.0]))
    assert f.labels == ("100000", "200000") and list(f.codes) == [0, -1, 1]


def test_labels_do_not_depend_on_the_gap():
    # the rows without the gap (dropna, new data for predict) must match the fitted levels
    assert categorical_values(pd.Series([100000.0, 200000.0])).labels == ("100000", "200000")


def test_fractions_and_numbers_beyond_integers_keep_double_labels():
    assert categorical_values(pd.Series([1.5, np.nan, 2.0])).labels == ("1.5", "2")
    assert categorical_values(pd.Series([3e9, np.nan])).labels == ("3e+09",)
