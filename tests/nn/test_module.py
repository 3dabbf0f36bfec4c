"""The contract every layer shares (fitwell.nn.module): dtypes, validation and error
messages, and the dotted dictionaries and state of containers."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from fitwell import nn, optim

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

# One factory per layer class: dtype -> (layer, n_features of its input).
LAYER_FACTORIES = {
    "Linear": lambda dtype: (nn.Linear(5, 3, rng=0, dtype=dtype), 5),
    "ReLU": lambda dtype: (nn.ReLU(), 5),
    "LeakyReLU": lambda dtype: (nn.LeakyReLU(0.2), 5),
    "GELU": lambda dtype: (nn.GELU(), 5),
    "Tanh": lambda dtype: (nn.Tanh(), 5),
    "Sigmoid": lambda dtype: (nn.Sigmoid(), 5),
    "Identity": lambda dtype: (nn.Identity(), 5),
    "Dropout": lambda dtype: (nn.Dropout(0.5, rng=0), 5),
    "BatchNorm": lambda dtype: (nn.BatchNorm(5, dtype=dtype), 5),
    "LayerNorm": lambda dtype: (nn.LayerNorm(5, dtype=dtype), 5),
    "GroupNorm": lambda dtype: (nn.GroupNorm(2, 4, dtype=dtype), 4),
    "Sequential": lambda dtype: (nn.Sequential(
        nn.Linear(5, 4, rng=0, dtype=dtype), nn.BatchNorm(4, dtype=dtype), nn.ReLU(),
        nn.Dropout(0.2, rng=0), nn.Sequential(nn.Linear(4, 3, rng=1, dtype=dtype), nn.Tanh()),
    ), 5),
}
FEATURED = ["Linear", "BatchNorm", "LayerNorm", "GroupNorm"]  # layers that know their width


def _build(name, dtype=np.float32):
    return LAYER_FACTORIES[name](dtype)


def test_the_factories_cover_every_public_layer():
    public = {getattr(nn, name) for name in nn.__all__}
    layers = {cls for cls in public if inspect.isclass(cls) and issubclass(cls, nn.Module)}
    built = {type(_build(name)[0]) for name in LAYER_FACTORIES}
    assert layers - {nn.Module} <= built


# -- dtype ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "default"), [
    ("Linear", lambda: nn.Linear(5, 3)), ("BatchNorm", lambda: nn.BatchNorm(5)),
    ("LayerNorm", lambda: nn.LayerNorm(5)), ("GroupNorm", lambda: nn.GroupNorm(2, 4)),
    ("Sequential", lambda: nn.Sequential(nn.Linear(5, 4), nn.BatchNorm(4), nn.ReLU())),
], ids=lambda value: value if isinstance(value, str) else "")
def test_parameters_are_float32_by_default_and_float64_on_request(name, default):
    default = default()
    assert default.dtype == F32
    for store in (default.params, default.grads, default.buffers):
        assert all(value.dtype == F32 for value in store.values())
    layer64, _ = _build(name, np.float64)
    assert layer64.dtype == F64
    for store in (layer64.params, layer64.grads, layer64.buffers):
        assert all(value.dtype == F64 for value in store.values())


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_dtype_is_preserved_through_every_layer(name, dtype, training):
    layer, width = _build(name, dtype)
    x = np.random.default_rng(0).standard_normal((6, width)).astype(dtype)
    out = layer.forward(x, training=training)
    assert out.dtype == dtype
    assert layer.backward(np.ones_like(out)).dtype == dtype
    assert all(g.dtype == dtype for g in layer.grads.values())


def test_sequential_astype_converts_params_grads_and_buffers():
    model, _ = _build("Sequential", np.float32)
    x = np.random.default_rng(0).standard_normal((8, 5)).astype(np.float32)
    model.forward(x, training=True)  # move the running statistics off their start
    before = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    assert model.astype(np.float64) is model
    assert model.dtype == F64
    for store in (model.params, model.grads, model.buffers):
        assert store and all(value.dtype == F64 for value in store.values())
    for key, value in model.state_dict().items():
        assert np.array_equal(value, before[key]), key  # float32 -> float64 is exact
    out = model.forward(x.astype(np.float64), training=True)
    assert out.dtype == F64
    model.backward(np.ones_like(out))
    assert all(g.dtype == F64 and np.any(g) for k, g in model.grads.items() if "weight" in k)


def test_sequential_astype_keeps_params_live():
    model = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU()).astype(np.float64)
    x = np.ones((1, 3))
    model.params["0.bias"][...] = 100.0
    assert np.all(model.forward(x) > 50)
    opt = optim.SGD(model.params, lr=1.0)
    model.backward(np.ones((1, 2)))
    opt.step(model.grads)
    assert np.allclose(model[0].params["bias"], 99.0)


def test_sequential_rejects_layers_of_different_dtypes():
    with pytest.raises(ValueError, match="different dtypes"):
        nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3, dtype=np.float64))


def test_losses_keep_the_dtype_of_their_input():
    logits = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 1])
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(logits, y)[1].dtype == F32
    assert nn.BinaryCrossEntropyLoss()(logits, (logits > 0).astype(int))[1].dtype == F32
    assert nn.MSELoss()(logits, np.zeros((4, 3)))[1].dtype == F32
    assert nn.CrossEntropyLoss()(logits.astype(np.float64), y)[1].dtype == F64


# -- bad arguments --------------------------------------------------------------------------

BAD_CONSTRUCTORS = [
    (lambda: nn.Dropout(p=1.2), r"Dropout: p must be .*\[0, 1\).*1\.2"),
    (lambda: nn.Dropout(p=-0.1), r"Dropout: p must be .*-0\.1"),
    (lambda: nn.GroupNorm(3, 128), r"GroupNorm: num_features \(128\) must be divisible by "
                                   r"num_groups \(3\)"),
    (lambda: nn.GroupNorm(0, 4), r"GroupNorm: num_groups must be an integer >= 1, got 0"),
    (lambda: nn.Linear(0, 3), r"Linear: in_features must be an integer >= 1, got 0"),
    (lambda: nn.Linear(3, -1), r"Linear: out_features must be an integer >= 1, got -1"),
    (lambda: nn.Linear(3, 3, init="bogus"), r"Linear: init must be one of .*'he'.*got 'bogus'"),
    (lambda: nn.Linear(3, 3, rng="seed"), r"Linear: rng must be .*Generator.*got str"),
    (lambda: nn.Linear(3, 3, dtype=np.int32), r"dtype must be float32 or float64, got int32"),
    (lambda: nn.LeakyReLU(-0.1), r"LeakyReLU: negative_slope must be .*-0\.1"),
    (lambda: nn.GELU(approximate="fast"), r"GELU: approximate must be .*'fast'"),
    (lambda: nn.BatchNorm(4, momentum=0.0),
     r"BatchNorm: momentum must be a number in \(0, 1\], got 0\.0"),
    (lambda: nn.BatchNorm(4, momentum=1.5),
     r"BatchNorm: momentum must be a number in \(0, 1\], got 1\.5"),
    (lambda: nn.BatchNorm(4, eps=0), r"BatchNorm: eps must be a number in \(0, inf\), got 0\.0"),
    (lambda: nn.LayerNorm(0), r"LayerNorm: num_features must be an integer >= 1, got 0"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.5),
     r"CrossEntropyLoss: label_smoothing must be in \[0, 1\], got 1\.5"),
    (lambda: nn.CrossEntropyLoss(weight=[-1.0, 1.0]), r"CrossEntropyLoss: weight must be .*"
                                                      r"non-negative"),
    (lambda: nn.Sequential(nn.Linear(2, 2), "relu"),
     r"Sequential: every layer must be a fitwell.nn.Module, got str at position 1"),
]


@pytest.mark.parametrize(("make", "message"), BAD_CONSTRUCTORS,
                         ids=[f"{i}" for i in range(len(BAD_CONSTRUCTORS))])
def test_constructors_validate_their_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("name", FEATURED + ["Sequential"])
def test_forward_with_the_wrong_feature_count_names_the_layer_and_both_shapes(name):
    layer, width = _build(name)
    expected_owner = "Linear" if name == "Sequential" else name  # its first layer complains
    for training in (True, False):
        with pytest.raises(ValueError) as info:
            layer.forward(np.ones((3, width + 2)), training=training)
        text = str(info.value)
        assert expected_owner in text
        assert f"(n_samples, {width})" in text and f"(3, {width + 2})" in text


@pytest.mark.parametrize("shape", [(5,), (2, 3, 5), ()], ids=["1-D", "3-D", "0-D"])
@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_forward_with_a_non_2d_array_names_the_layer_and_both_shapes(name, shape):
    layer, width = _build(name)
    with pytest.raises(ValueError) as info:
        layer.forward(np.ones(shape), training=True)
    text = str(info.value)
    assert name in text and "2-D" in text and str(shape) in text
    if name in FEATURED:
        assert f"(n_samples, {width})" in text


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_backward_before_forward_is_a_clear_runtime_error(name):
    layer, width = _build(name)
    with pytest.raises(RuntimeError, match="backward was called before forward"):
        layer.backward(np.ones((2, 3)))


@pytest.mark.parametrize("name", list(LAYER_FACTORIES))
def test_backward_with_a_gradient_of_the_wrong_shape_is_a_value_error(name):
    layer, width = _build(name)
    out = layer.forward(np.ones((4, width)), training=True)
    with pytest.raises(ValueError, match=r"expects a gradient of shape"):
        layer.backward(np.ones((out.shape[0] + 1, out.shape[1])))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3])),
     r"class indices must be in \[0, 3\)"),
    (lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0])), "integers"),
    (lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.zeros((2, 2))), r"\(2, 3\)"),
    (lambda: nn.CrossEntropyLoss(weight=[1.0, 1.0])(np.zeros((2, 3)), np.array([0, 1])),
     "2 entries but the logits have 3 classes"),
    (lambda: nn.MSELoss()(np.zeros((2, 3)), np.zeros((2, 2))), r"\(2, 3\) and \(2, 2\)"),
    (lambda: nn.BinaryCrossEntropyLoss()(np.zeros((2, 1)), np.zeros((3, 1))), "one 2-D shape"),
    (lambda: nn.MSELoss()(np.zeros((2, 1)), np.zeros(2), sample_weight=np.ones(3)),
     r"sample_weight must have shape \(2,\)"),
])
def test_losses_reject_bad_targets(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- Sequential: names, dictionaries and state --------------------------------------------

def _model(dtype=np.float32):
    return nn.Sequential(
        nn.Linear(4, 5, rng=0, dtype=dtype), nn.BatchNorm(5, dtype=dtype), nn.ReLU(),
        nn.Sequential(nn.Linear(5, 3, rng=1, dtype=dtype), nn.LayerNorm(3, dtype=dtype)),
    )


def test_sequential_dotted_names():
    model = _model()
    assert list(model.params) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                  "3.0.weight", "3.0.bias", "3.1.weight", "3.1.bias"]
    assert list(model.grads) == list(model.params)
    assert list(model.buffers) == ["1.running_mean", "1.running_var"]
    for key, value in model.params.items():
        assert model.grads[key].shape == value.shape
    assert model.params["0.weight"].shape == (4, 5)
    assert model.params["3.0.weight"].shape == (5, 3)
    assert sorted(model.state_dict()) == sorted([*model.params, *model.buffers])


def test_sequential_dicts_hold_the_live_arrays():
    model = _model()
    assert np.shares_memory(model.params["3.0.weight"], model[3][0].params["weight"])
    model.params["1.bias"][...] = 2.0
    assert np.all(model[1].params["bias"] == 2.0)
    model.buffers["1.running_mean"][...] = 3.0
    assert np.all(model[1].buffers["running_mean"] == 3.0)


def test_sequential_fills_grads_on_backward():
    model = _model(np.float64)
    out = model.forward(np.random.default_rng(0).standard_normal((6, 4)), training=True)
    model.backward(np.ones_like(out))
    assert all(np.any(g) for k, g in model.grads.items() if k != "0.bias")


def test_state_dict_returns_copies():
    model = _model()
    state = model.state_dict()
    for value in state.values():
        value[...] = 123.0
    assert not any(np.any(v == 123.0) for v in model.state_dict().values())


def test_load_state_dict_restores_params_and_buffers_in_place():
    model = _model(np.float64)
    x = np.random.default_rng(0).standard_normal((8, 4))
    saved = model.state_dict()
    reference = model.forward(x, training=False).copy()
    live = {**model.params, **model.buffers}
    # train a little: parameters and running statistics move
    opt = optim.SGD(model.params, lr=0.1)
    for _ in range(3):
        out = model.forward(x, training=True)
        model.backward(out)
        opt.step(model.grads)
    assert not np.allclose(model.forward(x, training=False), reference)
    assert not np.array_equal(model.buffers["1.running_var"], saved["1.running_var"])

    model.load_state_dict(saved)
    for key, array in {**model.params, **model.buffers}.items():
        assert array is live[key], key  # the very arrays the layers and optimiser hold
        assert np.array_equal(array, saved[key]), key
    np.testing.assert_array_equal(model.forward(x, training=False), reference)
    # the optimiser still holds the live arrays
    assert all(np.shares_memory(opt.params[k], model.params[k]) for k in model.params)


def test_load_state_dict_is_not_aliased_to_its_argument():
    model = _model()
    state = model.state_dict()
    model.load_state_dict(state)
    state["0.weight"][...] = 7.0
    assert not np.any(model.params["0.weight"] == 7.0)


def test_load_state_dict_rejects_missing_and_unexpected_keys():
    model = _model()
    state = model.state_dict()
    del state["1.running_var"]
    with pytest.raises(ValueError, match=r"missing keys: \['1.running_var'\]"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["9.weight"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"unexpected keys: \['9.weight'\]"):
        model.load_state_dict(state)


def test_load_state_dict_rejects_wrong_shapes_without_touching_the_model():
    model = _model()
    before = model.state_dict()
    state = model.state_dict()
    state["0.bias"] = np.zeros(5) + 1.0
    state["3.0.weight"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"'3.0.weight' has shape \(3, 5\), the model expects "
                                         r"\(5, 3\)"):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        assert np.array_equal(value, before[key]), key  # all-or-nothing


def test_single_layer_dicts_use_plain_keys():
    bn = nn.BatchNorm(3)
    assert list(bn.params) == ["weight", "bias"]
    assert list(bn.buffers) == ["running_mean", "running_var"]
    assert np.all(bn.params["weight"] == 1) and np.all(bn.params["bias"] == 0)
