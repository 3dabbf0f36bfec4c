"""Normalisation layers beyond their gradients: BatchNorm's batch-size rule and
group normalisation's limiting cases."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn
from fitwell.errors import ParameterError


@pytest.mark.parametrize("fuse", [False, True], ids=["layers", "compiled block"])
def test_batchnorm_needs_two_samples_in_training_on_both_paths(fuse):
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.BatchNorm(3), nn.ReLU(), fuse=fuse)
    with pytest.raises(ParameterError, match=r"at least 2 samples .* got input of shape \(1, 3\)"):
        model.forward(np.ones((1, 3)), training=True)
    assert model.forward(np.ones((1, 3)), training=False).shape == (1, 3)
    assert nn.BatchNorm(3).forward(np.ones((1, 3)), training=False).shape == (1, 3)


def test_groupnorm_with_one_feature_per_group_outputs_beta():
    f = 6
    layer = nn.GroupNorm(f, f, dtype=np.float64)
    rng = np.random.default_rng(0)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, f)
    layer.params["bias"][...] = rng.standard_normal(f)
    x = rng.normal(0.0, 5.0, (7, f))
    for training in (True, False):
        out = layer.forward(x, training=training)
        np.testing.assert_array_equal(out, np.broadcast_to(layer.params["bias"], x.shape))
        dx = layer.backward(rng.standard_normal(x.shape))
        assert np.all(dx == 0)


def test_groupnorm_with_one_group_equals_layernorm():
    f = 6
    rng = np.random.default_rng(0)
    group, layer = nn.GroupNorm(1, f, dtype=np.float64), nn.LayerNorm(f, dtype=np.float64)
    gamma, beta = rng.uniform(0.5, 1.5, f), rng.standard_normal(f)
    for module in (group, layer):
        module.params["weight"][...] = gamma
        module.params["bias"][...] = beta
    x, grad = rng.normal(1.0, 3.0, (5, f)), rng.standard_normal((5, f))
    for training in (True, False):
        np.testing.assert_allclose(group.forward(x, training=training),
                                   layer.forward(x, training=training), rtol=1e-14)
        np.testing.assert_allclose(group.backward(grad), layer.backward(grad), rtol=1e-14)
        for key in ("weight", "bias"):
            np.testing.assert_allclose(group.grads[key], layer.grads[key], rtol=1e-14)


def test_layernorm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 3.0, (5, 6))
    layer = nn.LayerNorm(6, dtype=np.float64)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, 6)
    expected = torch.nn.functional.layer_norm(
        torch.tensor(x), (6,), torch.tensor(layer.params["weight"]),
        torch.tensor(layer.params["bias"]), eps=1e-5)
    np.testing.assert_allclose(layer.forward(x), expected.numpy(), rtol=1e-12, atol=1e-12)
