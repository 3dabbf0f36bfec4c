"""Layers and losses against PyTorch 2.13 in float64: forward values and every gradient.

fitwell's ``Linear.weight`` is ``(in, out)``, the transpose of PyTorch's. In
training mode fitwell layers return reused workspaces, so results are copied
before the next call.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from fitwell import nn

torch.set_num_threads(1)

RTOL, ATOL = 1e-6, 1e-10
SETTINGS = settings(max_examples=15, deadline=None)


def _t(array, requires_grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def _np(tensor):
    return tensor.detach().numpy()


def _close(actual, expected, err_msg=""):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=err_msg)


# -- normalisation layers ----------------------------------------------------------------
def _set_affine(ours, theirs, rng):
    gamma = rng.uniform(0.5, 2.0, ours.num_features) * rng.choice([-1.0, 1.0], ours.num_features)
    beta = rng.standard_normal(ours.num_features)
    ours.params["weight"][...] = gamma
    ours.params["bias"][...] = beta
    with torch.no_grad():
        theirs.weight.copy_(_t(gamma))
        theirs.bias.copy_(_t(beta))


def _compare_step(ours, theirs, x, grad_out, training, label=""):
    """One forward and backward through both layers; compare output and all grads."""
    out = ours.forward(x, training=training).copy()
    dx = ours.backward(grad_out).copy()
    theirs.zero_grad()
    x_t = _t(x, requires_grad=True)
    out_t = theirs(x_t)
    out_t.backward(_t(grad_out))
    _close(out, _np(out_t), f"{label} output")
    _close(dx, _np(x_t.grad), f"{label} input grad")
    _close(ours.grads["weight"], _np(theirs.weight.grad), f"{label} gamma grad")
    _close(ours.grads["bias"], _np(theirs.bias.grad), f"{label} beta grad")


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 12),
    features=st.integers(1, 9),
    momentum=st.sampled_from([0.1, 0.01, 0.5, 1.0]),
    eps=st.sampled_from([1e-5, 1e-3]),
    steps=st.integers(1, 4),
)
def test_batch_norm_matches_torch(seed, n, features, momentum, eps, steps):
    rng = np.random.default_rng(seed)
    ours = nn.BatchNorm(features, eps=eps, momentum=momentum, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(features, eps=eps, momentum=momentum, dtype=torch.float64)
    _set_affine(ours, theirs, rng)
    theirs.train()
    for step in range(steps):
        batch = n + step  # a different batch (and batch size) every step
        x = rng.normal(rng.uniform(-2, 2, features), rng.uniform(0.3, 3, features),
                       (batch, features))
        grad_out = rng.standard_normal((batch, features))
        _compare_step(ours, theirs, x, grad_out, training=True, label=f"train step {step}")
        _close(ours.buffers["running_mean"], _np(theirs.running_mean), "running_mean")
        _close(ours.buffers["running_var"], _np(theirs.running_var), "running_var")
    # inference with the running statistics, and its backward
    theirs.eval()
    x = rng.normal(0.5, 2.0, (n, features))
    _compare_step(ours, theirs, x, rng.standard_normal((n, features)), training=False,
                  label="eval")
    # inference does not touch the running statistics
    _close(ours.buffers["running_var"], _np(theirs.running_var), "running_var after eval")


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10), features=st.integers(1, 12),
       eps=st.sampled_from([1e-5, 1e-2]), training=st.booleans())
def test_layer_norm_matches_torch(seed, n, features, eps, training):
    rng = np.random.default_rng(seed)
    ours = nn.LayerNorm(features, eps=eps, dtype=np.float64)
    theirs = torch.nn.LayerNorm(features, eps=eps, dtype=torch.float64)
    _set_affine(ours, theirs, rng)
    x = rng.normal(1.0, 3.0, (n, features))
    _compare_step(ours, theirs, x, rng.standard_normal((n, features)), training=training)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 10), groups=st.integers(1, 4),
       group_size=st.integers(1, 5), eps=st.sampled_from([1e-5, 1e-2]),
       training=st.booleans())
def test_group_norm_matches_torch(seed, n, groups, group_size, eps, training):
    # PyTorch's GroupNorm refuses a single sample of 2-D input ("more than 1 value per
    # channel"), so n >= 2 here; fitwell accepts it (LayerNorm covers n = 1).
    rng = np.random.default_rng(seed)
    features = groups * group_size
    ours = nn.GroupNorm(groups, features, eps=eps, dtype=np.float64)
    theirs = torch.nn.GroupNorm(groups, features, eps=eps, dtype=torch.float64)
    _set_affine(ours, theirs, rng)
    x = rng.normal(-1.0, 2.0, (n, features))
    _compare_step(ours, theirs, x, rng.standard_normal((n, features)), training=training)


@pytest.mark.parametrize("groups", [1, 2, 3, 6, 12])
def test_group_norm_group_counts(groups):
    """Every divisor of 12 as group count, including the degenerate one-per-group case."""
    rng = np.random.default_rng(groups)
    ours = nn.GroupNorm(groups, 12, dtype=np.float64)
    theirs = torch.nn.GroupNorm(groups, 12, dtype=torch.float64)
    _set_affine(ours, theirs, rng)
    for step in range(2):  # twice: the reused workspaces must not leak between calls
        x = rng.normal(0.0, 1.5, (7, 12))
        _compare_step(ours, theirs, x, rng.standard_normal((7, 12)), training=True,
                      label=f"step {step}")


# -- cross-entropy ---------------------------------------------------------------------------
def _compare_cross_entropy(logits, target, smoothing, weight):
    loss, grad = nn.CrossEntropyLoss(label_smoothing=smoothing, weight=weight)(logits, target)
    logits_t = _t(logits, requires_grad=True)
    target_t = torch.tensor(target) if target.ndim == 1 else _t(target)
    expected = F.cross_entropy(logits_t, target_t, label_smoothing=smoothing,
                               weight=None if weight is None else _t(weight))
    expected.backward()
    _close(loss, expected.item(), "loss")
    _close(grad, _np(logits_t.grad), "grad")


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), classes=st.integers(2, 7),
       smoothing=st.sampled_from([0.0, 0.1, 0.35, 1.0]), weighted=st.booleans(),
       scale=st.sampled_from([1.0, 10.0]))
def test_cross_entropy_class_targets_match_torch(seed, n, classes, smoothing, weighted, scale):
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, classes))
    target = rng.integers(0, classes, n)
    weight = rng.uniform(0.1, 3.0, classes) if weighted else None
    _compare_cross_entropy(logits, target, smoothing, weight)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), classes=st.integers(2, 7),
       smoothing=st.sampled_from([0.0, 0.2]), weighted=st.booleans(),
       one_hot=st.booleans())
def test_cross_entropy_probability_targets_match_torch(seed, n, classes, smoothing, weighted,
                                                      one_hot):
    rng = np.random.default_rng(seed)
    logits = 3.0 * rng.standard_normal((n, classes))
    if one_hot:
        target = np.eye(classes)[rng.integers(0, classes, n)]
    else:
        target = rng.dirichlet(np.ones(classes), n)
    weight = rng.uniform(0.1, 3.0, classes) if weighted else None
    _compare_cross_entropy(logits, target, smoothing, weight)


@pytest.mark.parametrize(
    ("smoothing", "weighted"), [(0.0, False), (0.1, False), (0.0, True), (0.1, True)],
    ids=["plain", "smoothing", "weights", "smoothing+weights"],
)
def test_cross_entropy_cases(smoothing, weighted):
    """The named cases once each, with a large logit range (stability of log-softmax)."""
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((9, 4)) * 40.0
    target = rng.integers(0, 4, 9)
    weight = np.array([0.5, 2.0, 1.0, 0.25]) if weighted else None
    _compare_cross_entropy(logits, target, smoothing, weight)


@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_sample_weight_is_torch_weighted_mean(weighted):
    """sum_i s_i l_i / sum_i s_i w_{y_i}, built from PyTorch's per-sample losses."""
    rng = np.random.default_rng(11)
    logits, target = rng.standard_normal((8, 5)), rng.integers(0, 5, 8)
    sample_weight = rng.uniform(0.0, 2.0, 8)
    weight = rng.uniform(0.2, 2.0, 5) if weighted else np.ones(5)
    loss, grad = nn.CrossEntropyLoss(label_smoothing=0.1, weight=weight if weighted else None)(
        logits, target, sample_weight=sample_weight)
    logits_t = _t(logits, requires_grad=True)
    per_sample = F.cross_entropy(logits_t, torch.tensor(target), weight=_t(weight),
                                 label_smoothing=0.1, reduction="none")
    expected = (per_sample * _t(sample_weight)).sum() / (sample_weight * weight[target]).sum()
    expected.backward()
    _close(loss, expected.item())
    _close(grad, _np(logits_t.grad))


# -- other losses ------------------------------------------------------------------------------
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10), d=st.integers(1, 5))
def test_mse_matches_torch(seed, n, d):
    rng = np.random.default_rng(seed)
    prediction, target = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    loss, grad = nn.MSELoss()(prediction, target)
    prediction_t = _t(prediction, requires_grad=True)
    expected = torch.nn.MSELoss()(prediction_t, _t(target))
    expected.backward()
    _close(loss, expected.item())
    _close(grad, _np(prediction_t.grad))


def test_mse_single_output_with_1d_target():
    rng = np.random.default_rng(5)
    prediction, target = rng.standard_normal((6, 1)), rng.standard_normal(6)
    loss, grad = nn.MSELoss()(prediction, target)
    prediction_t = _t(prediction, requires_grad=True)
    expected = F.mse_loss(prediction_t[:, 0], _t(target))
    expected.backward()
    _close(loss, expected.item())
    _close(grad, _np(prediction_t.grad))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10), d=st.integers(1, 5),
       soft=st.booleans(), scale=st.sampled_from([1.0, 30.0]))
def test_binary_cross_entropy_matches_torch(seed, n, d, soft, scale):
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, d))
    target = rng.uniform(0, 1, (n, d)) if soft else rng.integers(0, 2, (n, d)).astype(float)
    loss, grad = nn.BinaryCrossEntropyLoss()(logits, target)
    logits_t = _t(logits, requires_grad=True)
    # fitwell sums over the labels of a sample, then averages over samples
    expected = F.binary_cross_entropy_with_logits(logits_t, _t(target), reduction="sum") / n
    expected.backward()
    _close(loss, expected.item())
    _close(grad, _np(logits_t.grad))


# -- activations -------------------------------------------------------------------------------
ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
]


@pytest.mark.parametrize(("ours", "theirs"), ACTIVATIONS, ids=lambda layer: repr(layer))
@pytest.mark.parametrize("training", [True, False])
def test_activation_matches_torch(ours, theirs, training):
    rng = np.random.default_rng(2)
    for scale in (1.0, 8.0):  # the second call reuses the training workspaces
        x = scale * rng.standard_normal((13, 6))
        x[0, :3] = [0.0, -0.0, 1e-300]
        grad_out = rng.standard_normal(x.shape)
        out = ours.forward(x, training=training).copy()
        dx = ours.backward(grad_out).copy()
        x_t = _t(x, requires_grad=True)
        out_t = theirs(x_t)
        out_t.backward(_t(grad_out))
        _close(out, _np(out_t), f"{ours!r} forward")
        _close(dx, _np(x_t.grad), f"{ours!r} backward")


# -- a whole network ---------------------------------------------------------------------------
def _networks(rng):
    ours = nn.Sequential(nn.Linear(5, 8, rng=rng, dtype=np.float64),
                         nn.BatchNorm(8, momentum=0.2, dtype=np.float64), nn.ReLU(),
                         nn.Linear(8, 3, rng=rng, dtype=np.float64))
    params = ours.params
    params["0.bias"][...] = 0.1 * rng.standard_normal(8)
    params["1.weight"][...] = rng.uniform(0.5, 1.5, 8)
    params["1.bias"][...] = 0.2 * rng.standard_normal(8)
    params["3.bias"][...] = 0.1 * rng.standard_normal(3)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8, momentum=0.2),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for index in (0, 3):
            theirs[index].weight.copy_(_t(params[f"{index}.weight"].T))
            theirs[index].bias.copy_(_t(params[f"{index}.bias"]))
        theirs[1].weight.copy_(_t(params["1.weight"]))
        theirs[1].bias.copy_(_t(params["1.bias"]))
    return ours, theirs


def _torch_grads(theirs):
    grads = {}
    for index in (0, 1, 3):
        weight = _np(theirs[index].weight.grad)
        grads[f"{index}.weight"] = weight.T if index != 1 else weight
        grads[f"{index}.bias"] = _np(theirs[index].bias.grad)
    return grads


def test_network_matches_torch():
    rng = np.random.default_rng(42)
    ours, theirs = _networks(rng)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for step in range(3):
        x = rng.normal(0.3, 1.5, (16 + step, 5))
        y = rng.integers(0, 3, 16 + step)
        theirs.train()
        theirs.zero_grad()
        logits = ours.forward(x, training=True).copy()
        loss, dlogits = loss_fn(logits, y)
        dx = ours.backward(dlogits).copy()
        x_t = _t(x, requires_grad=True)
        logits_t = theirs(x_t)
        loss_t = F.cross_entropy(logits_t, torch.tensor(y), label_smoothing=0.05)
        loss_t.backward()
        _close(logits, _np(logits_t), f"step {step} logits")
        _close(loss, loss_t.item(), f"step {step} loss")
        _close(dx, _np(x_t.grad), f"step {step} input grad")
        expected = _torch_grads(theirs)
        grads = ours.grads
        assert set(grads) == set(expected)
        for key in expected:
            _close(grads[key], expected[key], f"step {step} grad {key}")
        buffers = ours.buffers
        _close(buffers["1.running_mean"], _np(theirs[1].running_mean))
        _close(buffers["1.running_var"], _np(theirs[1].running_var))
        # the same plain SGD step on both sides keeps them in lock-step
        for key, value in ours.params.items():
            value -= 0.1 * grads[key]
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.1 * p.grad
    theirs.eval()
    x = rng.standard_normal((4, 5))
    _close(ours.forward(x, training=False), _np(theirs(_t(x))), "inference")
