"""lme4's singular-fit test, in its one home: diagonal thetas (lower bound 0) below the tolerance."""

from __future__ import annotations

import numpy as np

import lmmcore
from lmmcore.fitting.singular import SINGULAR_TOL, is_singular, on_boundary

# (Days | Subject): theta = (T11, T21, T22); T21 is off the diagonal, bounded by -inf
LOWER = np.array([0.0, -np.inf, 0.0])


def test_only_diagonal_entries_below_the_tolerance_count():
    assert not is_singular(np.array([0.9, -1e-9, 0.2]), LOWER)  # a tiny covariance is no boundary
    assert is_singular(np.array([0.9, 0.3, 0.5 * SINGULAR_TOL]), LOWER)
    assert not is_singular(np.array([0.9, 0.3, 2 * SINGULAR_TOL]), LOWER)
    np.testing.assert_array_equal(on_boundary(np.array([0.0, 0.0, 1.0]), LOWER), [True, False, False])


def test_rows_of_thetas_give_one_answer_each_and_the_tolerance_is_a_parameter():
    thetas = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [5e-5, 0.2, 1.0]])
    np.testing.assert_array_equal(is_singular(thetas, LOWER), [False, True, True])
    np.testing.assert_array_equal(is_singular(thetas, LOWER, tol=1e-5), [False, True, False])
    assert isinstance(is_singular(thetas[0], LOWER), bool)


def test_fits_report_lme4s_verdict():
    sleep = lmmcore.datasets.load("sleepstudy")
    assert not lmmcore.fit("Reaction ~ Days + (Days | Subject)", sleep).singular
    assert lmmcore.fit("Reaction ~ Days + (1 | Subject) + (1 | Days)", sleep).singular  # lme4: theta 0
