"""The compiled training path of Sequential (DenseBlock and its numba kernels).

``Sequential(fuse=False)`` runs every layer's own NumPy forward and backward: the
reference the fused path must match, to rounding, in training and bit for bit at
inference. The compiled cross-entropy and a small network are checked against
PyTorch 2.13 too.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from fitwell import nn
from fitwell.nn import _cross_entropy_kernel, _dense_kernels
from fitwell.nn.dense_block import DenseBlock

torch.set_num_threads(1)

F32, F64 = np.float32, np.float64
TOL = {F64: 1e-12, F32: 1e-5}


@pytest.fixture
def kernel_calls(monkeypatch):
    """Count the compiled kernels' calls, so a test knows the fused path really ran."""
    modules = {"dense_forward": _dense_kernels, "dense_backward": _dense_kernels,
               "cross_entropy": _cross_entropy_kernel}
    calls = dict.fromkeys(modules, 0)
    for name, module in modules.items():
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def _mlp(seed, dtype=F64, norm=True, dropout=True, bias=True, fuse=True):
    """7 → 9 → 6 → 3 with two hidden runs; non-trivial gamma, beta and biases."""
    rng = np.random.default_rng(seed)
    layers = []
    for index, (fan_in, fan_out) in enumerate([(7, 9), (9, 6)]):
        layers.append(nn.Linear(fan_in, fan_out, bias=bias, rng=rng, dtype=dtype))
        if norm:
            layers.append(nn.BatchNorm(fan_out, momentum=0.3, dtype=dtype))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(0.3, rng=seed + 10 + index))
    layers.append(nn.Linear(6, 3, bias=bias, rng=rng, dtype=dtype))
    model = nn.Sequential(*layers, fuse=fuse)
    perturb = np.random.default_rng(seed + 1)
    for value in model.params.values():
        value += (0.3 * perturb.standard_normal(value.shape)).astype(dtype)
    return model


def _step(model, x, grad, lr=0.1):
    """Forward, backward and a plain SGD update; copies of what came out."""
    out = model.forward(x, training=True).copy()
    dx = model.backward(grad).copy()
    grads = {key: value.copy() for key, value in model.grads.items()}
    for key, value in model.params.items():
        value -= (lr * grads[key]).astype(value.dtype)
    return out, dx, grads


def _batches(seed, steps=3, features=7, classes=3):
    rng = np.random.default_rng(seed)
    return [(rng.normal(0.5, 2.0, (10 + step, features)), rng.standard_normal((10 + step, classes)))
            for step in range(steps)]


def _close(actual, expected, dtype=None, label=""):
    """Equal to TOL[dtype], or bit for bit when dtype is None."""
    if dtype is None:
        np.testing.assert_array_equal(actual, expected, err_msg=label)
    else:
        tol = TOL[dtype]
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, err_msg=label)


def _same_step(got, expected, dtype=None, label=""):
    """Two `_step` results agree: output, input gradient and every gradient."""
    (out, dx, grads), (ref_out, ref_dx, ref_grads) = got, expected
    assert out.dtype == dx.dtype == ref_out.dtype and set(grads) == set(ref_grads)
    _close(out, ref_out, dtype, f"{label} output")
    _close(dx, ref_dx, dtype, f"{label} input grad")
    for key in grads:
        _close(grads[key], ref_grads[key], dtype, f"{label} grad {key}")


def _same_state(model, reference, dtype=None, label=""):
    """Every parameter and buffer (running statistics) agrees."""
    state, ref_state = model.state_dict(), reference.state_dict()
    assert set(state) == set(ref_state)
    for key in state:
        _close(state[key], ref_state[key], dtype, f"{label} {key}")


def _dropout_states(model):
    return [layer.rng.bit_generator.state for layer in model.layers
            if isinstance(layer, nn.Dropout)]


# -- 1. fused training equals the layers' own ------------------------------------------
@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("dropout", [True, False], ids=["dropout", "nodropout"])
@pytest.mark.parametrize("norm", [True, False], ids=["bn", "nobn"])
def test_fused_training_matches_unfused(norm, dropout, bias, dtype, kernel_calls):
    fused = _mlp(3, dtype, norm, dropout, bias, fuse=True)
    plain = _mlp(3, dtype, norm, dropout, bias, fuse=False)
    for step, (x, grad) in enumerate(_batches(4)):
        calls = kernel_calls["dense_forward"]
        got = _step(fused, x.astype(dtype), grad.astype(dtype))
        assert kernel_calls["dense_forward"] == calls + 2  # both hidden runs were fused
        expected = _step(plain, x.astype(dtype), grad.astype(dtype))
        assert kernel_calls["dense_forward"] == calls + 2  # the reference ran no kernel
        assert got[0].dtype == dtype and (len(fused.buffers) == 4) == norm
        _same_step(got, expected, dtype, f"step {step}")
        _same_state(fused, plain, dtype, f"step {step}")  # after the SGD update
    assert kernel_calls["dense_backward"] == 6
    assert _dropout_states(fused) == _dropout_states(plain)


# -- 2. the training plan -------------------------------------------------------------
def test_training_plan_fuses_exactly_the_recognised_runs():
    def lin(cls=nn.Linear):
        return cls(5, 5, rng=0, dtype=F64)

    my_linear, my_relu = type("MyLinear", (nn.Linear,), {}), type("MyReLU", (nn.ReLU,), {})

    layers = [lin(), nn.BatchNorm(5, dtype=F64), nn.ReLU(), nn.Dropout(0.2, rng=0),  # 0-3
              lin(), nn.ReLU(),                                                     # 4-5
              lin(), nn.LeakyReLU(),                                                # 6-7
              lin(), nn.LayerNorm(5, dtype=F64), nn.ReLU(),                         # 8-10
              lin(), nn.Tanh(),                                                     # 11-12
              lin(my_linear), nn.ReLU(),                                            # 13-14
              lin(), my_relu(),                                                     # 15-16
              lin()]                                                                # 17
    model = nn.Sequential(*layers)
    plan = model._training_plan()
    assert [type(step) for step in plan] == [DenseBlock, DenseBlock] + [
        type(layer) for layer in layers[6:]]
    assert plan[0].layers == layers[0:4] and plan[1].layers == layers[4:6]  # (by identity)
    assert all(step is layer for step, layer in zip(plan[2:], layers[6:], strict=True))
    assert not any(isinstance(step, DenseBlock) for step in nn.Sequential(
        *layers, fuse=False)._training_plan())
    model.layers.append(nn.ReLU())  # the output Linear now has a ReLU after it
    plan = model._training_plan()
    assert isinstance(plan[-1], DenseBlock) and plan[-1].linear is layers[17]
    model.layers[7] = nn.ReLU()  # replaced in place: 6-7 become a run
    plan = model._training_plan()
    assert [type(step) for step in plan[:4]] == [DenseBlock] * 3 + [nn.Linear]
    assert plan[2].linear is layers[6]
    x = np.random.default_rng(0).standard_normal((6, 5))
    assert model.forward(x, training=True).shape == (6, 5)  # the rebuilt plan runs


# -- 3. inference is layer by layer ---------------------------------------------------------
def test_inference_is_identical_with_and_without_fusion():
    fused = _mlp(5)
    for x, grad in _batches(6, steps=2):
        _step(fused, x, grad)
    x = np.random.default_rng(7).normal(0.5, 2.0, (11, 7))
    grad = np.random.default_rng(8).standard_normal((11, 3))
    fused.forward(x[:10], training=True)  # must not leak into inference or its backward
    plain = _mlp(5, fuse=False)
    plain.load_state_dict(fused.state_dict())
    got = fused.forward(x, training=False), fused.backward(grad), fused.grads
    _same_step(got, (plain.forward(x, training=False), plain.backward(grad), plain.grads))


# -- 4. NaN is not hidden -------------------------------------------------------------
@pytest.mark.parametrize("norm", [True, False], ids=["bn", "nobn"])
@pytest.mark.parametrize("dropout", [True, False], ids=["dropout", "nodropout"])
def test_nan_weight_propagates_through_fused_forward(norm, dropout, kernel_calls):
    fused, plain = (_mlp(9, norm=norm, dropout=dropout, fuse=fuse) for fuse in (True, False))
    for model in (fused, plain):
        model.params["0.weight"][0, 0] = np.nan
    x = _batches(10, steps=1)[0][0]
    out = fused.forward(x, training=True)
    assert kernel_calls["dense_forward"] == 2
    assert np.isnan(out).any()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(plain.forward(x, training=True)))


# -- 5. batch norm needs two rows ------------------------------------------------------
def test_fused_batch_norm_rejects_a_single_row(kernel_calls):
    model = _mlp(1, dropout=False)
    assert isinstance(model._training_plan()[0], DenseBlock)
    before = model.state_dict()
    with pytest.raises(ValueError, match="at least 2 samples"):
        model.forward(np.ones((1, 7)), training=True)
    assert kernel_calls["dense_forward"] == 0
    assert all(np.array_equal(value, before[key]) for key, value in model.state_dict().items())
    assert model.forward(np.ones((1, 7)), training=False).shape == (1, 3)  # inference is fine


# -- 6. pickle and deepcopy ---------------------------------------------------------------
@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize("clone", ["pickle", "deepcopy"])
def test_copies_keep_fuse_and_train_like_the_original(clone, fuse, kernel_calls):
    original = _mlp(11, fuse=fuse)
    batches = _batches(12, steps=4)
    _step(original, *batches[0])  # the copy is taken mid-training, plan and caches built
    restored = pickle.loads(pickle.dumps(original)) if clone == "pickle" \
        else copy.deepcopy(original)
    assert restored.fuse is fuse
    calls = kernel_calls["dense_forward"]
    for x, grad in batches[1:]:
        _same_step(_step(restored, x, grad), _step(original, x, grad))
    assert kernel_calls["dense_forward"] - calls == (12 if fuse else 0)
    _same_state(restored, original)
    assert _dropout_states(restored) == _dropout_states(original)
    assert all(np.shares_memory(value, restored._flat_params)  # one flat buffer again
               for value in restored.params.values())
    restored.params["0.weight"][...] = 0.0  # independent of the original
    assert np.any(original.params["0.weight"] != 0.0)


# -- 7. astype rebuilds the plan -----------------------------------------------------------
def test_astype_float64_after_float32_training(kernel_calls):
    model = _mlp(13, dtype=F32)
    batches = _batches(14, steps=3)
    _step(model, batches[0][0].astype(F32), batches[0][1].astype(F32))
    old_plan = list(model._training_plan())
    model.astype(F64)
    reference = copy.deepcopy(model)
    reference.fuse = False
    plan = model._training_plan()
    assert [type(step) for step in plan] == [type(step) for step in old_plan]
    assert not any(new is old for new, old in zip(plan, old_plan, strict=True)
                   if isinstance(new, DenseBlock))
    calls = kernel_calls["dense_forward"]
    for x, grad in batches[1:]:
        got = _step(model, x, grad)
        assert got[0].dtype == F64 and all(g.dtype == F64 for g in got[2].values())
        _same_step(got, _step(reference, x, grad), F64)
    assert kernel_calls["dense_forward"] - calls == 4
    _same_state(model, reference, F64)
    assert all(value.dtype == F64 for value in model.state_dict().values())


# -- 8. the compiled cross-entropy against PyTorch -----------------------------------------
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_compiled_cross_entropy_matches_torch(dtype, smoothing, kernel_calls):
    rng = np.random.default_rng(15)
    for n, classes, scale in [(1, 2, 1.0), (9, 4, 1.0), (17, 6, 30.0)]:
        logits = (scale * rng.standard_normal((n, classes))).astype(dtype)
        target = rng.integers(0, classes, n)
        loss, grad = nn.CrossEntropyLoss(label_smoothing=smoothing)(logits, target)
        logits_t = torch.tensor(logits, requires_grad=True)
        expected = F.cross_entropy(logits_t, torch.tensor(target), label_smoothing=smoothing)
        expected.backward()
        assert grad.dtype == dtype and grad.shape == logits.shape
        np.testing.assert_allclose(loss, expected.item(), rtol=TOL[dtype], atol=TOL[dtype])
        np.testing.assert_allclose(grad, logits_t.grad.numpy(), rtol=TOL[dtype],
                                   atol=TOL[dtype])
    assert kernel_calls["cross_entropy"] == 3


@pytest.mark.parametrize("bad", [-1, 4])
def test_compiled_cross_entropy_rejects_out_of_range_ids(bad):
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"class indices must be in"):
        nn.CrossEntropyLoss()(logits, np.array([0, bad, 1]))


# -- 9. a whole network against PyTorch -----------------------------------------------------
def test_fused_network_trains_like_torch(kernel_calls):
    rng = np.random.default_rng(16)
    ours = nn.Sequential(nn.Linear(5, 8, rng=rng, dtype=F64),
                         nn.BatchNorm(8, momentum=0.2, dtype=F64), nn.ReLU(),
                         nn.Linear(8, 3, rng=rng, dtype=F64))
    params = ours.params
    for value in params.values():
        value += 0.2 * rng.standard_normal(value.shape)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8, momentum=0.2),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for index in (0, 1, 3):
            weight = params[f"{index}.weight"]
            theirs[index].weight.copy_(torch.tensor(weight.T if index != 1 else weight))
            theirs[index].bias.copy_(torch.tensor(params[f"{index}.bias"]))
    loss_fn = nn.CrossEntropyLoss()
    for step in range(4):
        x, y = rng.normal(0.3, 1.5, (16 + step, 5)), rng.integers(0, 3, 16 + step)
        logits = ours.forward(x, training=True).copy()
        loss, dlogits = loss_fn(logits, y)
        ours.backward(dlogits)
        theirs.zero_grad()
        loss_t = F.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        loss_t.backward()
        np.testing.assert_allclose(loss, loss_t.item(), rtol=1e-10, err_msg=f"step {step}")
        grads = ours.grads
        for index in (0, 1, 3):
            for name in ("weight", "bias"):
                expected = getattr(theirs[index], name).grad.numpy()
                expected = expected.T if index != 1 and name == "weight" else expected
                np.testing.assert_allclose(grads[f"{index}.{name}"], expected, rtol=1e-9,
                                           atol=1e-12, err_msg=f"step {step} {index}.{name}")
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(ours.buffers[f"1.{name}"],
                                       getattr(theirs[1], name).numpy(), rtol=1e-12, atol=1e-14)
        for key, value in ours.params.items():
            value -= 0.1 * grads[key]
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.1 * p.grad
    assert kernel_calls["dense_forward"] == 4


# -- 10. determinism -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_fused_training_is_bit_reproducible(dtype, kernel_calls):
    first, second = _mlp(17, dtype), _mlp(17, dtype)
    for x, grad in _batches(18, steps=4):
        x, grad = x.astype(dtype), grad.astype(dtype)
        _same_step(_step(first, x, grad), _step(second, x, grad))
    _same_state(first, second)
    assert _dropout_states(first) == _dropout_states(second)
    assert kernel_calls["dense_forward"] == 16


@pytest.mark.parametrize(("before", "after"), [(0.0, 0.5), (0.5, 0.0)])
def test_a_dropout_rate_changed_between_steps_takes_effect(before, after):
    def build(fuse):
        rng = np.random.default_rng(0)
        return nn.Sequential(nn.Linear(2, 3, rng=rng, dtype=F64), nn.ReLU(),
                             nn.Dropout(before, rng=1), nn.Linear(3, 1, rng=rng, dtype=F64),
                             fuse=fuse)

    fused, reference = build(True), build(False)
    x = np.ones((6, 2))
    for model in (fused, reference):
        model.forward(x, training=True)
        model.layers[2].p = after
    np.testing.assert_array_equal(fused.forward(x, training=True),
                                  reference.forward(x, training=True))
    assert _dropout_states(fused) == _dropout_states(reference)


def test_relu_of_minus_infinity_is_zero_on_both_paths():
    def build(fuse):
        rng = np.random.default_rng(0)
        model = nn.Sequential(nn.Linear(2, 3, rng=rng, dtype=F64), nn.ReLU(),
                              nn.Linear(3, 1, rng=rng, dtype=F64), fuse=fuse)
        model.params["0.weight"][0, 0] = -np.inf
        return model

    x = np.ones((2, 2))
    fused, reference = build(True).forward(x, training=True), build(False).forward(x, training=True)
    assert np.all(np.isfinite(fused))
    np.testing.assert_array_equal(fused, reference)
    np.testing.assert_array_equal(build(False).forward(x, training=False), reference)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), n_in=st.integers(1, 12), n_out=st.integers(1, 40),
       norm=st.booleans(), p=st.sampled_from([0.0, 0.1, 0.5, 0.9]), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_fused_block_matches_the_layers_for_any_shape(n, n_in, n_out, norm, p, bias, seed):
    def build(fuse):
        rng = np.random.default_rng(seed)
        layers = [nn.Linear(n_in, n_out, bias=bias, rng=rng, dtype=F64)]
        if norm:
            layers.append(nn.BatchNorm(n_out, dtype=F64))
        layers += [nn.ReLU(), nn.Dropout(p, rng=seed), nn.Linear(n_out, 2, rng=rng, dtype=F64)]
        return nn.Sequential(*layers, fuse=fuse)

    data = np.random.default_rng(seed + 1)
    x, grad = data.standard_normal((n, n_in)), data.standard_normal((n, 2))
    fused, reference = build(True), build(False)
    for model in (fused, reference):
        model.forward(x, training=True)
    np.testing.assert_allclose(fused.forward(x, training=True),
                               reference.forward(x, training=True), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fused.backward(grad), reference.backward(grad),
                               rtol=1e-10, atol=1e-12)
    for key in reference.grads:
        np.testing.assert_allclose(fused.grads[key], reference.grads[key], rtol=1e-10,
                                   atol=1e-12, err_msg=key)
    for key in reference.buffers:
        np.testing.assert_allclose(fused.buffers[key], reference.buffers[key], rtol=1e-12,
                                   err_msg=key)
