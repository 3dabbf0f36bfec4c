"""FitwellClassifier / FitwellRegressor as drop-in supersets of scikit-learn's MLPs.

Covers: pipelines and grid search, accuracy parity with MLPClassifier, fitted
attributes, multilabel / multi-output targets, labels and partial_fit, input and
parameter validation, reproducibility, sample and class weights, model files,
pickling and warm starts.
"""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier, FitwellRegressor, ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Small matrices: BLAS threads only add overhead, and pytest-xdist runs workers in parallel.
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_str(iris):
    X, y = iris
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_features=8, n_classes=4,
                                          random_state=0)
    return StandardScaler().fit_transform(X), Y


@pytest.fixture(scope="module")
def regression():
    X, Y = make_regression(n_samples=120, n_features=6, n_targets=3, noise=0.1, random_state=0)
    return X, Y / Y.std(axis=0)


def _small(cls, **params):
    """A small, fast network; all other settings at their defaults."""
    return cls(**{"hidden_layer_sizes": (16,), "max_iter": 30, "learning_rate_init": 0.01,
                  "random_state": 0, **params})


# -- scikit-learn composition --------------------------------------------------------------------

def test_pipeline_and_grid_search(iris_str):
    X, y = iris_str
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", FitwellClassifier(hidden_layer_sizes=(16,), max_iter=60,
                                               learning_rate_init=0.01,
                                               random_state=0))])
    grid = GridSearchCV(pipe, {"net__alpha": [1e-4, 1e-2], "net__dropout": [0.0, 0.1]},
                        n_jobs=2, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"net__alpha", "net__dropout"}
    assert grid.cv_results_["mean_test_score"].shape == (4,)
    assert grid.best_score_ > 0.8
    assert set(grid.predict(X)) <= set(np.unique(y))
    assert grid.predict_proba(X).shape == (len(X), 3)
    refit = grid.best_estimator_.named_steps["net"]
    assert refit.n_iter_ >= 1 and refit.classes_.tolist() == sorted(set(y))


# -- parity with MLPClassifier -------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("loader", [load_digits, load_breast_cancer, load_wine],
                         ids=["digits", "breast_cancer", "wine"])
def test_accuracy_matches_mlpclassifier(loader):
    """Identical settings (all defaults), 5 seeds: same split and seed for both.

    The seed-to-seed standard deviation of the test accuracy is ~0.5-1.5 points
    on these sets, so the standard error of a difference of two 5-seed means is
    ~0.4-1 point. We require Welch's |t| < 4 (two-sided p ~ 0.005 at ~8 degrees
    of freedom), i.e. no detectable difference, and the means within 2 points,
    an absolute bound that a real regression (a broken init, loss or update)
    would exceed.
    """
    X, y = loader(return_X_y=True)
    scores = {FitwellClassifier: [], MLPClassifier: []}
    for seed in range(5):
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=seed,
                                                  stratify=y)
        for cls in scores:
            model = Pipeline([("scale", StandardScaler()), ("net", cls(random_state=seed))])
            scores[cls].append(model.fit(X_tr, y_tr).score(X_te, y_te))
    ours, theirs = np.array(scores[FitwellClassifier]), np.array(scores[MLPClassifier])
    n = len(ours)
    # floor: one test sample's worth of accuracy, for when both spreads are ~0
    se = max(np.sqrt(ours.var(ddof=1) / n + theirs.var(ddof=1) / n), 1.0 / len(y_te))
    t = (ours.mean() - theirs.mean()) / se
    assert abs(t) < 4, (ours, theirs)
    assert abs(ours.mean() - theirs.mean()) < 0.02, (ours, theirs)
    assert ours.mean() > 0.9


# -- fitted attributes ---------------------------------------------------------------------------

def _targets(kind, iris, multilabel, regression):
    X, y = iris
    if kind == "multiclass":
        return X, y
    if kind == "binary":
        return X[y < 2], y[y < 2]
    if kind == "multilabel":
        return multilabel
    if kind == "regression-1d":
        return regression[0], regression[1][:, 0]
    return regression  # regression-2d


@pytest.mark.parametrize("kind, out_activation", [
    ("multiclass", "softmax"), ("binary", "logistic"), ("multilabel", "logistic"),
    ("regression-1d", "identity"), ("regression-2d", "identity"),
])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_fitted_attributes_match_mlp(kind, out_activation, solver, iris, multilabel,
                                     regression):
    X, y = _targets(kind, iris, multilabel, regression)
    is_reg = kind.startswith("regression")
    ours = _small(FitwellRegressor if is_reg else FitwellClassifier,
                  hidden_layer_sizes=(7, 5), solver=solver).fit(X, y)
    theirs = (MLPRegressor if is_reg else MLPClassifier)(
        hidden_layer_sizes=(7, 5), solver=solver, max_iter=30, random_state=0).fit(X, y)

    assert ours.out_activation_ == theirs.out_activation_ == out_activation
    for name in ("n_layers_", "n_outputs_", "n_features_in_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.n_layers_ == 4
    if kind == "binary":
        assert ours.n_outputs_ == 1
    for ours_list, theirs_list in ((ours.coefs_, theirs.coefs_),
                                   (ours.intercepts_, theirs.intercepts_)):
        assert isinstance(ours_list, list)
        assert [a.shape for a in ours_list] == [a.shape for a in theirs_list]
        assert all(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in ours_list)
    if not is_reg:
        assert_allclose(ours.classes_, theirs.classes_)
        assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape
    assert ours.predict(X).shape == theirs.predict(X).shape
    assert isinstance(ours.n_iter_, int) and 1 <= ours.n_iter_ <= 30
    assert isinstance(ours.loss_, float) and np.isfinite(ours.loss_)
    if solver == "lbfgs":  # as scikit-learn: no per-epoch curve for lbfgs
        assert ours.t_ == theirs.t_ == 0
        for name in ("loss_curve_", "best_loss_", "validation_scores_"):
            assert hasattr(ours, name) == hasattr(theirs, name), name
    else:
        assert len(ours.loss_curve_) == ours.n_iter_
        assert ours.t_ == ours.n_iter_ * len(X)
        assert ours.validation_scores_ is None and ours.best_validation_score_ is None
        assert ours.best_loss_ == min(ours.loss_curve_)


@pytest.mark.parametrize("cls", [FitwellClassifier, FitwellRegressor])
def test_early_stopping_attributes(cls, iris, regression):
    X, y = iris if cls is FitwellClassifier else (regression[0], regression[1][:, 0])
    model = _small(cls, early_stopping=True, max_iter=40, n_iter_no_change=3).fit(X, y)
    n_train = len(X) - int(np.ceil(0.1 * len(X)))
    assert model.best_loss_ is None
    assert isinstance(model.validation_scores_, list)
    assert len(model.validation_scores_) == len(model.loss_curve_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.t_ == model.n_iter_ * n_train
    mlp = (MLPClassifier if cls is FitwellClassifier else MLPRegressor)(
        hidden_layer_sizes=(16,), max_iter=40, early_stopping=True, n_iter_no_change=3,
        random_state=0).fit(X, y)
    assert mlp.best_loss_ is None and mlp.t_ == mlp.n_iter_ * n_train


# -- target types --------------------------------------------------------------------------------

def test_multilabel_classification(multilabel):
    X, Y = multilabel
    model = _small(FitwellClassifier, max_iter=200).fit(X, Y)
    assert model.predict(X).shape == Y.shape
    assert set(np.unique(model.predict(X))) <= {0, 1}
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba > 0) & (proba < 1))
    assert_allclose(model.predict(X), (proba > 0.5).astype(int))
    assert model.score(X, Y) > 0.3  # subset accuracy, well above chance (1/16)


def test_multioutput_regression(regression):
    X, Y = regression
    model = _small(FitwellRegressor, hidden_layer_sizes=(32,), max_iter=300).fit(X, Y)
    assert model.predict(X).shape == Y.shape
    assert model.n_outputs_ == 3
    assert model.score(X, Y) > 0.9


def test_column_vector_target_is_raveled_with_warning(regression):
    X, Y = regression
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        model = _small(FitwellRegressor).fit(X, Y[:, :1])
    assert model.predict(X).shape == (len(X),)  # as MLPRegressor


# -- labels and partial_fit ----------------------------------------------------------------------

def test_string_labels(iris_str):
    X, y = iris_str
    model = _small(FitwellClassifier, max_iter=100).fit(X, y)
    assert model.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert model.predict(X).dtype == y.dtype
    assert set(model.predict(X)) <= set(y)
    assert model.score(X, y) > 0.8


def test_partial_fit_over_several_calls(iris_str):
    X, y = iris_str
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    model = _small(FitwellClassifier)
    for i, chunk in enumerate(np.array_split(np.arange(len(X)), 5)):
        model.partial_fit(X[chunk], y[chunk], classes=np.unique(y) if i == 0 else None)
        assert model.n_iter_ == i + 1
    assert model.t_ == len(X)
    for _ in range(30):
        model.partial_fit(X, y)
    assert model.n_iter_ == 35
    assert model.score(X, y) > 0.8


def test_regressor_partial_fit(regression):
    X, Y = regression
    model = _small(FitwellRegressor)
    for i in range(3):
        model.partial_fit(X, Y[:, 0])
        assert model.n_iter_ == i + 1 and model.t_ == (i + 1) * len(X)
    assert model.predict(X).shape == (len(X),)
    with pytest.raises(ValueError, match="X has 5 features"):
        model.partial_fit(X[:, :5], Y[:, 0])


def test_partial_fit_classes_can_exceed_first_batch(iris):
    X, y = iris
    model = _small(FitwellClassifier).partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    model.partial_fit(X, y)
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.predict_proba(X).shape == (len(X), 3)


def test_partial_fit_unseen_label_raises(iris_str):
    X, y = iris_str
    model = _small(FitwellClassifier).partial_fit(X, y, classes=np.unique(y))
    y_new = y.copy()
    y_new[0] = "rose"
    with pytest.raises(ValueError, match="classes not in `self.classes_`.*rose"):
        model.partial_fit(X, y_new)


def test_partial_fit_needs_classes_first(iris):
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        _small(FitwellClassifier).partial_fit(*iris)


@pytest.mark.parametrize("cls", [FitwellClassifier, FitwellRegressor])
def test_partial_fit_unavailable_for_lbfgs(cls, iris):
    model = _small(cls, solver="lbfgs")
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as info:
        model.partial_fit(*iris)
    assert "only available for stochastic optimizers" in str(info.value.__cause__)


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
    ("one class", "at least 2 classes.*only class 0"),
    ("empty", "Found array with 0 sample"),
    ("no features", "Found array with 0 feature"),
    ("one sample", "n_samples=1"),
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
        "one class": (X, np.zeros_like(y)),
        "empty": (np.empty((0, 4)), np.empty(0)),
        "no features": (np.empty((len(y), 0)), y),
        "one sample": (X[:1], y[:1]),
        "continuous labels": (X, np.linspace(0, 1, len(y))),
        "length mismatch": (X, y[:-1]),
    }[case]
    with pytest.raises(ValueError, match=match):
        _small(FitwellClassifier).fit(*bad)


def test_regressor_rejects_nonfinite_targets(regression):
    X, Y = regression
    with pytest.raises(ValueError, match="Input y contains NaN"):
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
    with pytest.raises(ValueError, match="early_stopping.*cannot hold out every class.*"
                                         "smallest class has 1 samples"):
        _small(FitwellClassifier, early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="validation set would have 2 rows for 3 classes"):
        _small(FitwellClassifier, early_stopping=True, validation_fraction=0.01).fit(*iris)


@pytest.mark.parametrize("params, error, match", [
    (dict(alpha=-1), ValueError, "'alpha' parameter"),
    (dict(dropout=1.5), ValueError, "'dropout' parameter"),
    (dict(dropout=[0.5, 1.5]), ValueError, "dropout rate must be in \\[0, 1\\)"),
    (dict(solver="bogus"), ValueError, "'solver' parameter"),
    (dict(normalization="bogus"), ValueError, "'normalization' parameter"),
    (dict(learning_rate="bogus"), ValueError, "'learning_rate' parameter"),
    (dict(hidden_layer_sizes=(8, 0)), ValueError, "hidden_layer_sizes must be positive"),
    (dict(weight_decay=0.01, solver="adam"), ValueError, "weight_decay.*needs solver='adamw'"),
    (dict(weight_decay=0.01, solver="sgd"), ValueError, "weight_decay.*needs solver='adamw'"),
    (dict(dropout=0.2, solver="lbfgs"), ValueError, "dropout needs a stochastic solver"),
    (dict(augment="shift"), ValueError, "augmentation 'shift' works on images"),
    (dict(augment="noise", image_shape=(3, 3)), ValueError, "image_shape \\(3, 3\\) holds 9"),
    (dict(class_weight={0: 1.0, 7: 2.0}), ValueError, "class_weight names classes \\[7\\]"),
])
def test_invalid_hyper_parameters(params, error, match, iris):
    with pytest.raises(error, match=match):
        _small(FitwellClassifier, **params).fit(*iris)


def test_invalid_parameters_are_sklearn_param_errors(iris):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        FitwellRegressor(alpha=-1).fit(*iris)


# -- reproducibility -----------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {},
    dict(solver="lbfgs"),
    dict(dropout=0.2, normalization="batch", augment=["shift", "noise"], image_shape=(8, 8),
         learning_rate="cosine", warmup_epochs=2, early_stopping=True),
], ids=["default", "lbfgs", "dropout-batchnorm-augment"])
def test_same_random_state_is_bit_identical(params):
    X, y = load_digits(return_X_y=True)
    X, y = X[:400] / 16.0, y[:400]
    first, second, other = (_small(FitwellClassifier, random_state=seed, max_iter=10,
                                   **params).fit(X, y) for seed in (3, 3, 4))
    for a, b in zip(first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_,
                    strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_random_state_none_differs_between_fits(iris):
    a = _small(FitwellClassifier, random_state=None, max_iter=3).fit(*iris)
    b = _small(FitwellClassifier, random_state=None, max_iter=3).fit(*iris)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


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


# -- model files ---------------------------------------------------------------------------------

_ATTRIBUTES = ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_", "n_iter_", "t_",
               "loss_", "best_loss_", "loss_curve_", "validation_scores_",
               "best_validation_score_", "best_epoch_")


def _file_cases(iris_str, multilabel, regression):
    X, y = iris_str
    Xm, Ym = multilabel
    Xr, Yr = regression
    return {
        "string-labels": (_small(FitwellClassifier), X, y),
        "binary-strings": (_small(FitwellClassifier), X[:100], y[:100]),
        "multilabel": (_small(FitwellClassifier), Xm, Ym),
        "regressor-1d": (_small(FitwellRegressor), Xr, Yr[:, 0]),
        "regressor-2d": (_small(FitwellRegressor), Xr, Yr),
        "batchnorm": (_small(FitwellClassifier, normalization="batch", dropout=0.1), X, y),
        "early-stopping": (_small(FitwellClassifier, early_stopping=True), X, y),
        "lbfgs-float64": (_small(FitwellRegressor, solver="lbfgs", dtype="float64"), Xr, Yr),
    }


_FILE_CASES = ["string-labels", "binary-strings", "multilabel", "regressor-1d", "regressor-2d",
               "batchnorm", "early-stopping", "lbfgs-float64"]


def _assert_same_model(a, b, X):
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    assert np.array_equal(a.predict(X), b.predict(X))
    if hasattr(a, "predict_proba"):
        assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
        assert np.array_equal(a.classes_, b.classes_) and a.classes_.dtype == b.classes_.dtype
    for x, z in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert x.dtype == z.dtype and np.array_equal(x, z)
    for name, value in a.model_.buffers.items():
        assert np.array_equal(value, b.model_.buffers[name]), name
    for name in _ATTRIBUTES:
        assert hasattr(a, name) == hasattr(b, name), name
        if hasattr(a, name):
            assert getattr(a, name) == getattr(b, name), name
    history_a, history_b = a.history_.to_dict(), b.history_.to_dict()
    assert history_a.keys() == history_b.keys()
    for column, values in history_a.items():
        assert np.array_equal(values, history_b[column], equal_nan=True), column


@pytest.mark.parametrize("case", _FILE_CASES)
def test_save_load_roundtrip(case, tmp_path, iris_str, multilabel, regression):
    model, X, y = _file_cases(iris_str, multilabel, regression)[case]
    model.fit(X, y)
    path = tmp_path / "model.npz"
    fitwell.save(model, path)
    loaded = fitwell.load(path)
    _assert_same_model(model, loaded, X)
    with np.load(path, allow_pickle=False) as archive:  # plain arrays only: no pickles
        assert all(archive[name].dtype != object for name in archive.files)


def test_save_load_keeps_feature_names(tmp_path, iris):
    model = _small(FitwellClassifier, max_iter=5).fit(*iris)
    # what fitting on a DataFrame sets (no DataFrame library is a test dependency)
    model.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)
    fitwell.save(model, tmp_path / "m.npz")
    loaded = fitwell.load(tmp_path / "m.npz")
    assert loaded.feature_names_in_.dtype == object
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c", "d"]


@pytest.fixture
def saved(tmp_path, iris_str):
    path = tmp_path / "model.npz"
    fitwell.save(_small(FitwellClassifier, max_iter=5).fit(*iris_str), path)
    return path


def _rewrite(path, target, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(target, **arrays)
    return target


def _set_header(arrays, **fields):
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    header.update(fields)
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)


def test_truncated_file_refused(saved, tmp_path):
    raw = saved.read_bytes()
    for size in (0, 10, len(raw) // 2, len(raw) - 1):
        bad = tmp_path / f"truncated{size}.npz"
        bad.write_bytes(raw[:size])
        with pytest.raises(ModelFileError, match="not a readable fitwell model file"):
            fitwell.load(bad)


def test_corrupted_bytes_refused(saved, tmp_path):
    """Flipped bits anywhere either leave the model intact (zip metadata) or are refused."""
    raw = saved.read_bytes()
    reference = fitwell.load(saved).coefs_
    rng = np.random.default_rng(0)
    bad = tmp_path / "flipped.npz"
    for _ in range(60):
        data = bytearray(raw)
        data[rng.integers(len(data))] ^= 1 << rng.integers(8)
        bad.write_bytes(bytes(data))
        try:
            loaded = fitwell.load(bad)
        except ModelFileError:
            continue
        assert all(np.array_equal(a, b) for a, b in zip(loaded.coefs_, reference, strict=True))


def test_tampered_array_refused(saved, tmp_path):
    def change(arrays):
        arrays["state/0.weight"] = arrays["state/0.weight"] * 1.01

    bad = _rewrite(saved, tmp_path / "tampered.npz", change)
    with pytest.raises(ModelFileError, match="was modified: array 'state/0.weight' fails its "
                                             "checksum"):
        fitwell.load(bad)


def test_added_or_removed_array_refused(saved, tmp_path):
    def add(arrays):
        arrays["state/extra"] = np.zeros(3)

    def remove(arrays):
        del arrays["state/0.bias"]

    for change in (add, remove):
        bad = _rewrite(saved, tmp_path / f"{change.__name__}.npz", change)
        with pytest.raises(ModelFileError, match="arrays do not match its header"):
            fitwell.load(bad)


def test_wrong_format_version_refused(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "v99.npz", lambda arrays: _set_header(arrays,
                                                                            format_version=99))
    with pytest.raises(ModelFileError, match="format version 99.*reads version 1"):
        fitwell.load(bad)


def test_foreign_npz_and_other_files_refused(saved, tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones((3, 3)))
    with pytest.raises(ModelFileError, match="not a fitwell model \\(no header\\)"):
        fitwell.load(foreign)
    other_format = _rewrite(saved, tmp_path / "other.npz",
                            lambda arrays: _set_header(arrays, format="someone-else"))
    with pytest.raises(ModelFileError, match="is not a fitwell model file"):
        fitwell.load(other_format)
    text = tmp_path / "notes.npz"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="not a readable fitwell model file"):
        fitwell.load(text)
    with pytest.raises(ModelFileError, match="does not exist"):
        fitwell.load(tmp_path / "missing.npz")
    corrupt_header = tmp_path / "header.npz"
    with zipfile.ZipFile(corrupt_header, "w") as archive:
        archive.writestr("header.npy", b"garbage")
    with pytest.raises(ModelFileError, match="members \\['header'\\] are not .npy arrays"):
        fitwell.load(corrupt_header)
    not_json = _rewrite(saved, tmp_path / "not_json.npz", lambda arrays: arrays.update(
        header=np.frombuffer(b"\xff{not json", dtype=np.uint8)))
    with pytest.raises(ModelFileError, match="the model header is corrupt"):
        fitwell.load(not_json)


def test_save_refuses_unfitted_and_foreign_estimators(tmp_path):
    with pytest.raises(ModelFileError, match="not fitted"):
        fitwell.save(FitwellClassifier(), tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="save expects a FitwellClassifier"):
        fitwell.save(MLPClassifier(), tmp_path / "m.npz")


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


# -- pickling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_pickle_roundtrip_and_warm_start_again(dump, iris_str):
    X, y = iris_str
    model = _small(FitwellClassifier, warm_start=True, normalization="batch").fit(X, y)
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(model))
    else:
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    _assert_same_model(model, restored, X)
    n_iter, before = restored.n_iter_, restored.coefs_[0].copy()
    restored.fit(X, y)
    assert restored.n_iter_ > n_iter
    assert not np.array_equal(before, restored.coefs_[0])
    assert np.array_equal(model.coefs_[0], before)  # the original is untouched


def test_clone_is_unfitted(iris):
    model = _small(FitwellClassifier, max_iter=3).fit(*iris)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "model_")


# -- warm start ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [FitwellClassifier, FitwellRegressor])
def test_warm_start_continues_training(cls, iris, regression):
    X, y = iris if cls is FitwellClassifier else (regression[0], regression[1][:, 0])
    model = _small(cls, warm_start=True, max_iter=5)
    model.fit(X, y)
    first_coefs = [c.copy() for c in model.coefs_]
    curve = list(model.loss_curve_)
    model.fit(X, y)
    assert model.n_iter_ == 10
    assert model.t_ == 10 * len(X)
    assert len(model.loss_curve_) == 10 and model.loss_curve_[:5] == curve
    assert not np.array_equal(first_coefs[0], model.coefs_[0])
    # the continued run ends better than a fresh 5-epoch run
    assert model.loss_curve_[-1] < curve[-1]


def test_without_warm_start_refit_starts_over(iris):
    X, y = iris
    model = _small(FitwellClassifier, max_iter=5).fit(X, y)
    model.fit(X, y)
    fresh = _small(FitwellClassifier, max_iter=5).fit(X, y)
    assert model.n_iter_ == 5
    assert np.array_equal(model.coefs_[0], fresh.coefs_[0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_stopping_without_validation_follows_sklearn_rule_on_loss_curve():
    """Without early stopping, training stops exactly where scikit-learn's rule, applied to
    ``loss_curve_`` (the loss *including* the L2 penalty), says it should."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = FitwellClassifier(hidden_layer_sizes=(16,), alpha=1.0, tol=1e-3, n_iter_no_change=3,
                            max_iter=300, random_state=0).fit(X, y)
    best, count, stop = np.inf, 0, None
    for epoch, loss in enumerate(clf.loss_curve_, start=1):
        count = count + 1 if loss > best - clf.tol else 0
        best = min(best, loss)
        if count > clf.n_iter_no_change:
            stop = epoch
            break
    assert stop is not None and clf.n_iter_ == stop < 300
