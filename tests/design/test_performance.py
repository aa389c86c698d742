"""The design stage's cost: sleepstudy well inside the fit's 5 ms budget; 1M rows without n x q matrices."""

from __future__ import annotations

import pickle
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from lmmcore.datasets import load
from lmmcore.design import build_design, encode_newdata
from lmmcore.errors import DataError


def test_sleepstudy_builds_well_inside_the_fits_budget():
    data = load("sleepstudy")
    formula = "Reaction ~ Days + (Days | Subject)"
    build_design(formula, data)
    timings = []
    for _ in range(50):
        start = time.process_time()
        build_design(formula, data)
        timings.append(time.process_time() - start)
    # Speed is measured in benchmarks (~0.3 ms here). This is this process's CPU time, best of 50, against
    # the whole fit's 5 ms budget: a bound for pathologies that neither shared cores nor a slower CI machine
    # can trip (the former wall-clock 1 ms was only 3x the measured time).
    assert min(timings) < 5e-3, min(timings)


def test_design_pickles_and_still_encodes(toy):
    design = build_design("y ~ recipe + scale(x) + (x | g)", toy)
    copy = pickle.loads(pickle.dumps(design))
    np.testing.assert_array_equal(encode_newdata(copy, toy), design.X)


@pytest.mark.slow
def test_million_rows_ten_thousand_groups():
    rng = np.random.default_rng(0)
    n = 1_000_000
    data = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n), "g": rng.integers(0, 10_000, n)})
    tracemalloc.start()
    start = time.process_time()
    design = build_design("y ~ x + (x | g)", data)
    elapsed = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert design.reterms[0].nlevels == 10_000
    # CPU time, about 0.2 s without tracemalloc; a pathology bound only (speed is for benchmarks): the
    # memory bound below is what proves no n x q matrix is built.
    assert elapsed < 30.0, elapsed
    # X, z (n x 2 each) and a few n-vectors: far below one dense n x q matrix (80 GB)
    assert peak < 200e6


def test_many_level_factor_among_fixed_effects_is_refused_before_allocating(monkeypatch, toy):
    monkeypatch.setattr("lmmcore.design.modelmatrix.MAX_CELLS", 60 * 5)
    with pytest.raises(DataError, match=r"fixed-effects matrix would have 10 columns x 60 rows"):
        build_design("y ~ factor(g) + (1 | h)", toy)
    with pytest.raises(
        DataError, match=r"random-effects term \(0 \+ factor\(g\) \| h\) would have 10 columns"
    ):
        build_design("y ~ 1 + (0 + factor(g) | h)", toy)
