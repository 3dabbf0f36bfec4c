"""``fuse_for_inference``: the same predictions with batch norm folded into dense layers."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn


def _trained_like(dtype, bias=True):
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(6, 8, bias=bias, rng=rng, dtype=dtype), nn.BatchNorm(8, dtype=dtype),
        nn.ReLU(), nn.Dropout(0.3, rng=rng),
        nn.Sequential(nn.Linear(8, 5, rng=rng, dtype=dtype), nn.BatchNorm(5, dtype=dtype),
                      nn.Tanh()),
        nn.Linear(5, 3, rng=rng, dtype=dtype),
    )
    for value in [*model.params.values(), *model.buffers.values()]:
        value[...] = rng.uniform(0.5, 1.5, value.shape)  # non-trivial gamma, beta, statistics
    return model


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("bias", [True, False])
def test_the_fused_copy_predicts_what_the_model_predicts(dtype, rtol, bias):
    model = _trained_like(dtype, bias)
    x = np.random.default_rng(1).standard_normal((40, 6)).astype(dtype)
    fused = nn.fuse_for_inference(model)
    expected = model.forward(x, training=False)
    np.testing.assert_allclose(fused.forward(x, training=False), expected, rtol=rtol,
                               atol=rtol)
    assert fused.dtype == dtype


def test_batch_norm_and_dropout_are_gone_and_the_model_is_untouched():
    model = _trained_like(np.float64)
    before = model.state_dict()
    fused = nn.fuse_for_inference(model)
    kinds = [type(layer).__name__ for layer in fused.layers]
    assert kinds == ["Linear", "ReLU", "Sequential", "Linear"]
    assert [type(layer).__name__ for layer in fused.layers[2].layers] == ["Linear", "Tanh"]
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    fused.params["0.weight"][...] = 0.0  # a copy: changing it leaves the model alone
    np.testing.assert_array_equal(model.params["0.weight"], before["0.weight"])
