"""Seeding and spreading Monte Carlo replicates: the same seed gives the same draws on any executor.

Replicate ``i`` of ``n`` always draws from its own generator,
``numpy.random.default_rng(numpy.random.SeedSequence(seed).spawn(n)[i])``, built here directly as
``SeedSequence(entropy, spawn_key=(i,))`` (the same object ``spawn`` returns).  Its draws therefore
depend only on ``(seed, i)``: not on the executor, the number of workers, the chunk size or the order
in which chunks finish.

Replicates travel in chunks: a chunk carries the replicate function (and so the fitted model it closes
over) once, plus the indices of its replicates.  Any :class:`concurrent.futures.Executor` works (a
``ProcessPoolExecutor``, or dask's ``distributed.Client(...).get_executor()``); without one the chunks
run in this process.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmmcore.errors import InferenceError
from lmmcore.fitting.threads import one_blas_thread

ProgressCallback = Callable[[int, int], Any]

_DEFAULT_CHUNKS = 20


class Cancelled(Exception):
    """Raised by a progress callback to stop a run early; what is already done is kept."""


@dataclass(frozen=True)
class ReplicateRun:
    """Results of the replicates that ran.

    Attributes
    ----------
    results : list
        One result per completed replicate, in increasing replicate order.
    indices : ndarray of int
        The replicate numbers (0-based) of ``results``.
    requested : int
        How many replicates were asked for.
    entropy : int
        The seed's entropy: passing it as ``seed`` reproduces every draw (useful when ``seed`` was None).
    cancelled : bool
        Whether the progress callback stopped the run before every replicate finished.
    """

    results: list
    indices: np.ndarray
    requested: int
    entropy: int
    cancelled: bool

    @property
    def completed(self) -> int:
        return len(self.results)


def check_count(name: str, value: object) -> int:
    """A replicate count as int, or :class:`InferenceError` saying what to pass."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InferenceError(
            f"{name} must be a whole number of at least 1 (replicates to run); got {value!r}."
        )
    return int(value)


def seed_entropy(seed: object) -> int:
    """The entropy behind ``seed`` (a fresh one when ``seed`` is None)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InferenceError(
            f"seed must be a whole number of 0 or more, or None for a fresh one; got {seed!r}."
        )
    return int(seed)


def replicate_rng(entropy: int, index: int) -> np.random.Generator:
    """Replicate ``index``'s generator: ``default_rng(SeedSequence(entropy).spawn(n)[index])``."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(index,)))


def run_chunk(fn: Callable, entropy: int, indices: Sequence[int], batched: bool) -> list:
    """Run some replicates in this process; the function executors receive (one call per chunk)."""
    rngs = [replicate_rng(entropy, i) for i in indices]
    with one_blas_thread():
        if batched:
            return list(fn(rngs))
        return [fn(rng) for rng in rngs]


def map_replicates(
    fn: Callable,
    n: int,
    seed: int | None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    chunk: int | None = None,
    batched: bool = False,
) -> ReplicateRun:
    """Run ``fn`` once per replicate, each with its own generator, in chunks.

    Parameters
    ----------
    fn : callable
        ``fn(rng) -> result`` for one replicate; with ``batched=True``, ``fn(list_of_rngs) -> list`` for a
        chunk (lets a replicate function vectorise across a chunk).  Must be picklable for a process pool
        (a module-level function, a ``functools.partial`` or a dataclass instance).
    n : int
        Number of replicates (>= 1).
    seed : int or None
        Seed of every replicate's :class:`numpy.random.SeedSequence`; None draws fresh entropy (reported
        in :attr:`ReplicateRun.entropy`).
    executor : concurrent.futures.Executor, optional
        Where chunks run; None runs them here, one after another.
    progress : callable, optional
        ``progress(done, total)`` after each chunk.  Returning ``False`` or raising :class:`Cancelled`
        stops the run: queued chunks are cancelled and the finished ones returned.
    chunk : int, optional
        Replicates per chunk (default: ``n`` split into about 20 chunks).

    Returns
    -------
    ReplicateRun
    """
    n = check_count("n", n)
    entropy = seed_entropy(seed)
    size = check_count("chunk", chunk) if chunk is not None else max(1, math.ceil(n / _DEFAULT_CHUNKS))
    chunks = [range(start, min(start + size, n)) for start in range(0, n, size)]
    if executor is None:
        done, cancelled = _run_here(fn, entropy, chunks, batched, n, progress)
    else:
        done, cancelled = _run_on(executor, fn, entropy, chunks, batched, n, progress)
    indices = sorted(done)
    return ReplicateRun(
        results=[done[i] for i in indices],
        indices=np.array(indices, dtype=int),
        requested=n,
        entropy=entropy,
        cancelled=cancelled,
    )


def _run_here(fn, entropy, chunks, batched, n, progress) -> tuple[dict, bool]:
    done: dict[int, Any] = {}
    for indices in chunks:
        done.update(zip(indices, run_chunk(fn, entropy, indices, batched)))
        if _should_stop(progress, len(done), n):
            return done, len(done) < n
    return done, False


def _run_on(executor, fn, entropy, chunks, batched, n, progress) -> tuple[dict, bool]:
    pending = {executor.submit(run_chunk, fn, entropy, list(ix), batched): ix for ix in chunks}
    done: dict[int, Any] = {}
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done.update(zip(pending.pop(future), future.result()))
            if _should_stop(progress, len(done), n):
                return done, len(done) < n
    finally:
        # Chunks already running finish in the background; nothing waits for them.
        for future in pending:
            future.cancel()
    return done, False


def _should_stop(progress: ProgressCallback | None, done: int, total: int) -> bool:
    if progress is None:
        return False
    try:
        return progress(done, total) is False
    except Cancelled:
        return True
