"""The BLAS thread count for the shape of the work.

A matrix product of a mini-batch through a small layer takes microseconds; waking
a second BLAS thread for it costs more than it saves, and on a busy machine it can
cost milliseconds while that thread waits for a core. Training and prediction
therefore run small products on one thread and leave large ones to the BLAS, on
every thread it may use (every core by default, fewer under a ``threadpoolctl``
limit).

The element-wise work between the products (fitwell's compiled kernels) stays on
one thread: splitting it over numba's threads did not pay at the sizes measured
(batches of 128 to 2,048 rows of 512), since those threads either spin between
kernels and take the cores the BLAS's threads need, or sleep and cost more to
wake than the split saves (see the README's "Threads").
"""

from __future__ import annotations

from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["ONE_THREAD_BELOW", "blas_threads", "limit_blas_threads"]

#: products with fewer multiply-adds than this (about 0.2 ms on one core) run on one
#: thread; a batch of 128 rows through a 784-512 layer (51M) runs on all of them
ONE_THREAD_BELOW = 2**25


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def blas_threads() -> int:
    """The threads the BLAS may use now: its own count, or a ``threadpoolctl`` limit."""
    counts = [lib.num_threads for lib in _controller().lib_controllers
              if lib.user_api == "blas"]
    return max(1, min(counts, default=1))


def limit_blas_threads(rows: int, params) -> object:
    """Limit the BLAS to one thread if every product of ``rows`` rows is small.

    ``params`` are the model's parameter arrays; each 2-D one (a weight of shape
    ``(in, out)``) is one product of ``rows * in * out`` multiply-adds. Returns a
    limiter whose ``restore_original_limits()`` undoes the change (a no-op when
    the products are large enough to keep the BLAS's own thread count).
    """
    largest = max((rows * w.shape[0] * w.shape[1] for w in params if np.ndim(w) == 2),
                  default=0)
    limits = 1 if largest < ONE_THREAD_BELOW else None
    return _controller().limit(limits=limits, user_api="blas")
