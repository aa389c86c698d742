"""The ``confint`` dispatcher: methods, validation, R's column labels, lme4's row layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lmmcore.errors import InferenceError
from lmmcore.inference.intervals import confint
from lmmcore.inference.levels import interval_columns
from lmmcore.inference.profile import profile_intervals
from lmmcore.inference.wald import wald_intervals
from tests.refs import fitted


@pytest.fixture(scope="module")
def dyestuff():
    return fitted("dyestuff")


def test_wald_and_profile_dispatch(dyestuff):
    pd.testing.assert_frame_equal(confint(dyestuff, "Wald"), wald_intervals(dyestuff))
    pd.testing.assert_frame_equal(confint(dyestuff, "profile", level=0.9), profile_intervals(dyestuff, 0.9))


@pytest.mark.parametrize("method", ["boot", "sim"])
def test_simulation_methods_have_the_same_layout(dyestuff, method):
    ours = confint(dyestuff, method, nsim=40, seed=7)
    assert list(ours.index) == list(wald_intervals(dyestuff).index)
    assert list(ours.columns) == ["2.5 %", "97.5 %"]
    again = confint(dyestuff, method, nsim=40, seed=7)
    pd.testing.assert_frame_equal(ours, again)
    fixed = ours.loc["(Intercept)"]
    assert fixed.iloc[0] < dyestuff.fixef["(Intercept)"] < fixed.iloc[1]


def test_unknown_method_lists_the_methods(dyestuff):
    with pytest.raises(InferenceError, match="wald, profile, boot, sim"):
        confint(dyestuff, "bayes")


@pytest.mark.parametrize("nsim", [0, -5, 2.5, True, "100"])
def test_bad_nsim_is_refused(dyestuff, nsim):
    with pytest.raises(InferenceError, match="nsim"):
        confint(dyestuff, "boot", nsim=nsim)


@pytest.mark.parametrize("level", [0.0, 1.0, 2, None])
def test_bad_level_is_refused(dyestuff, level):
    with pytest.raises(InferenceError, match="level"):
        confint(dyestuff, "wald", level=level)


@pytest.mark.parametrize(
    ("level", "labels"),
    [
        (0.95, ["2.5 %", "97.5 %"]),
        (0.9, ["5 %", "95 %"]),
        (0.99, ["0.5 %", "99.5 %"]),
        (0.999, ["0.05 %", "99.95 %"]),
        (0.5, ["25 %", "75 %"]),
    ],
)
def test_column_labels_are_rs(level, labels):
    assert interval_columns(level) == labels


def test_wald_rows_for_variance_parameters_are_nan(dyestuff):
    table = confint(dyestuff)
    assert np.isnan(table.loc[["sd_(Intercept)|Batch", "sigma"]].to_numpy()).all()
