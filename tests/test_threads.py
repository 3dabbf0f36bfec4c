"""The thread policy: one BLAS thread for small products, the BLAS's own count for large."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fitwell._threads import ONE_THREAD_BELOW, blas_threads, limit_blas_threads


def _weights(fan_in, fan_out):
    return [np.empty((fan_in, fan_out), np.float32), np.empty(fan_out, np.float32)]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_blas_threads_reads_a_threadpoolctl_limit(limit):
    with threadpool_limits(limit):
        assert blas_threads() == limit


def test_small_products_run_on_one_thread_and_the_limit_is_undone():
    with threadpool_limits(2):
        rows = ONE_THREAD_BELOW // (784 * 512) - 1     # just below the threshold
        limiter = limit_blas_threads(rows, _weights(784, 512))
        assert blas_threads() == 1
        limiter.restore_original_limits()
        assert blas_threads() == 2


def test_large_products_keep_every_thread_the_blas_may_use():
    # a batch of 128 through a 784-512 layer, Fashion-MNIST's first layer
    assert 128 * 784 * 512 >= ONE_THREAD_BELOW
    with threadpool_limits(2):
        limiter = limit_blas_threads(128, _weights(784, 512) + _weights(512, 10))
        assert blas_threads() == 2
        limiter.restore_original_limits()
    with threadpool_limits(1):  # a user's limit is kept
        limiter = limit_blas_threads(128, _weights(784, 512))
        assert blas_threads() == 1
        limiter.restore_original_limits()


def test_the_challenge_network_stays_on_one_thread():
    params = _weights(64, 128) + _weights(128, 64) + _weights(64, 32) + _weights(32, 10)
    with threadpool_limits(2):
        limiter = limit_blas_threads(256, params)
        assert blas_threads() == 1
        limiter.restore_original_limits()
