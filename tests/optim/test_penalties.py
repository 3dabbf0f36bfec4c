"""Penalties: which parameters they select, their values and gradients, their arguments."""

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



PENALTIES = {
    "L1": lambda applies_to=None: optim.L1(0.1, applies_to=applies_to),
    "L2": lambda applies_to=None: optim.L2(0.2, applies_to=applies_to),
    "ElasticNet": lambda applies_to=None: optim.ElasticNet(0.1, 0.2, applies_to=applies_to),
}


@pytest.mark.parametrize("name", list(PENALTIES))
def test_penalties_apply_to_weight_matrices_only_by_default(name):
    penalty = PENALTIES[name]()
    model = _model(np.float64)
    out = model.forward(np.random.default_rng(0).standard_normal((6, 4)), training=True)
    model.backward(np.ones_like(out))
    grads = {k: v.copy() for k, v in model.grads.items()}
    value = penalty(model.params, model.grads)
    matrices = {"0.weight", "3.0.weight"}
    for key, grad in model.grads.items():
        changed = not np.array_equal(grad, grads[key])
        assert changed == (key in matrices), key
    alone = penalty({k: model.params[k] for k in matrices})
    assert value == pytest.approx(alone)
    everything = PENALTIES[name](applies_to=lambda key, array: True)
    assert everything(model.params) > value  # biases and gamma/beta count when asked


def test_l2_penalty_value_and_gradient():
    params = {"w": np.array([[1.0, -2.0]]), "b": np.array([5.0])}
    grads = {"w": np.zeros((1, 2)), "b": np.zeros(1)}
    assert optim.L2(0.5)(params, grads) == pytest.approx(0.5 * 0.5 * 5.0)
    np.testing.assert_allclose(grads["w"], [[0.5, -1.0]])
    assert np.all(grads["b"] == 0)


BAD_CONSTRUCTORS = [
    (lambda: optim.L1(-1.0), r"L1: strength must be a number in \[0, inf\), got -1\.0"),
    (lambda: optim.L2(float("nan")), r"L2: strength must be a number in \[0, inf\), got nan"),
]


@pytest.mark.parametrize(("make", "message"), BAD_CONSTRUCTORS,
                         ids=[f"{i}" for i in range(len(BAD_CONSTRUCTORS))])
def test_constructors_validate_their_arguments(make, message):
    with pytest.raises(ParameterError, match=message):
        make()
