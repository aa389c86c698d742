"""OpenBLAS limited to one thread in the calling thread, for the dense factorisations of large crossed fits.

On a small machine shared with other work, OpenBLAS's worker threads wait for busy cores: the InstEval fit
(a 1159 x 1159 Cholesky per evaluation) took 29-44 s with two BLAS threads and 7 s with one while the
two-core machine was loaded; on an idle machine one thread costs about a third.  OpenBLAS >= 0.3.27's
``openblas_set_num_threads_local`` changes the count for the calling thread only, so other threads of the
process keep theirs.  Nothing happens when numpy and scipy use another BLAS or an older OpenBLAS.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os

import numpy
import scipy


@functools.cache
def _local_thread_setters() -> tuple:
    """``openblas_set_num_threads_local`` of the OpenBLAS builds bundled with numpy and scipy, if any."""
    setters = []
    for package in (numpy, scipy):
        libs = os.path.join(os.path.dirname(package.__file__), os.pardir, f"{package.__name__}.libs")
        for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
            try:
                setter = ctypes.CDLL(os.path.realpath(path)).openblas_set_num_threads_local
            except (OSError, AttributeError):
                continue
            setter.restype = ctypes.c_int
            setter.argtypes = [ctypes.c_int]
            setters.append(setter)
    return tuple(setters)


@contextlib.contextmanager
def single_threaded_blas():
    """Within the block, BLAS/LAPACK calls of this thread run on one OpenBLAS thread."""
    setters = _local_thread_setters()
    previous = [setter(1) for setter in setters]
    try:
        yield
    finally:
        for setter, count in zip(setters, previous):
            setter(count)
