"""The optimisers' argument checks (their updates are checked against PyTorch in
test_oracle_optim.py and against the compiled path in test_compiled_updates.py)."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import optim
from fitwell.errors import ParameterError

_W = {"w": np.ones(3)}


BAD_CONSTRUCTORS = [
    (lambda: optim.SGD(_W, lr=-0.1), r"SGD: lr must be .*got -0\.1"),
    (lambda: optim.Adam(_W, lr=-0.1), r"Adam: lr must be .*got -0\.1"),
    (lambda: optim.AdamW(_W, lr=-0.1), r"AdamW: lr must be .*got -0\.1"),
    (lambda: optim.Adam(_W, betas=(1.0, 0.9)), r"Adam: betas\[0\] must be .*got 1\.0"),
    (lambda: optim.SGD(_W, lr=0.1, nesterov=True), r"SGD: nesterov=True requires momentum > 0"),
    (lambda: optim.SGD({}, lr=0.1), r"SGD: params must be a non-empty dict"),
]


@pytest.mark.parametrize(("make", "message"), BAD_CONSTRUCTORS,
                         ids=[f"{i}" for i in range(len(BAD_CONSTRUCTORS))])
def test_constructors_validate_their_arguments(make, message):
    with pytest.raises(ParameterError, match=message):
        make()


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-array"])
def test_sgd_lr_in_velocity_is_scikit_learns_momentum_rule(nesterov, flat):
    """With a changing rate, ``lr_in_velocity=True`` steps as scikit-learn's SGDOptimizer."""
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    rng = np.random.default_rng(0)
    start = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    ours = {k: v.copy() for k, v in start.items()}
    if flat:
        model_params = ours
    else:  # separate arrays: no flat buffer
        model_params = {k: np.asfortranarray(v) for k, v in ours.items()}
    theirs = [start["w"].copy(), start["b"].copy()]
    opt = optim.SGD(model_params, lr=0.2, momentum=0.9, nesterov=nesterov, lr_in_velocity=True)
    reference = SGDOptimizer(theirs, learning_rate_init=0.2, lr_schedule="constant",
                             momentum=0.9, nesterov=nesterov)
    for step, rate in enumerate([0.2, 0.2, 0.05, 0.05, 0.01, 0.3, 0.3]):
        grads = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
        reference.learning_rate = rate
        reference.update_params(theirs, [grads["w"], grads["b"]])
        opt.step(grads, lr=rate)
        np.testing.assert_allclose(model_params["w"], theirs[0], rtol=1e-12, atol=1e-12,
                                   err_msg=f"step {step}")
        np.testing.assert_allclose(model_params["b"], theirs[1], rtol=1e-12, atol=1e-12)


def test_sgd_lr_in_velocity_equals_pytorchs_rule_at_a_constant_rate():
    rng = np.random.default_rng(1)
    a = {"w": rng.standard_normal(5)}
    b = {"w": a["w"].copy()}
    torch_rule = optim.SGD(a, lr=0.1, momentum=0.9, nesterov=True)
    sklearn_rule = optim.SGD(b, lr=0.1, momentum=0.9, nesterov=True, lr_in_velocity=True)
    for _ in range(5):
        grads = {"w": rng.standard_normal(5)}
        torch_rule.step(grads)
        sklearn_rule.step(grads)
    np.testing.assert_array_equal(a["w"], b["w"])
