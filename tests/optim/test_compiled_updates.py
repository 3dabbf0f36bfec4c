"""The compiled flat-buffer updates against the NumPy per-array path, in both dtypes.

A :class:`~fitwell.nn.Sequential` keeps its parameters in one flat buffer, and the
optimisers and penalties update it with one compiled pass
(``fitwell.optim._update_kernels``, ``fitwell.optim._penalty_kernels``). Models
whose arrays are not one buffer take the NumPy path, one array at a time.
The two must agree bit for bit on the parameters and the optimiser state, in float32
as in float64 (``tests/optim/test_oracle_optim.py`` compares both with PyTorch in float64).
The penalty *values* are summed in float64 by the compiled path, so they agree to
rounding only.
"""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn, optim
from fitwell.optim import penalties

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.0)),
]
PENALTIES = [penalties.L2(0.02), penalties.L1(0.01), penalties.ElasticNet(0.01, 0.02)]


def _model(dtype):
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=dtype), nn.BatchNorm(4, dtype=dtype),
                         nn.ReLU(), nn.Linear(4, 2, rng=rng, dtype=dtype))


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_flat_compiled_path_is_bit_identical_to_the_per_array_path(dtype, name, kwargs, penalty):
    model = _model(dtype)
    flat, grads = model.params, model.grads
    loose = {key: value.copy() for key, value in flat.items()}
    flat_optimizer = getattr(optim, name)(flat, **kwargs)
    loose_optimizer = getattr(optim, name)(loose, **kwargs)
    assert flat_optimizer._flat is not None and loose_optimizer._flat is None
    rng = np.random.default_rng(1)
    for t in range(25):
        for key, value in flat.items():
            np.copyto(grads[key], rng.standard_normal(value.shape))
        loose_grads = {key: value.copy() for key, value in grads.items()}
        flat_value = penalty(flat, grads, scale=0.5)
        loose_value = penalty(loose, loose_grads, scale=0.5)
        for key in grads:
            np.testing.assert_array_equal(grads[key], loose_grads[key], err_msg=f"{key}, {t}")
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        assert flat_value == pytest.approx(loose_value, rel=rtol)
        lr = 0.05 + 0.01 * t  # changes every step, as a schedule does
        flat_optimizer.step(grads, lr=lr)
        loose_optimizer.step(loose_grads, lr=lr)
        for key in flat:
            np.testing.assert_array_equal(flat[key], loose[key], err_msg=f"{key}, step {t}")
    # the compiled path updated the model's live arrays
    np.testing.assert_array_equal(model.params["0.weight"], loose["0.weight"])
    assert model.params["0.weight"].dtype == dtype


def test_penalties_leave_unselected_entries_alone_on_the_flat_path():
    model = _model(np.float32)
    params, grads = model.params, model.grads
    for value in params.values():
        value[...] = 2.0
    for value in grads.values():
        value[...] = 0.0
    value = penalties.L2(1.0)(params, grads)
    weights = [key for key in params if params[key].ndim == 2]
    assert value == pytest.approx(0.5 * 4.0 * sum(params[k].size for k in weights))
    for key in grads:
        expected = 2.0 if key in weights else 0.0
        np.testing.assert_array_equal(grads[key], expected, err_msg=key)
