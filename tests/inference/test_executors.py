"""Seeding and spreading replicates: the same seed gives the same draws on any executor."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from lmmcore.errors import InferenceError
from lmmcore.inference.executors import Cancelled, map_replicates, replicate_rng


def draw_three(rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(3)


def draw_three_slowly(rng: np.random.Generator) -> np.ndarray:
    """draw_three taking 20 ms: a pool cannot finish 200 of them before the caller sees the first chunk."""
    time.sleep(0.02)
    return draw_three(rng)


def draw_chunk(rngs: list[np.random.Generator]) -> list[np.ndarray]:
    return [rng.standard_normal(3) for rng in rngs]


def test_replicate_generator_is_the_spawned_child():
    children = np.random.SeedSequence(2024).spawn(7)
    for i in (0, 3, 6):
        expected = np.random.default_rng(children[i]).standard_normal(5)
        np.testing.assert_array_equal(replicate_rng(2024, i).standard_normal(5), expected)


def test_same_draws_whatever_the_chunking_and_executor():
    here = map_replicates(draw_three, 23, seed=11)
    rechunked = map_replicates(draw_three, 23, seed=11, chunk=4)
    batched = map_replicates(draw_chunk, 23, seed=11, chunk=5, batched=True)
    with ProcessPoolExecutor(2) as pool:
        pooled = map_replicates(draw_three, 23, seed=11, executor=pool, chunk=3)
    with ThreadPoolExecutor(3) as pool:
        threaded = map_replicates(draw_three, 23, seed=11, executor=pool, chunk=2)
    for other in (rechunked, batched, pooled, threaded):
        np.testing.assert_array_equal(np.array(other.results), np.array(here.results))
        np.testing.assert_array_equal(other.indices, np.arange(23))
    assert here.completed == 23 and not here.cancelled


def test_another_seed_other_draws_and_none_reports_its_entropy():
    a = map_replicates(draw_three, 5, seed=1)
    b = map_replicates(draw_three, 5, seed=2)
    assert not np.allclose(np.array(a.results), np.array(b.results))
    fresh = map_replicates(draw_three, 5, seed=None)
    again = map_replicates(draw_three, 5, seed=fresh.entropy)
    np.testing.assert_array_equal(np.array(fresh.results), np.array(again.results))


def test_progress_after_each_chunk():
    calls = []
    map_replicates(draw_three, 10, seed=3, chunk=4, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(4, 10), (8, 10), (10, 10)]


def test_progress_returning_false_stops_early():
    run = map_replicates(draw_three, 100, seed=3, chunk=10, progress=lambda done, total: done < 30)
    assert run.cancelled and run.completed == 30
    np.testing.assert_array_equal(run.indices, np.arange(30))


def test_cancelled_exception_stops_early_on_a_pool():
    def stop(done, total):
        raise Cancelled

    # With instant replicates two workers could finish all 40 chunks before this thread, descheduled on a
    # busy machine, handled the first (then nothing is left to cancel). Slow replicates leave ~2 s of work
    # queued when the first chunk (~0.1 s) comes back.
    with ProcessPoolExecutor(2) as pool:
        run = map_replicates(draw_three_slowly, 200, seed=3, executor=pool, chunk=5, progress=stop)
    assert run.cancelled and 5 <= run.completed < 200
    full = map_replicates(draw_three, 200, seed=3)
    np.testing.assert_array_equal(np.array(run.results), np.array(full.results)[run.indices])


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_bad_counts_say_what_to_pass(n):
    with pytest.raises(InferenceError, match="at least 1"):
        map_replicates(draw_three, n, seed=1)


def test_bad_seed_says_what_to_pass():
    with pytest.raises(InferenceError, match="seed"):
        map_replicates(draw_three, 3, seed=-5)


def test_dask_executor_gives_the_same_draws():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        distributed.Client(cluster) as client,
    ):
        run = map_replicates(draw_three, 12, seed=5, executor=client.get_executor(), chunk=4)
    here = map_replicates(draw_three, 12, seed=5)
    np.testing.assert_array_equal(np.array(run.results), np.array(here.results))
