"""Writes the fuzz data and model list, then runs make_fuzz_references.R to fit them in lme4.

    python tests/reference/make_fuzz_references.py      # from the repository root (needs Rscript)

Data are drawn with a fixed seed, so the CSVs (tests/reference/data/fuzz/) and the JSON references
(tests/reference/lme4/fuzz/) are reproducible. The models cover what the classic references do not:
unbalanced groups (1-2 rows in some), missing values in several columns, correlated, uncorrelated and
3-column random terms, crossed and nested factors, factor fixed effects and interactions, calls
(log, scale, I), no intercept, numeric-looking group labels, a factor inside a random term,
variance components that are truly zero, rank-deficient fixed parts, ML and REML.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DATA_DIR = HERE / "data" / "fuzz"

#: (id, data, formula, REML)
MODELS = [
    ("ri_reml", "fz_main", "y ~ x + (1 | g)", True),
    ("ri_ml", "fz_main", "y ~ x + (1 | g)", False),
    ("intercept_only", "fz_main", "y ~ 1 + (1 | g)", True),
    ("slopes_corr", "fz_main", "y ~ x + z + (x | g)", True),
    ("slopes_corr_ml", "fz_main", "y ~ x + z + (x | g)", False),
    ("slopes_uncorr", "fz_main", "y ~ x + z + (x || g)", True),
    ("slopes_uncorr_split", "fz_main", "y ~ x + z + (1 | g) + (0 + x | g)", True),
    ("slope_only", "fz_main", "y ~ x + (0 + x | g)", True),
    ("three_col", "fz_main", "y ~ x + z + (1 + x + z | g)", True),
    ("three_col_ml", "fz_main", "y ~ x + z + (1 + x + z | g)", False),
    ("three_col_uncorr_ml", "fz_main", "y ~ x + z + (1 + x + z || g)", False),
    ("crossed", "fz_main", "y ~ x + (1 | g) + (1 | h)", True),
    ("crossed_slopes", "fz_main", "y ~ x + (x | g) + (1 | h)", True),
    ("crossed_slopes_ml", "fz_main", "y ~ x + (x | g) + (1 | h)", False),
    ("nested", "fz_main", "y ~ x + (1 | site/plot)", True),
    ("nested_ml", "fz_main", "y ~ x + (1 | site/plot)", False),
    ("nested_explicit", "fz_main", "y ~ x + (1 | site) + (1 | site:plot)", True),
    ("factor_fixed", "fz_main", "y ~ f + x + (1 | g)", True),
    ("factor_by_numeric", "fz_main", "y ~ f * x + (1 | g)", True),
    ("factor_by_factor", "fz_main", "y ~ f * f2 + (1 | g)", True),
    ("factor_by_factor_ml", "fz_main", "y ~ f * f2 + (1 | g)", False),
    ("factor_colon_numeric", "fz_main", "y ~ f2 + f2:x + (1 | h)", True),
    ("calls", "fz_main", "y ~ log(w) + scale(x) + I(x^2) + (1 | g)", True),
    ("calls_in_random", "fz_main", "y ~ scale(x) + (scale(x) | g)", True),
    ("log_response", "fz_main", "log(w) ~ x + I(z^2) + (1 | h)", False),
    ("no_intercept", "fz_main", "y ~ 0 + f + x + (1 | g)", True),
    ("no_intercept_ml", "fz_main", "y ~ -1 + f + x + (1 | g)", False),
    ("numeric_groups", "fz_main", "y ~ x + (1 | gid)", True),
    ("numeric_groups_slopes_ml", "fz_main", "y ~ x + (x | gid)", False),
    ("factor_in_random", "fz_main", "y ~ f + (0 + f | site)", True),
    ("factor_in_random_g", "fz_main", "y ~ x + (0 + f | g)", True),
    ("group_by_factor", "fz_main", "y ~ f + (1 | g) + (1 | g:f)", True),
    ("singular_intercept", "fz_main", "y0 ~ x + (1 | g)", True),
    ("singular_intercept_ml", "fz_main", "y0 ~ x + (1 | g)", False),
    ("singular_slope", "fz_main", "ys ~ x + (x | g)", True),
    ("singular_slope_uncorr", "fz_main", "ys ~ x + (x || g)", True),
    ("singular_crossed_ml", "fz_main", "y0 ~ x + (1 | g) + (1 | h)", False),
    ("interactions_numeric", "fz_main", "y ~ x * z + f + (1 | h)", True),
    ("factor_numeric_levels", "fz_main", "y ~ x + factor(gid) + (1 | h)", True),
    ("factor_colon_only", "fz_main", "y ~ f:x + (1 | g)", True),
    ("factor_by_factor_no_margins", "fz_main", "y ~ x + f:f2 + (1 | g)", True),
    ("power_of_sum", "fz_main", "y ~ (x + z + f)^2 + (1 | g)", True),
    ("minus_one_after", "fz_main", "y ~ x * f - 1 + (1 | h)", False),
    ("more_calls", "fz_main", "y ~ exp(z) + sqrt(w) + I(x * z) + (1 | g)", True),
    ("three_crossed", "fz_main", "y ~ x + (1 | g) + (1 | h) + (1 | site)", True),
    ("crossed_slope_on_small", "fz_main", "y ~ z + (1 | g) + (x | h)", True),
    ("nested_slopes_ml", "fz_main", "y ~ x + (x | site/plot)", False),
    ("interaction_group", "fz_main", "y ~ x + (1 | g:h)", True),
    ("four_col", "fz_main", "y ~ x + z + log(w) + (1 + x + z + log(w) | g)", False),
    ("large_scale", "fz_main", "I(y * 10000 + 1e+05) ~ x + (x | g)", True),
    ("small_scale", "fz_main", "I(y/1000) ~ I(x * 1000) + (1 | g)", True),
    ("numeric_groups_two", "fz_main", "y ~ x + (1 | gid) + (1 | g)", True),
    ("interaction_in_random", "fz_main", "y ~ x * z + (x:z | g)", True),
    ("mixed_case_labels", "fz_main", "y ~ x + lab + (1 | g)", True),
    ("mixed_case_labels_by_numeric", "fz_main", "y ~ lab * x + (1 | h)", False),
    ("duplicated_term", "fz_main", "y ~ x + (1 | g) + (1 | g)", True),
    ("two_slopes_on_two_factors", "fz_main", "y ~ x + z + (1 + x | g) + (1 + z | h)", True),
    ("factor_4_levels_in_random", "fz_main", "y ~ x + f2 + (1 + f2 | g)", True),
    ("grouped_by_fixed_factor", "fz_main", "y ~ x + (1 | g) + (1 | f2)", True),
    ("numeric_groups_with_na", "fz_main", "y ~ x + factor(gid2) + (1 | g)", True),
    ("numeric_groups_with_na_random", "fz_main", "y ~ x + (x | gid2)", True),
    ("logical_with_na", "fz_main", "y ~ x + flag + (1 | g)", True),
    ("logical_group", "fz_main", "y ~ x + (1 | flag) + (1 | h)", True),
    ("no_spaces", "fz_main", "y~x*z+(x||g)", True),
    ("x_colon_x", "fz_main", "y ~ x + x:x + z + (1 | g)", True),
    ("minus_interaction", "fz_main", "y ~ (x + z)^2 - x:z + (1 | g)", True),
    ("fixed_nesting", "fz_main", "y ~ f/x + (1 | g)", True),
    ("slash_group_three", "fz_main", "y ~ x + (1 | g/h)", True),
    ("overlapping_intercepts", "fz_main", "y ~ x + (1 + x | g) + (1 | g)", True),
    ("call_by_factor", "fz_main", "y ~ I(x^2):f + x + (1 | g)", True),
    ("factor_random_second", "fz_main", "y ~ x + (1 | g) + (0 + f | h)", True),
    ("duplicate_column_via_I", "fz_main", "y ~ x + I(x) + (1 | g)", False),
    ("integer_labels_with_na", "fz_main", "y ~ x + factor(big_id) + (1 | h)", True),
    ("integer_groups_with_na", "fz_main", "y ~ x + (1 | big_id)", True),
    ("slope_small_scale", "fz_main", "y ~ x + (1 + I(x/1000) | g)", True),
    ("slope_small_scale_uncorr", "fz_main", "y ~ I(x/1000) + (I(x/1000) || g)", True),
    ("slope_large_scale_ml", "fz_main", "y ~ x + (1 + I(x * 1000) | g)", False),
    ("slope_far_from_zero", "fz_main", "y ~ I(x + 1000) + (I(x + 1000) | g)", True),
    ("factor_double_bar", "fz_main", "y ~ x + (f || g)", True),
    ("interaction_double_bar", "fz_main", "y ~ x + (x * z || g)", False),
    ("factor_and_numeric_double_bar", "fz_main", "y ~ x + (f + x || site)", True),
]


def _main_data(rng: np.random.Generator) -> pd.DataFrame:
    """~250 rows: 30 unbalanced groups g (four with 1-2 rows), crossed h, plots nested in sites."""
    sizes = rng.integers(5, 13, size=30)
    sizes[[0, 1, 2, 3]] = [1, 2, 1, 2]
    g_codes = np.repeat(np.arange(30), sizes)
    n = g_codes.shape[0]
    order = rng.permutation(n)  # rows in no particular order
    g_codes = g_codes[order]
    x = rng.normal(0.0, 1.0, n)
    z = rng.uniform(-1.0, 1.0, n)
    w = np.exp(rng.normal(1.0, 0.5, n))
    f = rng.choice(["a", "b", "c"], n, p=[0.4, 0.35, 0.25])
    f2 = rng.choice(["lo", "mid", "hi", "top"], n)
    f2[(f == "c") & (f2 == "top")] = "hi"  # an empty cell: f * f2 is rank deficient
    h_codes = rng.integers(0, 6, n)
    site_codes = rng.integers(0, 6, n)
    plot_codes = rng.integers(0, 4, n)
    gid_labels = np.array([5, 10, 20, 40, 80, 100, 150, 200, 250, 300, 7, 70, 700])  # "10" < "5" as text
    gid = gid_labels[g_codes % gid_labels.shape[0]]

    b0, b1, b2 = rng.normal(0, [1.5, 0.6, 0.4], size=(30, 3)).T
    c_h = rng.normal(0, 0.8, 6)
    c_site = rng.normal(0, 1.0, 6)
    c_plot = rng.normal(0, 0.7, (6, 4))
    f_effect = np.select([f == "b", f == "c"], [1.0, -0.5], 0.0)
    f_slope = np.select([f == "b", f == "c"], [0.7, -0.3], 0.0)
    f2_effect = pd.Series(f2).map({"lo": 0.0, "mid": 0.4, "hi": -0.6, "top": 1.2}).to_numpy()
    e = rng.normal(0, 1.0, n)
    y = (
        2.0
        + (0.5 + f_slope + b1[g_codes]) * x
        + (-1.0 + b2[g_codes]) * z
        + 0.3 * np.log(w)
        + f_effect
        + f2_effect
        + b0[g_codes]
        + c_h[h_codes]
        + c_site[site_codes]
        + c_plot[site_codes, plot_codes]
        + e
    )
    y0 = 1.0 + 0.8 * x + rng.normal(0, 1.0, n)  # no group effect at all
    ys = 1.0 + 0.8 * x + b0[g_codes] + rng.normal(0, 1.0, n)  # no random slope
    data = pd.DataFrame(
        {
            "y": y,
            "y0": y0,
            "ys": ys,
            "x": x,
            "z": z,
            "w": w,
            "f": f,
            "f2": f2,
            "g": [f"g{c + 1:02d}" for c in g_codes],
            "gid": gid,
            "h": [f"h{c + 1}" for c in h_codes],
            "site": [f"S{c + 1}" for c in site_codes],
            "plot": [f"P{c + 1}" for c in plot_codes],
        }
    )
    for column, count in [("y", 3), ("x", 4), ("f", 3), ("g", 2), ("w", 2), ("h", 2)]:
        rows = rng.choice(n, count, replace=False)
        data.loc[rows, column] = np.nan
    # mixed case and punctuation: R's factor() sorts them with ICU's collation, not by code point
    data["lab"] = np.random.default_rng(99).choice(["control", "Placebo", "drug_A", "Drug-b"], n)
    extra = np.random.default_rng(100)
    data["gid2"] = data["gid"].where(extra.random(n) > 0.03)  # float with NaN: labels 5, 10, not 5.0
    # whole numbers with NA: R reads integers (labels 50000, 1e+05 only for doubles); pandas reads floats
    data["big_id"] = (data["gid"] * 10000).where(extra.random(n) > 0.03)
    flag = pd.Series(np.where(extra.random(n) > 0.5, "TRUE", "FALSE"))  # R's logicals, as read.csv reads them
    data["flag"] = flag.where(extra.random(n) > 0.03)
    return data


def write_data() -> None:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261126)
    data = _main_data(rng)
    data.to_csv(DATA_DIR / "fz_main.csv", index=False, na_rep="NA", float_format="%.10g")
    with open(DATA_DIR / "models.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "data", "formula", "REML"])
        for row in MODELS:
            writer.writerow([*row[:3], "TRUE" if row[3] else "FALSE"])


if __name__ == "__main__":
    write_data()
    subprocess.run(["Rscript", str(HERE / "make_fuzz_references.R")], check=True)
