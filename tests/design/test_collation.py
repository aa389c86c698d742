"""Text levels sort as R's sort()/factor() sort them (ICU root collation), not by code point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lmmcore.design.collation import collation_key
from lmmcore.design.columns import categorical_values

# R 4.2.2 with ICU (locale C.UTF-8): sort(c("b", "B", "a", ...)) printed with cat()
R_SORTED = [
    "_a", "-a", "1", "10", "9", "a", "A", "\u00e1", "a b", "a_b", "a-b", "a.b", "a1", "ab", "aB", "Ab", "AB",
    "ab2", "ae", "a\u00e9", "b", "B", "e", "E", "\u00e9", "f", "z", "Z",
]  # fmt: skip


def test_text_sorts_as_r_sorts_it():
    shuffled = list(np.random.default_rng(0).permutation(R_SORTED))
    assert sorted(shuffled, key=collation_key) == R_SORTED


def test_factor_levels_follow_r_so_the_baseline_is_lme4s():
    # fuzz case mixed_case_labels: lme4's coefficients are labdrug_A, labDrug-b, labPlacebo
    f = categorical_values(pd.Series(["Placebo", "drug_A", None, "control", "Drug-b", "control"]))
    assert f.labels == ("control", "drug_A", "Drug-b", "Placebo")
    assert list(f.codes) == [3, 1, -1, 0, 2, 0]


def test_all_missing_text_has_no_levels():
    f = categorical_values(pd.Series([None, None], dtype=object))
    assert f.labels == () and list(f.codes) == [-1, -1]
