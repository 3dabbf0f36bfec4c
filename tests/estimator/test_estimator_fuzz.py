"""Property test of the public estimator API against garbage.

Random garbage for ``X``, ``y``, ``sample_weight``, ``validation_data`` and each
hyper-parameter: every call either succeeds with finite outputs or raises
``ValueError`` / ``TypeError`` with a message — never another exception type, a
hang or a crash; and after a failed call a previously fitted estimator predicts
exactly (bit for bit) as before.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.training import Callback

_SPECIAL = [math.nan, math.inf, -math.inf, 1e300, -1e300, 1e38, 0.0, -0.0, 1e-310]

_GENERIC = [None, -1, 0, 1, 2, 3, 0.5, -0.5, 1.5, 1e300, math.nan, math.inf, -math.inf, True,
            False, "", "bogus", "auto", [], [0], [1, 2], (3,), {}, {"a": 1}, np.int64(2),
            np.float32(0.1), np.float64(math.nan), np.array([1, 2]), object(), 2**40,
            "float16", np.float16, 1 + 1j, b"x"]


class _Recorder(Callback):
    """A well-behaved user callback."""

    def on_epoch_end(self, trainer, logs):
        self.last = logs


class _Raising(Callback):
    """A user callback that fails in the middle of training."""

    def on_epoch_end(self, trainer, logs):
        raise ValueError("callback failed on purpose")


# Values worth trying beyond the generic garbage, per hyper-parameter (valid ones too, so
# that combinations are reached). Large valid iteration counts are left out: they are
# slow, not wrong.
_SPECIFIC = {
    "hidden_layer_sizes": [(3,), (2, 2), 4, (0,), (-1,), (2**40,), (1.5,), ("a",), (), [2, 3],
                           np.array([3]), (True,)],
    "activation": ["identity", "logistic", "tanh", "relu", "leaky_relu", "gelu", "RELU"],
    "solver": ["lbfgs", "sgd", "adam", "adamw", "nesterov", "Adam"],
    "alpha": [0.0, 1e-4, 10.0, -1.0, 1e300],
    "batch_size": ["auto", "full", 1, 2, 2**40, 0],
    "learning_rate": ["constant", "invscaling", "adaptive", "step", "exponential", "cosine",
                      "onecycle", "plateau"],
    "learning_rate_init": [1e-3, 0.1, 1e6, 1e300, 0.0, -1.0],
    "power_t": [0.5, 0.0, -1.0, 1e300],
    "max_iter": [1, 2, 3, 0, -1, 2.0],
    "shuffle": [True, False, np.bool_(True)],
    "random_state": [0, 1, 2**32, -1, np.random.RandomState(0), np.random.default_rng(0)],
    "tol": [0.0, 1e-4, -1.0, 1e300],
    "verbose": [False, 0],
    "warm_start": [True, False],
    "momentum": [0.0, 0.9, 1.0, 1.5],
    "nesterovs_momentum": [True, False],
    "early_stopping": [True, False],
    "validation_fraction": [0.1, 0.5, 0.9, 1.0, 0.0],
    "beta_1": [0.9, 0.0, 1.0],
    "beta_2": [0.999, 0.0, 1.0],
    "epsilon": [1e-8, 0.0, 1e300],
    "n_iter_no_change": [1, 10, np.inf, 0, 2**40],
    "max_fun": [1, 10, 0],
    "dropout": [0.0, 0.2, 0.99, 1.0, [0.1], [0.1, 0.2], [-0.1], ["a"], [math.nan]],
    "normalization": ["batch", "layer", "group", None, "instance"],
    "num_groups": [1, 2, 8, 0, 2**40],
    "l1": [0.0, 1e-3, -1.0],
    "weight_decay": [0.0, 0.01, -1.0],
    "warmup_epochs": [0, 1, 5, -1, 2**40],
    "schedule_kwargs": [None, {}, {"t_max": 0}, {"gamma": -1.0}, {"bogus": 1}, {"t_max": "a"},
                        {"step_size": 0}, {"factor": 2.0}, {"gamma": math.nan}],
    "clip_grad_norm": [None, 1.0, 0.0, -1.0, math.nan],
    "augment": [None, "shift", "noise", "mixup", "flip", "rotation", "bogus", ["noise"],
                [("noise", {"std": -1})], [("noise", {"bogus": 1})], 3],
    "image_shape": [None, (2, 2), (1, 4), (4, 1), (0,), (-2, -2), ("a",)],
    "restore_best_weights": [True, False],
    "monitor": ["val_score", "val_loss", "train_loss"],
    "init": ["glorot_sklearn", "he", "xavier", "lecun", "zeros"],
    "dtype": ["float32", "float64", np.float64, np.dtype("float32"), "float16", "int32",
              np.int8],
    "callbacks": [None, [], ["bogus"], [_Recorder()], [_Raising()], [object()], (_Recorder,),
                  [None]],
    "class_weight": [None, "balanced", {0: -1}, {0: 2.0}, {0: math.nan}, {0: math.inf},
                     {"x": 1}, {0: "a"}, {0: 0.0, 1: 0.0, 2: 0.0}, "unbalanced"],
    "label_smoothing": [0.0, 0.1, 0.99, 1.0, -0.1],
}

_REGRESSOR_PARAMS = [name for name in _SPECIFIC if name not in ("class_weight",
                                                                  "label_smoothing")]
_UNBOUNDED_COUNTS = ("max_iter",)  # a huge valid value would only be slow

def _weighted(*choices):
    """One of the strategies, each drawn with its weight: ``(weight, strategy)`` pairs
    (``one_of`` alone would not let valid input dominate)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


_finite = st.floats(-10, 10, allow_nan=False, width=32)
_element = _weighted((9, _finite), (1, st.sampled_from(_SPECIAL)))


def _matrices(min_rows=0):
    shapes = st.tuples(st.integers(min_rows, 8), st.integers(0, 4))
    return shapes.flatmap(lambda s: st.lists(_element, min_size=s[0] * s[1],
                                             max_size=s[0] * s[1])
                          .map(lambda v, s=s: np.array(v, dtype=np.float64).reshape(s)))


def _as_float32(array):
    with np.errstate(over="ignore"):  # 1e300 becomes inf: garbage too
        return array.astype(np.float32)


_X = st.one_of(
    _matrices(), _matrices(), _matrices(),
    _matrices().map(lambda a: _as_float32(a)),
    _matrices().map(lambda a: a.astype(object)),
    _matrices().map(lambda a: a.T.tolist()),
    st.lists(st.lists(_finite, max_size=3), max_size=5),  # ragged
    st.lists(_finite, max_size=6).map(np.array),  # 1-D
    st.sampled_from([None, 3.0, "X", np.zeros((2, 2, 2)), np.array([["a", "b"], ["c", "d"]]),
                     np.array([[1 + 1j, 2], [3, 4]]), np.array([[True, False], [False, True]]),
                     np.array([[2**62, 1], [3, 4]]), np.empty((0, 3)), np.empty((3, 0))]),
)

_label = st.one_of(st.integers(0, 2), st.integers(0, 2), st.sampled_from(
    ["a", "b", 1.5, math.nan, None, True, -1, 2**70, math.inf]))

_Y = st.one_of(
    st.lists(st.integers(0, 2), max_size=9).map(np.array),
    st.lists(st.integers(0, 2), max_size=9),
    st.lists(_label, max_size=9),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=9).map(np.array),
    st.lists(_element, max_size=9).map(np.array),
    st.integers(0, 8).flatmap(lambda n: st.lists(st.integers(0, 1), min_size=2 * n,
                                                 max_size=2 * n).map(
        lambda v, n=n: np.array(v).reshape(n, 2))),
    st.sampled_from([None, 3, "y", np.zeros((2, 2, 2)), np.array([[0.5, 1.0]])]),
)

_WEIGHTS = st.one_of(
    st.none(), st.none(),
    st.lists(st.one_of(st.floats(0, 3, width=32), st.sampled_from([-1.0, 0.0, math.nan,
                                                                    math.inf, 1e300])),
             max_size=9).map(np.array),
    st.sampled_from([3.0, -1.0, "w", [None], np.array([[1.0, 2.0]])]),
)


def _param_values(name):
    generic = [v for v in _GENERIC if not (name in _UNBOUNDED_COUNTS and isinstance(v, int)
                                           and v > 3)]
    # Mostly the specific (often valid) values, so that calls get past the parameter checks.
    specific = st.sampled_from(_SPECIFIC[name])
    return _weighted((3, specific), (1, st.sampled_from(generic)))


def _params(names):
    return st.lists(st.sampled_from(names), max_size=2, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({n: _param_values(n) for n in chosen}))


def _base_params(extra):
    """Small and fast unless the garbage says otherwise."""
    params = {"hidden_layer_sizes": (3,), "max_iter": 2, "random_state": 0, **extra}
    return params


def _good_data(regressor):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = X @ [1.0, -1.0, 0.5] if regressor else np.arange(12) % 3
    return X, y


@functools.cache
def _fitted(regressor, solver):
    cls = FitwellRegressor if regressor else FitwellClassifier
    est = cls(hidden_layer_sizes=(3,), max_iter=3, random_state=0, solver=solver,
              normalization="batch" if solver != "lbfgs" else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*_good_data(regressor))


def _outputs(est, X):
    """What a fitted estimator answers for ``X``, as arrays."""
    if hasattr(est, "predict_proba"):
        return [est.predict_proba(X), est.predict(X)]
    return [est.predict(X)]


def _bad_outputs(est, X):
    """A reason why a successful fit's predictions on ``X`` are wrong, or None."""
    try:
        outputs = _outputs(est, X)
    except (ValueError, TypeError) as exc:  # e.g. X refused at predict time
        return None if str(exc) else f"empty message from {type(exc).__name__}"
    if not np.all(np.isfinite(outputs[0])):
        return "non-finite predictions after a successful fit"
    if hasattr(est, "predict_proba") and outputs[0].ndim == 2 and \
            getattr(est, "out_activation_", "") == "softmax" and \
            not np.allclose(outputs[0].sum(axis=1), 1.0):
        return "probabilities do not sum to 1"
    return None


def _call(est, method, X, y, sample_weight, validation_data, classes):
    if method == "fit":
        kwargs = {} if validation_data is None else {"validation_data": validation_data}
        return est.fit(X, y, sample_weight=sample_weight, **kwargs)
    kwargs = {"classes": classes} if isinstance(est, FitwellClassifier) else {}
    return est.partial_fit(X, y, sample_weight=sample_weight, **kwargs)


def problems(regressor, params, method, X, y, sample_weight, validation_data, prefit_solver):
    """Run one garbage call; return what went wrong (``None`` when all is well)."""
    cls = FitwellRegressor if regressor else FitwellClassifier
    if prefit_solver is None:
        est = cls(**_base_params(params))
        before = None
    else:
        est = copy.deepcopy(_fitted(regressor, prefit_solver))
        X_ref = _good_data(regressor)[0]
        before = _outputs(est, X_ref)
        est.set_params(**params)
    if method == "partial_fit" and not hasattr(est, "partial_fit"):
        return None  # no partial_fit for lbfgs, as in scikit-learn
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _call(est, method, X, y, sample_weight, validation_data, classes=[0, 1, 2])
    except (ValueError, TypeError) as exc:
        if not str(exc).strip():
            return f"{type(exc).__name__} without a message"
        if before is not None:
            try:
                after = _outputs(est, X_ref)
            except Exception as later:  # noqa: BLE001
                return (f"after a failed call ({type(exc).__name__}: {exc}) predict raises "
                        f"{type(later).__name__}: {later}")
            if not all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
                return f"a failed call ({type(exc).__name__}: {exc}) changed the fitted model"
        return None
    except Exception as exc:  # noqa: BLE001 - the property is about exception types
        return f"{type(exc).__name__}: {exc}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _bad_outputs(est, X)


def _coherent(n):
    """Data of matching lengths, so that the garbage reaches past the shape checks."""
    good_x = st.lists(_finite, min_size=3 * n, max_size=3 * n).map(
        lambda v: np.array(v, dtype=np.float64).reshape(n, 3))
    odd_x = st.lists(_element, min_size=3 * n, max_size=3 * n).map(
        lambda v: np.array(v, dtype=np.float64).reshape(n, 3))
    labels = _weighted(
        (6, st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        (1, st.lists(st.sampled_from([0, 1, 2, 2.5, "a", -1.0]), min_size=n, max_size=n)),
        (1, st.lists(_element, min_size=n, max_size=n))).map(np.array)
    weights = _weighted((3, st.none()), (1, st.lists(
        _weighted((5, st.floats(0, 3, width=32)), (1, st.sampled_from([-1.0, 0.0, math.nan,
                                                                        1e300]))),
        min_size=n, max_size=n).map(np.array)))
    return st.tuples(_weighted((4, good_x), (1, odd_x)), labels, weights)


_DATA = _weighted((1, st.tuples(_X, _Y, _WEIGHTS)), (4, st.integers(2, 12).flatmap(_coherent)))

_CALLS = dict(
    method=st.sampled_from(["fit", "fit", "partial_fit"]),
    data=_DATA,
    validation_data=_weighted((6, st.none()), (1, st.tuples(_X)), (1, st.tuples(_X, _Y)),
                              (1, st.sampled_from(["data", (None, None)]))),
    prefit_solver=st.sampled_from([None, None, "adam", "sgd", "lbfgs"]),
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


_SETTINGS = settings(max_examples=150, deadline=3000, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_SETTINGS
@given(params=_params(list(_SPECIFIC)), **_CALLS)
def test_classifier_garbage_is_refused_clearly(params, method, data, validation_data,
                                               prefit_solver):
    assert problems(False, params, method, *data, validation_data, prefit_solver) is None


@_SETTINGS
@given(params=_params(_REGRESSOR_PARAMS), **_CALLS)
def test_regressor_garbage_is_refused_clearly(params, method, data, validation_data,
                                              prefit_solver):
    assert problems(True, params, method, *data, validation_data, prefit_solver) is None
