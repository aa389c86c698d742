"""One BLAS thread for small problems.

OpenBLAS spreads even tiny matrix operations over its threads; on a busy 2-core machine that made a
sleepstudy fit 2-3x slower (17.6 ms against 7.6 ms with one thread, both cores loaded). Problems whose
dense block is small run with one BLAS thread; large ones keep the library's setting.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache

from lmmcore.design.types import Design

#: Dense trailing blocks up to this order run single-threaded.
SMALL_DENSE_ORDER = 400


@cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def dense_order(design: Design) -> int:
    """Order of the dense trailing block: random effects of all terms but the first, plus X and y."""
    return design.p + 1 + sum(t.nlevels * t.k for t in design.reterms[1:])


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS runs on one thread (replicates are spread over processes instead)."""
    return _controller().limit(limits=1, user_api="blas")


def blas_threads_for(design: Design) -> AbstractContextManager:
    """A context that limits BLAS to one thread when ``design`` is small, else does nothing."""
    if dense_order(design) > SMALL_DENSE_ORDER:
        return nullcontext()
    return one_blas_thread()
