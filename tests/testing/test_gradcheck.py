"""Float64 central-difference gradient checks of every layer, loss and penalty.

The cases come from the registries in :mod:`fitwell.testing.cases`; the coverage tests
below make sure every public layer, loss and penalty is registered, and the
"broken backward" tests prove the checker does fail when a gradient is wrong.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitwell import nn, optim
from fitwell.optim import penalties
from fitwell.testing import cases, gradcheck

F64 = np.float64
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)


def _describe(results):
    return "\n".join(
        f"{r.name}: rel={r.max_rel_error:.2e} abs={r.max_abs_error:.2e}"
        for r in results if not r.passed
    )


def _assert_all_pass(results):
    assert results
    assert all(r.passed for r in results), _describe(results)


def _params(registry):
    rng = np.random.default_rng(0)
    return [pytest.param(*case[1:], id=case[0])
            for build in registry.values() for case in build(rng)]


# -- every registered case ---------------------------------------------------------------

@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize(("layer", "x"), _params(cases.LAYER_CASES))
def test_layer_gradients(layer, x, training):
    results = gradcheck.check_layer(layer, x, training=training)
    _assert_all_pass(results)
    mode = "training" if training else "inference"
    assert [r.name for r in results] == [
        f"{type(layer).__name__} ({mode}) · {wrt}" for wrt in ["input", *layer.params]
    ]


@pytest.mark.parametrize(("loss", "prediction", "target", "sample_weight"),
                         _params(cases.LOSS_CASES))
def test_loss_gradients(loss, prediction, target, sample_weight):
    result = gradcheck.check_loss(loss, prediction, target, sample_weight=sample_weight)
    assert result.passed, _describe([result])
    assert result.size == np.size(prediction)


@pytest.mark.parametrize(("penalty", "params", "scale"), _params(cases.PENALTY_CASES))
def test_penalty_gradients(penalty, params, scale):
    result = gradcheck.check_penalty(penalty, params, scale=scale)
    assert result.passed, _describe([result])


def test_check_all_passes_with_unique_readable_names():
    results = cases.check_all(seed=1)
    _assert_all_pass(results)
    names = [r.name for r in results]
    assert len(names) == len(set(names))
    for expected in ["BatchNorm (training) · input", "BatchNorm (inference) · weight",
                     "Dropout(p=0.3) (training) · input", "Sequential (training) · 6.1.weight",
                     "CrossEntropyLoss (label_smoothing=0.1)", "L1(0.3)"]:
        assert expected in names


# -- random shapes -------------------------------------------------------------------------

@SETTINGS
@given(n=st.integers(1, 5), n_in=st.integers(1, 5), n_out=st.integers(1, 4),
       bias=st.booleans(), training=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_random_shapes(n, n_in, n_out, bias, training, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(n_in, n_out, bias=bias, rng=rng, dtype=F64)
    _assert_all_pass(gradcheck.check_layer(layer, rng.standard_normal((n, n_in)),
                                           training=training, seed=seed))


ACTIVATIONS = [nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.Identity,
               lambda: nn.GELU(approximate="tanh"), lambda: nn.LeakyReLU(0.3)]


@SETTINGS
@given(make=st.sampled_from(ACTIVATIONS), n=st.integers(1, 5), f=st.integers(1, 5),
       training=st.booleans(), seed=st.integers(0, 2**16))
def test_activation_random_shapes(make, n, f, training, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, (n, f))
    x += np.copysign(0.01, x)  # away from the kink of ReLU and LeakyReLU
    _assert_all_pass(gradcheck.check_layer(make(), x, training=training, seed=seed))


@SETTINGS
@given(p=st.floats(0.0, 0.9), n=st.integers(1, 6), f=st.integers(1, 5),
       training=st.booleans(), seed=st.integers(0, 2**16))
def test_dropout_random_shapes(p, n, f, training, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Dropout(p, rng=seed)
    _assert_all_pass(gradcheck.check_layer(layer, rng.standard_normal((n, f)),
                                           training=training, seed=seed))


@SETTINGS
@given(n=st.integers(2, 6), f=st.integers(1, 5), training=st.booleans(),
       seed=st.integers(0, 2**16))
def test_batchnorm_random_shapes(n, f, training, seed):
    rng = np.random.default_rng(seed)
    layer = nn.BatchNorm(f, momentum=0.5, dtype=F64)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, f)
    layer.params["bias"][...] = rng.normal(size=f)
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, f)
    _assert_all_pass(gradcheck.check_layer(layer, rng.normal(0.0, 3.0, (n, f)),
                                           training=training, seed=seed))


@SETTINGS
@given(groups=st.integers(1, 3), group_size=st.integers(1, 3), n=st.integers(1, 4),
       training=st.booleans(), seed=st.integers(0, 2**16))
def test_groupnorm_random_shapes(groups, group_size, n, training, seed):
    rng = np.random.default_rng(seed)
    f = groups * group_size
    layer = nn.GroupNorm(groups, f, dtype=F64)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, f)
    _assert_all_pass(gradcheck.check_layer(layer, rng.normal(0.0, 3.0, (n, f)),
                                           training=training, seed=seed))


@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(2, 5), smoothing=st.sampled_from([0.0, 0.1, 0.5]),
       weighted=st.booleans(), sample_weighted=st.booleans(), soft=st.booleans(),
       seed=st.integers(0, 2**16))
def test_cross_entropy_random_configurations(n, c, smoothing, weighted, sample_weighted, soft,
                                             seed):
    rng = np.random.default_rng(seed)
    weight = rng.uniform(0.5, 2.0, c) if weighted else None
    target = rng.dirichlet(np.ones(c), n) if soft else rng.integers(0, c, n)
    sample_weight = rng.uniform(0.2, 2.0, n) if sample_weighted else None
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing, weight=weight)
    result = gradcheck.check_loss(loss, rng.normal(0.0, 2.0, (n, c)), target,
                                  sample_weight=sample_weight)
    assert result.passed, _describe([result])


# -- a stack trained through a loss --------------------------------------------------------

def test_sequential_through_cross_entropy_matches_numeric_gradient():
    """Chain rule end to end: d CE(model(x), y) / d every parameter."""
    rng = np.random.default_rng(3)
    model = nn.Sequential(
        nn.Linear(4, 5, rng=rng, dtype=F64), nn.BatchNorm(5, dtype=F64), nn.Tanh(),
        nn.Dropout(0.2, rng=rng), nn.Linear(5, 3, rng=rng, dtype=F64),
    )
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    dropout_state = model[3].rng.bit_generator.state

    def f():
        model[3].rng.bit_generator.state = dropout_state
        return loss(model.forward(x, training=True), y)[0]

    model[3].rng.bit_generator.state = dropout_state
    _, dlogits = loss(model.forward(x, training=True), y)
    model.backward(dlogits)
    analytic = {k: v.copy() for k, v in model.grads.items()}
    for key, param in model.params.items():
        numeric = gradcheck.numeric_gradient(f, param)
        # "0.bias" feeds BatchNorm: its gradient is exactly zero, hence the atol
        np.testing.assert_allclose(analytic[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)


# -- the checker can fail ------------------------------------------------------------------

class _ReLUIgnoringMask(nn.ReLU):
    def backward(self, grad):
        return np.array(grad)


class _LinearDoublingBiasGrad(nn.Linear):
    def backward(self, grad, need_input_grad=True):
        dx = super().backward(grad, need_input_grad)
        self._grads["bias"] *= 2.0
        return dx


class _BatchNormIgnoringBatchStats(nn.BatchNorm):
    def backward(self, grad):
        xhat, inv_std, _ = self._require_cache()
        return self._affine_backward(grad, xhat) * inv_std


class _DropoutIgnoringMask(nn.Dropout):
    def backward(self, grad):
        return np.array(grad)


def _by_wrt(results):
    return {r.name.rsplit(" · ", 1)[1]: r.passed for r in results}


def test_checker_catches_a_relu_backward_that_ignores_the_mask():
    x = np.random.default_rng(0).standard_normal((4, 5)) + 0.01
    assert gradcheck.check_layer(nn.ReLU(), x)[0].passed
    result = gradcheck.check_layer(_ReLUIgnoringMask(), x)[0]
    assert not result.passed
    assert result.max_rel_error > 0.1


def test_checker_pinpoints_a_wrong_bias_gradient():
    rng = np.random.default_rng(0)
    layer = _LinearDoublingBiasGrad(5, 3, rng=rng, dtype=F64)
    results = gradcheck.check_layer(layer, rng.standard_normal((4, 5)))
    assert _by_wrt(results) == {"input": True, "weight": True, "bias": False}


def test_checker_catches_a_batchnorm_backward_that_ignores_the_batch_statistics():
    rng = np.random.default_rng(0)
    layer = _BatchNormIgnoringBatchStats(3, dtype=F64)
    x = rng.normal(1.0, 2.0, (6, 3))
    assert _by_wrt(gradcheck.check_layer(layer, x, training=True)) == {
        "input": False, "weight": True, "bias": True}
    # at inference the shortcut is the right gradient
    _assert_all_pass(gradcheck.check_layer(layer, x, training=False))


def test_checker_catches_a_dropout_backward_that_ignores_the_mask():
    x = np.random.default_rng(0).standard_normal((6, 5))
    assert not gradcheck.check_layer(_DropoutIgnoringMask(0.5, rng=0), x, training=True)[0].passed
    assert gradcheck.check_layer(_DropoutIgnoringMask(0.5, rng=0), x, training=False)[0].passed


def test_checker_catches_a_broken_backward_inside_a_sequential():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng, dtype=F64), _ReLUIgnoringMask(),
                          nn.Linear(6, 2, rng=rng, dtype=F64))
    passed = _by_wrt(gradcheck.check_layer(model, rng.standard_normal((5, 4))))
    assert not passed["input"] and not passed["0.weight"]
    assert passed["2.weight"] and passed["2.bias"]  # after the broken layer: still right


def test_checker_catches_a_wrong_loss_gradient():
    def loss_with_unnormalised_grad(logits, target):
        value, grad = nn.CrossEntropyLoss()(logits, target)
        return value, grad * len(target)

    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    result = gradcheck.check_loss(loss_with_unnormalised_grad, logits, y, name="bad")
    assert not result.passed and result.name == "bad"


def test_checker_catches_a_penalty_gradient_that_disagrees_with_its_value():
    class L2WithoutTheHalf(penalties.L2):
        def _add_grad(self, param, grad, scale=1.0):
            grad += 2.0 * scale * self.strength * param

    params = {"w": np.random.default_rng(0).standard_normal((3, 2))}
    assert gradcheck.check_penalty(penalties.L2(0.5), params).passed
    assert not gradcheck.check_penalty(L2WithoutTheHalf(0.5), params).passed


def test_checker_catches_a_penalty_that_touches_parameters_it_does_not_count():
    class L1OnBiasesToo(penalties.L1):
        def __call__(self, params, grads=None, scale=1.0):
            value = super().__call__(params, grads, scale)
            if grads is not None:
                for name, param in params.items():
                    if param.ndim == 1:
                        grads[name] += self.strength * np.sign(param)
            return value

    params = {"w": np.ones((2, 2)), "b": np.ones(2)}
    assert not gradcheck.check_penalty(L1OnBiasesToo(0.1), params).passed


def test_non_finite_gradients_fail():
    assert np.isnan(gradcheck.relative_error([1.0, np.nan], [1.0, 1.0]))
    result = gradcheck._result("nan", np.array([np.nan]), np.array([1.0]), 1e-6, 1e-8)
    assert not result.passed


# -- the checker's own contract ------------------------------------------------------------

def test_relative_error_definition():
    assert gradcheck.relative_error([1.0, -2.0], [1.0, -2.0]) == 0.0
    # max |a - n| = 0.5, measured against max(|a|_inf, |n|_inf) = 4
    assert gradcheck.relative_error([4.0, 1.0], [4.0, 1.5]) == pytest.approx(0.125)
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.relative_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="different shapes"):
        gradcheck.relative_error(np.zeros(2), np.zeros(3))


def test_zero_gradient_with_rounding_noise_passes_on_the_absolute_criterion():
    # The bias of a Linear layer feeding BatchNorm has an exactly-zero gradient in training.
    result = gradcheck._result("zero", np.zeros(3), np.array([1e-10, -2e-10, 0.0]), 1e-6, 1e-8)
    assert result.max_rel_error == pytest.approx(1.0)
    assert result.passed


def test_numeric_gradient_restores_the_array():
    array = np.array([[0.1, 0.2], [0.3, 0.7]])
    before = array.copy()
    grad = gradcheck.numeric_gradient(lambda: float(np.sum(array**3)), array)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    assert np.array_equal(array, before)


def test_check_layer_refuses_float32_layers():
    with pytest.raises(ValueError, match="float64"):
        gradcheck.check_layer(nn.Linear(3, 2), np.ones((2, 3)))


def test_check_layer_has_no_side_effects():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 5, rng=rng, dtype=F64), nn.BatchNorm(5, dtype=F64),
                          nn.ReLU(), nn.Dropout(0.5, rng=rng), nn.Linear(5, 2, rng=rng, dtype=F64))
    x = rng.standard_normal((6, 4))
    state = model.state_dict()
    rng_state = model[3].rng.bit_generator.state
    x_before = x.copy()
    for training in (True, False):
        gradcheck.check_layer(model, x, training=training)
    for key, value in model.state_dict().items():
        assert np.array_equal(value, state[key]), key
    assert model[3].rng.bit_generator.state == rng_state
    assert np.array_equal(x, x_before)


def test_check_penalty_does_not_touch_the_given_params():
    params = {"w": np.array([[0.5, -1.0]])}
    gradcheck.check_penalty(penalties.L1(0.1), params)
    assert np.array_equal(params["w"], [[0.5, -1.0]])


# -- no layer, loss or penalty without a gradient check ------------------------------------

def _public_classes(module):
    return {getattr(module, name) for name in module.__all__
            if inspect.isclass(getattr(module, name))}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _uncovered_layers(extra=()):
    candidates = {cls for cls in _public_classes(nn) if issubclass(cls, nn.Module)}
    candidates |= {cls for cls in _subclasses(nn.Module)
                   if cls.__module__.startswith("fitwell.") and not cls.__name__.startswith("_")}
    candidates |= set(extra)
    return {cls.__name__ for cls in candidates - {nn.Module} - set(cases.LAYER_CASES)}


def test_every_layer_has_a_gradient_check():
    assert _uncovered_layers() == set()


def test_the_coverage_test_notices_a_new_layer():
    class Swish(nn.Module):  # a new public layer, not registered
        pass

    assert _uncovered_layers(extra=[Swish]) == {"Swish"}


def test_every_exported_class_of_nn_is_a_checked_layer_or_loss():
    exported = _public_classes(nn) - {nn.Module}
    assert exported - set(cases.LAYER_CASES) - set(cases.LOSS_CASES) == set()
    losses = {cls for cls in exported if cls.__name__.endswith("Loss")}
    assert losses <= set(cases.LOSS_CASES)


def test_every_penalty_has_a_gradient_check():
    exported = {cls for cls in _public_classes(optim) | _public_classes(penalties)
                if issubclass(cls, penalties.Penalty)}
    defined = {cls for cls in _subclasses(penalties.Penalty)
               if cls.__module__.startswith("fitwell.") and not cls.__name__.startswith("_")}
    uncovered = (exported | defined) - {penalties.Penalty} - set(cases.PENALTY_CASES)
    assert {cls.__name__ for cls in uncovered} == set()


@pytest.mark.parametrize("registry", [cases.LAYER_CASES, cases.LOSS_CASES,
                                      cases.PENALTY_CASES],
                         ids=["layers", "losses", "penalties"])
def test_each_registered_builder_checks_its_own_class(registry):
    rng = np.random.default_rng(0)
    for cls, build in registry.items():
        cases = build(rng)
        assert cases, cls
        for case in cases:
            assert type(case[1]) is cls, (cls, case[0])
