"""``Sequential.predict`` (chunked, batch norm folded) and the public flat buffers."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fitwell import nn


def _model(dtype=np.float32):
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(6, 8, rng=rng, dtype=dtype), nn.BatchNorm(8, dtype=dtype), nn.ReLU(),
        nn.Dropout(0.3, rng=rng), nn.Linear(8, 3, rng=rng, dtype=dtype),
    )
    for value in model.buffers.values():
        value[...] = rng.uniform(0.5, 1.5, value.shape)
    return model


def _inputs(n=1000, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 6))


@pytest.mark.parametrize("chunk_rows", [None, 1, 7, 256, 5000])
def test_unfolded_predict_is_forward(chunk_rows):
    model = _model(np.float64)
    x = _inputs()
    expected = model.forward(x, training=False).copy()  # forward may reuse its output buffer
    out = model.predict(x, chunk_rows=chunk_rows, fold_batch_norm=False)
    assert out.shape == (1000, 3) and out.dtype == np.float64
    # the BLAS may round a product of one row apart from the same row among many
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("chunk_rows", [None, 33])
def test_folded_predict_equals_forward_up_to_rounding(chunk_rows):
    model = _model(np.float32)
    x = _inputs()
    out = model.predict(x, chunk_rows=chunk_rows)
    assert out.dtype == np.float32  # the input is cast to the model's dtype
    np.testing.assert_allclose(out, model.forward(x.astype(np.float32), training=False),
                               rtol=1e-4, atol=1e-5)


def test_predict_leaves_the_model_as_it_was():
    model = _model()
    state = {k: v.copy() for k, v in model.state_dict().items()}
    model.predict(_inputs())
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in state.items())


@pytest.mark.parametrize("chunk_rows", [0, -3, 2.5, True])
def test_chunk_rows_must_be_a_positive_integer(chunk_rows):
    with pytest.raises(ValueError, match="chunk_rows"):
        _model().predict(_inputs(10), chunk_rows=chunk_rows)


def test_predict_refuses_a_vector():
    with pytest.raises(ValueError, match="2-D array"):
        _model().predict(np.zeros(6))


def test_flat_params_are_the_live_parameters():
    model = _model()
    flat = model.flat_params
    assert flat.ndim == 1 and flat.size == sum(v.size for v in model.params.values())
    assert all(np.shares_memory(v, flat) for v in model.params.values())
    flat[...] = 0.5
    assert all(np.all(v == 0.5) for v in model.params.values())


def test_flat_grads_are_filled_by_backward():
    model = _model()
    assert all(np.shares_memory(g, model.flat_grads) for g in model.grads.values())
    out = model.forward(_inputs(16).astype(np.float32), training=True)
    model.backward(np.ones_like(out))
    np.testing.assert_array_equal(
        model.flat_grads, np.concatenate([g.ravel() for g in model.grads.values()]))
    assert np.any(model.flat_grads != 0)


def test_flat_buffers_survive_pickling_and_astype():
    model = pickle.loads(pickle.dumps(_model()))
    assert all(np.shares_memory(v, model.flat_params) for v in model.params.values())
    model.astype(np.float64)
    assert model.flat_params.dtype == np.float64
    assert all(np.shares_memory(v, model.flat_params) for v in model.params.values())


def test_a_model_without_parameters_has_no_flat_buffers():
    model = nn.Sequential(nn.ReLU())
    assert model.flat_params is None and model.flat_grads is None


_THREADS_SEEN = []


class _RecordingReLU(nn.ReLU):
    """A ReLU that notes the thread it runs on (in a module list: copies share it)."""

    def forward(self, x, training=False):
        _THREADS_SEEN.append(threading.current_thread().name)
        return super().forward(x, training=training)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunks_run_on_every_blas_thread_with_the_same_outputs(dtype):
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(6, 16, rng=rng, dtype=dtype), nn.BatchNorm(16, dtype=dtype),
                          _RecordingReLU(), nn.Linear(16, 3, rng=rng, dtype=dtype))
    for value in model.buffers.values():
        value[...] = rng.uniform(0.5, 1.5, value.shape)
    x = _inputs(n=5000)
    _THREADS_SEEN.clear()
    with threadpool_limits(1):
        serial = model.predict(x, chunk_rows=64)
    assert set(_THREADS_SEEN) == {threading.current_thread().name}
    _THREADS_SEEN.clear()
    with threadpool_limits(3):
        threaded = model.predict(x, chunk_rows=64)
    workers = {name for name in _THREADS_SEEN if name.startswith("fitwell-predict")}
    assert workers and threading.current_thread().name in _THREADS_SEEN, set(_THREADS_SEEN)
    # every chunk is computed alike whichever thread runs it: the same bits
    np.testing.assert_array_equal(threaded, serial)
