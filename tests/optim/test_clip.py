"""Gradient clipping against PyTorch, on dicts and on a model's live gradients."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn, optim
from fitwell.errors import ParameterError


def _model(dtype=np.float32):
    return nn.Sequential(
        nn.Linear(4, 5, rng=0, dtype=dtype), nn.BatchNorm(5, dtype=dtype), nn.ReLU(),
        nn.Sequential(nn.Linear(5, 3, rng=1, dtype=dtype), nn.LayerNorm(3, dtype=dtype)),
    )



def _grads(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return {"a": scale * rng.standard_normal((4, 3)), "b": scale * rng.standard_normal(3),
            "c": scale * rng.standard_normal((2, 2))}


@pytest.mark.parametrize(("max_norm", "norm_type", "scale"), [
    (1.0, 2.0, 1.0), (100.0, 2.0, 1.0), (0.5, 1.0, 3.0), (0.3, float("inf"), 1.0),
    (2.0, 3.0, 0.1),
])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, scale):
    torch = pytest.importorskip("torch")
    grads = _grads(0, scale)
    tensors = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in
               grads.values()]
    for tensor, g in zip(tensors, grads.values(), strict=True):
        tensor.grad = torch.tensor(g)
    live = dict(grads)
    total = optim.clip_grad_norm(grads, max_norm=max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm=max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for key, tensor in zip(grads, tensors, strict=True):
        assert grads[key] is live[key]  # in place
        np.testing.assert_allclose(grads[key], tensor.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_is_global_and_leaves_small_gradients_alone():
    grads = {"a": np.array([3.0]), "b": np.array([4.0])}
    assert optim.clip_grad_norm(grads, max_norm=1.0) == pytest.approx(5.0)
    np.testing.assert_allclose([grads["a"][0], grads["b"][0]], [0.6, 0.8], rtol=1e-5)
    small = {"a": np.array([0.3]), "b": np.array([0.4])}
    assert optim.clip_grad_norm(small, max_norm=1.0) == pytest.approx(0.5)
    assert small["a"][0] == 0.3 and small["b"][0] == 0.4


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    grads = _grads(1, 2.0)
    tensors = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in
               grads.values()]
    for tensor, g in zip(tensors, grads.values(), strict=True):
        tensor.grad = torch.tensor(g)
    live = dict(grads)
    assert optim.clip_grad_value(grads, clip_value=0.7) is None
    torch.nn.utils.clip_grad_value_(tensors, clip_value=0.7)
    for key, tensor in zip(grads, tensors, strict=True):
        assert grads[key] is live[key]
        np.testing.assert_array_equal(grads[key], tensor.grad.numpy())
        assert np.abs(grads[key]).max() <= 0.7


def test_clip_grad_norm_on_a_model_clips_its_live_grads():
    model = _model(np.float64)
    out = model.forward(np.random.default_rng(0).standard_normal((6, 4)), training=True)
    model.backward(100.0 * np.ones_like(out))
    optim.clip_grad_norm(model.grads, max_norm=1.0)
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in model.grads.values()))
    assert norm == pytest.approx(1.0, rel=1e-5)


BAD_CONSTRUCTORS = [
    (lambda: optim.clip_grad_norm({}, max_norm=0), r"clip_grad_norm: max_norm must be a "
                                                   r"number in \(0, inf\), got 0\.0"),
    (lambda: optim.clip_grad_value({}, clip_value=-1),
     r"clip_grad_value: clip_value must be a number in \(0, inf\), got -1\.0"),
]


@pytest.mark.parametrize(("make", "message"), BAD_CONSTRUCTORS,
                         ids=[f"{i}" for i in range(len(BAD_CONSTRUCTORS))])
def test_constructors_validate_their_arguments(make, message):
    with pytest.raises(ParameterError, match=message):
        make()
