"""What the estimators refuse (inputs, targets, hyper-parameters) and how sample and
class weights act."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import (
    load_breast_cancer,
)
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import DataError, ParameterError

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


def _small(cls, **params):
    """A small, fast network; all other settings at their defaults."""
    return cls(**{"hidden_layer_sizes": (16,), "max_iter": 30, "learning_rate_init": 0.01,
                  "random_state": 0, **params})


# -- input validation ----------------------------------------------------------------------------

def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


@pytest.mark.parametrize("case, match", [
    ("nan", "Input X contains NaN"),
    ("inf", "Input X contains infinity"),
    ("1d", "Expected 2D array, got 1D array"),
    ("3d", "Found array with dim 3"),
    ("empty", "Found array with 0 sample"),
    ("no features", "Found array with 0 feature"),
    ("continuous labels", "Unknown label type"),
    ("length mismatch", "inconsistent numbers of samples"),
])
def test_bad_fit_input_raises_clear_error(case, match, iris):
    X, y = iris
    bad = {
        "nan": (_with(X, (3, 1), np.nan), y),
        "inf": (_with(X, (3, 1), np.inf), y),
        "1d": (X[:, 0], y),
        "3d": (X[:, :, None], y),
        "empty": (np.empty((0, 4)), np.empty(0)),
        "no features": (np.empty((len(y), 0)), y),
        "continuous labels": (X, np.linspace(0, 1, len(y))),
        "length mismatch": (X, y[:-1]),
    }[case]
    # scikit-learn's checks raise ValueError; the estimator's own are DataErrors
    error = DataError if case == "continuous labels" else ValueError
    with pytest.raises(error, match=match):
        _small(FitwellClassifier).fit(*bad)


def test_one_class_and_one_sample_fit_as_in_scikit_learn(iris):
    X, y = iris
    model = _small(FitwellClassifier).fit(X, np.full_like(y, 7))
    assert model.classes_.tolist() == [7]
    assert (model.predict(X) == 7).all()
    _small(FitwellClassifier).fit(X[:1], y[:1])
    with pytest.raises(DataError, match="normalization='batch' needs at least 2 samples"):
        _small(FitwellClassifier, normalization="batch").fit(X[:1], y[:1])


def test_regressor_rejects_nonfinite_targets(regression):
    X, Y = regression
    with pytest.raises(ValueError, match="Input y contains NaN"):  # scikit-learn's check
        _small(FitwellRegressor).fit(X, _with(Y[:, 0], 2, np.nan))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_feature_count_change_at_predict(method, iris):
    X, y = iris
    model = _small(FitwellClassifier, max_iter=5).fit(X, y)
    args = (X[:, :3], y) if method == "score" else (X[:, :3],)
    with pytest.raises(ValueError, match="X has 3 features, but FitwellClassifier is expecting 4"):
        getattr(model, method)(*args)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict(_with(X, (0, 0), np.nan))


def test_predict_before_fit_raises(iris):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        FitwellClassifier().predict(iris[0])


def test_early_stopping_split_cannot_hold_out_a_class(iris):
    X, y = iris
    y = y.copy()
    y[0] = 3  # a fourth class with a single sample
    with pytest.raises(DataError, match="early_stopping.*cannot hold out every class.*"
                                        "smallest class has 1 samples"):
        _small(FitwellClassifier, early_stopping=True).fit(X, y)
    with pytest.raises(DataError, match="validation set would have 2 rows for 3 classes"):
        _small(FitwellClassifier, early_stopping=True, validation_fraction=0.01).fit(*iris)


@pytest.mark.parametrize("params, error, match", [
    (dict(alpha=-1), ValueError, "'alpha' parameter"),
    (dict(dropout=1.5), ValueError, "'dropout' parameter"),
    (dict(dropout=[0.5, 1.5]), ParameterError, "dropout rate must be in \\[0, 1\\)"),
    (dict(solver="bogus"), ValueError, "'solver' parameter"),
    (dict(normalization="bogus"), ValueError, "'normalization' parameter"),
    (dict(learning_rate="bogus"), ValueError, "'learning_rate' parameter"),
    (dict(hidden_layer_sizes=(8, 0)), ParameterError, "hidden_layer_sizes must be positive"),
    (dict(weight_decay=0.01, solver="adam"), ParameterError, "weight_decay.*needs solver='adamw'"),
    (dict(weight_decay=0.01, solver="sgd"), ParameterError, "weight_decay.*needs solver='adamw'"),
    (dict(dropout=0.2, solver="lbfgs"), ParameterError, "dropout needs a stochastic solver"),
    (dict(augment="shift"), ValueError, "augmentation 'shift' works on images"),
    (dict(augment="noise", image_shape=(3, 3)), ParameterError, "image_shape \\(3, 3\\) holds 9"),
    (dict(class_weight={0: 1.0, 7: 2.0}), ParameterError, "class_weight names classes \\[7\\]"),
])
def test_invalid_hyper_parameters(params, error, match, iris):
    with pytest.raises(error, match=match):
        _small(FitwellClassifier, **params).fit(*iris)


def test_invalid_parameters_are_sklearn_param_errors(iris):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        FitwellRegressor(alpha=-1).fit(*iris)


# -- sample and class weights --------------------------------------------------------------------

@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sample_weight_changes_fit(solver, iris):
    X, y = iris
    w = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    plain = _small(FitwellClassifier, solver=solver).fit(X, y)
    weighted = _small(FitwellClassifier, solver=solver).fit(X, y, sample_weight=w)
    assert not np.allclose(plain.predict_proba(X), weighted.predict_proba(X))
    assert not np.array_equal(plain.coefs_[0], weighted.coefs_[0])


def test_sample_weight_is_not_modified(iris):
    w = np.ones(len(iris[1]))
    w[:10] = 0.0
    w_copy = w.copy()
    _small(FitwellClassifier, max_iter=3).fit(*iris, sample_weight=w)
    assert np.array_equal(w, w_copy)


@pytest.mark.parametrize("params", [
    dict(solver="lbfgs"), {}, dict(batch_size=16), dict(normalization="batch", dropout=0.2),
    dict(early_stopping=True),
], ids=["lbfgs", "adam-full-batch", "adam-mini-batch", "batchnorm-dropout", "early-stopping"])
def test_zero_weight_equals_dropping_the_sample(params, iris):
    """Zero-weight rows are removed before training, so this is exact for every solver."""
    X, y = iris
    rng = np.random.default_rng(1)
    keep = rng.random(len(y)) > 0.25
    w = rng.uniform(0.5, 2.0, len(y)) * keep
    weighted = _small(FitwellClassifier, **params).fit(X, y, sample_weight=w)
    dropped = _small(FitwellClassifier, **params).fit(X[keep], y[keep], sample_weight=w[keep])
    assert np.array_equal(weighted.predict_proba(X), dropped.predict_proba(X))
    assert weighted.n_iter_ == dropped.n_iter_ and weighted.t_ == dropped.t_


@pytest.mark.parametrize("params", [dict(solver="lbfgs"), dict(batch_size="full")],
                         ids=["lbfgs", "adam-full-batch"])
def test_integer_weight_equals_repeating_the_sample(params, iris):
    """Exact in full-batch float64 training up to rounding (not for mini-batches,
    whose composition changes when rows are repeated)."""
    X, y = iris
    w = np.random.default_rng(2).integers(1, 4, len(y))
    weighted = _small(FitwellClassifier, dtype="float64", **params).fit(X, y, sample_weight=w)
    repeated = _small(FitwellClassifier, dtype="float64", **params).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("weights, match", [
    (np.zeros(150), "at least one non-zero"),
    (np.r_[-1.0, np.ones(149)], "Negative values in data passed to `sample_weight`"),
    (np.ones(10), "sample_weight.shape == \\(10,\\), expected \\(150,\\)"),
])
def test_bad_sample_weight(weights, match, iris):
    with pytest.raises(ValueError, match=match):
        _small(FitwellClassifier).fit(*iris, sample_weight=weights)


def test_class_weight_balanced():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(0)
    minority = np.flatnonzero(y == 0)[:30]  # 30 malignant against 357 benign
    rows = np.r_[minority, np.flatnonzero(y == 1)]
    X, y = X[rows], y[rows]
    plain = _small(FitwellClassifier, max_iter=40).fit(X, y)
    balanced = _small(FitwellClassifier, max_iter=40, class_weight="balanced").fit(X, y)
    assert not np.allclose(plain.predict_proba(X), balanced.predict_proba(X))
    # the minority class gains probability mass when it is weighted up
    assert balanced.predict_proba(X)[y == 0, 0].mean() > plain.predict_proba(X)[y == 0, 0].mean()
    # "balanced" is exactly scikit-learn's balanced sample weights
    manual = _small(FitwellClassifier, max_iter=40).fit(
        X, y, sample_weight=compute_sample_weight("balanced", y))
    assert np.array_equal(balanced.predict_proba(X), manual.predict_proba(X))
    # and it multiplies given sample weights
    w = rng.uniform(0.5, 2.0, len(y))
    both = _small(FitwellClassifier, max_iter=40, class_weight="balanced").fit(
        X, y, sample_weight=w)
    manual = _small(FitwellClassifier, max_iter=40).fit(
        X, y, sample_weight=w * compute_sample_weight("balanced", y))
    assert np.array_equal(both.predict_proba(X), manual.predict_proba(X))
