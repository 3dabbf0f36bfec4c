"""The estimator's parameters: NumPy scalars train exactly as Python numbers, the rules
between parameters raise ParameterError, and the docstrings name every added parameter."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import ParameterError
from fitwell.estimator._params import check_weight_decay, plain_params

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)


def _fit(**params):
    model = FitwellClassifier(**{"hidden_layer_sizes": (8,), "max_iter": 4, "random_state": 0,
                                 **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X_IRIS, Y_IRIS)


def _same_fit(a, b):
    assert a.loss_ == b.loss_ and a.n_iter_ == b.n_iter_
    assert getattr(a, "loss_curve_", None) == getattr(b, "loss_curve_", None)
    for x, z in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert np.array_equal(x, z)
    assert np.array_equal(a.predict_proba(X_IRIS), b.predict_proba(X_IRIS))


@settings(max_examples=10, deadline=None)
@given(alpha=st.sampled_from([0.0, 1e-3, 0.5, 1.0]),
       dropout=st.sampled_from([0.0, 0.1, 0.25, 0.5]),
       lr=st.sampled_from([1e-3, 0.01, 0.05]),
       smoothing=st.sampled_from([0.0, 0.1, 0.2]),
       max_iter=st.integers(1, 4),
       scalar=st.sampled_from([np.float32, np.float64]),
       integer=st.sampled_from([np.int32, np.int64, np.uint8]))
def test_numpy_scalars_train_as_python_numbers(alpha, dropout, lr, smoothing, max_iter, scalar,
                                               integer):
    # every value passed as a NumPy scalar is compared with the Python number it holds
    as_numpy = dict(alpha=scalar(alpha), dropout=scalar(dropout), learning_rate_init=scalar(lr),
                    label_smoothing=scalar(smoothing), l1=scalar(alpha / 10),
                    hidden_layer_sizes=(integer(8),), max_iter=integer(max_iter),
                    n_iter_no_change=integer(3), batch_size=integer(32), clip_grad_norm=scalar(1.0),
                    solver="adamw", weight_decay=scalar(alpha))
    as_python = {name: value.item() if isinstance(value, np.generic)
                 else (int(value[0]),) if name == "hidden_layer_sizes" else value
                 for name, value in as_numpy.items()}
    numpy_model = FitwellClassifier(random_state=0, **as_numpy)
    python_model = FitwellClassifier(random_state=0, **as_python)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        numpy_model.fit(X_IRIS, Y_IRIS)
        python_model.fit(X_IRIS, Y_IRIS)
    _same_fit(numpy_model, python_model)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_numpy_scalars_with_the_other_solvers(solver):
    _same_fit(_fit(solver=solver, alpha=np.int64(1), tol=np.float32(1e-4), momentum=np.float64(0.5),
                   max_fun=np.int64(100)),
              _fit(solver=solver, alpha=1, tol=float(np.float32(1e-4)), momentum=0.5,
                   max_fun=100))


def test_plain_params_turns_numpy_scalars_into_python_numbers():
    model = FitwellRegressor(alpha=np.float32(0.5), max_iter=np.int32(5), shuffle=np.bool_(False),
                             hidden_layer_sizes=[np.int64(4), 3], dropout=(np.float16(0.5),))
    params = plain_params(model)
    assert type(params.alpha) is float and params.alpha == 0.5
    assert type(params.max_iter) is int and type(params.shuffle) is bool
    assert params.hidden_layer_sizes == [4, 3] and type(params.hidden_layer_sizes[0]) is int
    assert params.dropout == (0.5,) and type(params.dropout[0]) is float
    assert model.alpha.dtype == np.float32  # the estimator's own parameters are untouched


@pytest.mark.parametrize("solver", ["sgd", "nesterov", "adam"])
def test_weight_decay_is_refused_without_adamw(solver):
    with pytest.raises(ParameterError, match="weight_decay .*needs solver='adamw'"):
        check_weight_decay(0.01, solver)
    with pytest.raises(ParameterError, match="needs solver='adamw'"):
        _fit(solver=solver, weight_decay=0.01)
    check_weight_decay(0.0, solver)
    check_weight_decay(0.01, "adamw")


@pytest.mark.parametrize("params, match", [
    (dict(solver="lbfgs", dropout=0.2), "dropout needs a stochastic solver"),
    (dict(solver="lbfgs", augment="noise"), "augment needs a stochastic solver"),
    (dict(dropout=[0.1, 1.0]), r"every dropout rate must be in \[0, 1\)"),
    (dict(dropout=[0.1, 0.2]), "dropout has 2 rates but there are 1 hidden layers"),
    (dict(image_shape=(3, 3)), "image_shape .* holds 9 values but X has 4 features"),
    (dict(hidden_layer_sizes=(8, 0)), "hidden_layer_sizes"),
])
def test_combination_errors_are_parameter_errors(params, match):
    with pytest.raises(ParameterError, match=match):
        _fit(**params)


@pytest.mark.parametrize("cls, reference", [(FitwellClassifier, MLPClassifier),
                                            (FitwellRegressor, MLPRegressor)])
def test_the_docstring_names_every_added_parameter(cls, reference):
    added = set(inspect.signature(cls).parameters) - set(inspect.signature(reference).parameters)
    assert added
    for name in added:
        assert f"\n    {name} : " in cls.__doc__, name
