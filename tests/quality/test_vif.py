"""Variance inflation factors against performance 0.10.2's ``check_collinearity`` (``q_*.json`` with vif).

VIF, SE factor and tolerance are compared on our fit at the issue's 1e-4.  The interval ends come from
``r = 1 - 1/VIF`` on the logit scale: for a VIF near 1 (``r`` near 0) they amplify the fits' ~1e-5
difference a thousandfold, so they are compared at lme4's theta, where the arithmetic alone counts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lmmcore.fitting import criterion_for
from lmmcore.quality.vif import COLUMNS
from tests.quality.conftest import quality_fit, quality_names

WITH_VIF = [name for name in quality_names("q") if "vif" in quality_fit(name)[0]]


@pytest.mark.parametrize("name", WITH_VIF)
def test_vif_matches_performance(name):
    ref, m = quality_fit(name)
    table = m.vif()
    assert list(table.columns) == list(COLUMNS)
    if ref["vif"] is None:
        assert table.empty  # performance: "Not enough model terms ... to check for multicollinearity"
        return
    assert list(table.index) == ref["vif"]["Term"]
    for column in ("VIF", "SE_factor", "Tolerance"):
        np.testing.assert_allclose(table[column].to_numpy(), ref["vif"][column], rtol=1e-4, err_msg=column)


@pytest.mark.parametrize("name", [n for n in WITH_VIF if quality_fit(n)[0]["vif"] is not None])
def test_vif_intervals_at_lme4_theta(name):
    ref, m = quality_fit(name)
    theta = np.atleast_1d(np.asarray(ref["theta"], dtype=float))
    table = dataclasses.replace(m, solution=criterion_for(m).solve(theta)).vif()
    for column in ("VIF", "VIF_CI_low", "VIF_CI_high", "SE_factor", "Tolerance"):
        np.testing.assert_allclose(table[column].to_numpy(), ref["vif"][column], rtol=1e-6, err_msg=column)


def test_the_factorial_has_generalised_vifs_of_multi_column_terms():
    """B (3 levels) and A:B have two columns each: one GVIF per term, not per column."""
    _, m = quality_fit("q_factorial")
    table = m.vif()
    assert len(m.fixef) == 7 and list(table.index) == ["A", "B", "x", "A:B"]
    assert (table["VIF"] >= 1).all()
