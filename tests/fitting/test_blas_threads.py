"""The single-threaded BLAS guard sets one thread for the calling thread and restores the previous count."""

from __future__ import annotations

import pytest

from lmmcore.fitting.blas_threads import _local_thread_setters, single_threaded_blas


def test_guard_sets_one_thread_and_restores():
    setters = _local_thread_setters()
    if not setters:
        pytest.skip("numpy/scipy do not bundle an OpenBLAS with openblas_set_num_threads_local")
    setter = setters[0]
    before = setter(3)  # a known count to come back to; returns the thread's previous count
    try:
        with single_threaded_blas():
            assert setter(1) == 1  # inside: one thread (setting 1 again keeps it)
        assert setter(3) == 3  # after: the count from before the block
    finally:
        setter(before)
