"""lme4's rank-deficiency handling: which columns go, and the message."""

from __future__ import annotations

import numpy as np

from lmmcore.design import build_design
from lmmcore.design.rank import independent_columns


def test_duplicate_column_is_dropped_with_lme4_message(toy):
    toy["x2"] = 2 * toy["x"]
    design = build_design("y ~ x + x2 + (1 | g)", toy)
    assert design.fixed_names == ("(Intercept)", "x")
    assert design.dropped_fixed == ("x2",)
    assert design.X.shape == (60, 2)
    assert design.messages == (
        "fixed-effect model matrix is rank deficient so dropping 1 column / coefficient: x2",
    )


def test_later_column_goes_even_when_smaller(toy):
    # LINPACK's rule keeps the earlier of two collinear columns, whatever their norms
    toy["tiny"] = 1e-3 * toy["x"]
    toy["w"] = toy["z"] + toy["x"]
    design = build_design("y ~ tiny + x + z + w + (1 | g)", toy)
    assert design.dropped_fixed == ("x", "w")
    assert design.messages[0].startswith("fixed-effect model matrix is rank deficient so dropping 2 columns")


def test_full_rank_keeps_everything():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 6))
    np.testing.assert_array_equal(independent_columns(X), np.arange(6))
    X[:, 4] = X[:, 0] - X[:, 2] + 1e-12 * rng.normal(size=50)
    X[:, 5] = 0.0
    np.testing.assert_array_equal(independent_columns(X), [0, 1, 2, 3])


def test_very_different_scales_give_lme4s_warning(toy):
    assert build_design("y ~ x + z + flag + (1 | g)", toy).messages == ()
    toy["big"] = 1e4 * toy["z"]
    assert build_design("y ~ x + big + (1 | g)", toy).messages == (
        "Some predictor variables are on very different scales: consider rescaling",
    )
