"""The one lowess smoother of Diagnostics and Model check: R's lowess on small data, a bounded sample on large
data; and the large-data helpers the event-loop figures rely on (bins, sorted quantiles, group summaries)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from explorer.figures.large_data import binned_counts, group_summary, sorted_quantiles
from explorer.figures.smoother import GRID_POINTS, SAMPLE_SIZE, lowess_curve, smoothing_rows
from statsmodels.nonparametric.smoothers_lowess import lowess


def _r_lowess(x, y):
    """R's lowess(x, y) defaults through statsmodels: f = 2/3, iter = 3, delta = 1 % of the x range."""
    return lowess(y, x, frac=2 / 3, it=3, delta=0.01 * float(np.ptp(x)), return_sorted=True)


@pytest.mark.parametrize("n", [3, 10, 180, 2_000, SAMPLE_SIZE])
def test_small_data_is_rs_lowess_on_every_point(n):
    rng = np.random.default_rng(n)
    x = rng.uniform(0, 10, n)
    y = np.sin(x) + rng.normal(0, 0.5, n)
    sx, sy = lowess_curve(x, y, max_points=SAMPLE_SIZE)
    expected = _r_lowess(x, y)
    np.testing.assert_allclose(sx, expected[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(sy, expected[:, 1], rtol=0, atol=1e-12)


def test_long_curve_is_redrawn_on_the_grid_by_interpolation():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 10, 1_000)
    y = x**2 / 10 + rng.normal(size=1_000)
    sx, sy = lowess_curve(x, y)
    expected = _r_lowess(x, y)
    assert len(sx) == GRID_POINTS and sx[0] == expected[0, 0] and sx[-1] == expected[-1, 0]
    np.testing.assert_allclose(sy, np.interp(sx, expected[:, 0], expected[:, 1]), atol=1e-12)


def test_too_few_points_or_constant_x_give_no_curve():
    for x, y in (([1.0, 2.0], [1.0, 2.0]), ([3.0] * 10, np.arange(10.0))):
        sx, sy = lowess_curve(x, y)
        assert len(sx) == 0 and len(sy) == 0


def test_large_data_is_sampled_with_its_extremes_and_a_fixed_seed():
    rng = np.random.default_rng(5)
    x = rng.normal(size=50_000)
    rows = smoothing_rows(x)
    assert SAMPLE_SIZE <= len(rows) <= SAMPLE_SIZE + 2 and len(np.unique(rows)) == len(rows)
    assert np.argmin(x) in rows and np.argmax(x) in rows
    np.testing.assert_array_equal(rows, smoothing_rows(x))  # the same data, the same curve


def test_sampled_curve_follows_the_full_lowess():
    """A curved mean under unit noise: the curve on the sample stays within 0.1 (a tenth of the noise SD)
    of lowess on all 30,000 points, over the whole x range."""
    rng = np.random.default_rng(6)
    n = 30_000
    x = rng.uniform(0, 10, n)
    y = np.sin(x) + rng.normal(0, 1.0, n)
    sx, sy = lowess_curve(x, y)
    full = _r_lowess(x, y)
    assert sx[0] == x.min() and sx[-1] == x.max()
    assert np.max(np.abs(sy - np.interp(sx, full[:, 0], full[:, 1]))) < 0.1


def test_a_million_points_cost_a_bounded_time():
    """Pathology bound only (loose: shared machines): the full lowess took over 10 s at 500,000 points."""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=1_000_000), rng.normal(size=1_000_000)
    start = time.process_time()
    sx, _ = lowess_curve(x, y)
    assert time.process_time() - start < 3.0
    assert len(sx) == GRID_POINTS


def test_binned_counts_equal_histogram2d():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=20_000), rng.exponential(size=20_000)
    counts, x_centres, y_centres = binned_counts(x, y, bins=40)
    expected, x_edges, y_edges = np.histogram2d(x, y, bins=40)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_allclose(x_centres, (x_edges[:-1] + x_edges[1:]) / 2, atol=1e-12)
    np.testing.assert_allclose(y_centres, (y_edges[:-1] + y_edges[1:]) / 2, atol=1e-12)


def test_sorted_quantiles_equal_numpys():
    values = np.random.default_rng(9).standard_t(3, size=1_001)
    probs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0]
    expected = np.quantile(values, probs)
    np.testing.assert_allclose(sorted_quantiles(np.sort(values), probs), expected, atol=1e-14)


def test_group_summary_equals_per_group_quantiles_and_tukey_whiskers():
    rng = np.random.default_rng(10)
    values = rng.standard_t(3, size=6_000) * 3
    codes = rng.integers(0, 50, size=6_000)
    codes[codes == 7] = 8  # level 7 has no values
    summary = group_summary(values, codes, 50)
    grouped = pd.Series(values).groupby(codes)
    for p, got in ((0.25, summary.q1), (0.5, summary.median), (0.75, summary.q3)):
        np.testing.assert_allclose(got, grouped.quantile(p).reindex(range(50)).to_numpy(), atol=1e-11)
    np.testing.assert_array_equal(summary.count, np.bincount(codes, minlength=50))
    for level in (0, 8, 49):
        inside = values[codes == level]
        q1, q3 = np.quantile(inside, [0.25, 0.75])
        reach = 1.5 * (q3 - q1)
        assert summary.lower_fence[level] == pytest.approx(inside[inside >= q1 - reach].min(), abs=1e-11)
        assert summary.upper_fence[level] == pytest.approx(inside[inside <= q3 + reach].max(), abs=1e-11)
    assert np.isnan(summary.median[7]) and np.isnan(summary.lower_fence[7])
