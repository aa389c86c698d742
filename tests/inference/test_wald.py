"""Wald intervals against lme4's ``confint(m, method = "Wald")``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lmmcore.errors import InferenceError
from lmmcore.inference.wald import wald_intervals
from lmmcore.varcomp import sdcor_names
from tests.refs import CLASSIC_FITS, as_frame, at_reference_theta, fitted, load_reference


@pytest.mark.parametrize("name", CLASSIC_FITS)
def test_wald_matches_lme4(name):
    ref = as_frame(load_reference(name)["confint_wald"])
    # at lme4's optimum the arithmetic must agree to rounding
    m = at_reference_theta(name)
    ours = wald_intervals(m)
    nvar = len(sdcor_names(m.design.reterms))
    assert list(ours.index) == sdcor_names(m.design.reterms) + list(m.design.fixed_names)
    assert list(ours.columns) == ["2.5 %", "97.5 %"]
    assert ours.iloc[:nvar].isna().all().all()
    np.testing.assert_allclose(ours.iloc[nvar:].to_numpy(), ref.iloc[nvar:].to_numpy(), rtol=1e-6)
    # at our own optimum: beta and se differ from lme4's by up to ~3e-5 of the se (ML sleepstudy, a
    # flat likelihood), so the ends agree to that fraction of the interval's width
    ours = wald_intervals(fitted(name)).iloc[nvar:].to_numpy()
    expected = ref.iloc[nvar:].to_numpy()
    width = (expected[:, 1] - expected[:, 0])[:, None]
    assert np.all(np.abs(ours - expected) <= 1e-4 * width)


def test_other_level_scales_the_half_width():
    m = fitted("sleepstudy_slopes")
    wide, narrow = wald_intervals(m, 0.99), wald_intervals(m, 0.5)
    assert list(wide.columns) == ["0.5 %", "99.5 %"] and list(narrow.columns) == ["25 %", "75 %"]
    half_wide = (wide.iloc[-1, 1] - wide.iloc[-1, 0]) / 2
    half_narrow = (narrow.iloc[-1, 1] - narrow.iloc[-1, 0]) / 2
    assert half_wide / half_narrow == pytest.approx(stats.norm.ppf(0.995) / stats.norm.ppf(0.75), rel=1e-12)
    assert half_wide == pytest.approx(stats.norm.ppf(0.995) * m.se["Days"], rel=1e-12)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.2, float("nan"), "high"])
def test_bad_level_is_refused(level):
    with pytest.raises(InferenceError, match="level"):
        wald_intervals(fitted("dyestuff"), level)
