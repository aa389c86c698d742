"""BLAS on one thread while fitting.

OpenBLAS spreads even tiny matrix operations over its threads, and on a busy machine its threads wait
for busy cores: a sleepstudy fit took 84 ms against 16 ms on one thread, and InstEval (a 1159-order
Cholesky per evaluation) 29-44 s against 7 s, on the loaded 2-core machine. ``fit`` therefore runs on one
thread, replicate chunks too (parallelism comes from processes), and a criterion with a large dense
block limits its own factorisations when called from elsewhere (profile, Satterthwaite).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import cache

#: A criterion whose dense trailing block is larger than this limits BLAS itself on every evaluation
#: (the limit costs about 11 microseconds, nothing next to such a factorisation).
SMALL_DENSE_ORDER = 400


@cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """A context in which BLAS runs on one thread."""
    return _controller().limit(limits=1, user_api="blas")
