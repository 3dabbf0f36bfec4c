"""FitwellClassifier / FitwellRegressor as drop-in supersets of scikit-learn's MLPs.

Covers: pipelines and grid search, accuracy parity with MLPClassifier, fitted
attributes, multilabel / multi-output targets, labels and partial_fit,
reproducibility, pickling and warm starts.
"""

from __future__ import annotations

import io
import pickle

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_wine,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fitwell import FitwellClassifier, FitwellRegressor

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


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
        # scikit-learn's n_iter_ counts the epochs of the last call; history_ all of them
        assert model.n_iter_ == 1 and len(model.history_) == i + 1
    assert model.t_ == len(X)
    for _ in range(30):
        model.partial_fit(X, y)
    assert model.n_iter_ == 1 and len(model.history_) == 35
    assert model.score(X, y) > 0.8


def test_regressor_partial_fit(regression):
    X, Y = regression
    model = _small(FitwellRegressor)
    for i in range(3):
        model.partial_fit(X, Y[:, 0])
        assert model.n_iter_ == 1 and model.t_ == (i + 1) * len(X)
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


# -- pickling ------------------------------------------------------------------------------------

def _assert_same_model(a, b, X):
    """Same parameters, predictions, weights, buffers, curves and history."""
    assert a.get_params() == b.get_params()
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    for x, z in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert x.dtype == z.dtype and np.array_equal(x, z)
    for name, value in a.model_.buffers.items():
        assert np.array_equal(value, b.model_.buffers[name]), name
    for name in ("n_iter_", "t_", "loss_", "loss_curve_", "best_loss_", "best_epoch_"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.history_.to_dict().keys() == b.history_.to_dict().keys()
    assert np.array_equal(a.history_["train_loss"], b.history_["train_loss"])


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
    epochs, before = len(restored.history_), restored.coefs_[0].copy()
    restored.fit(X, y)
    assert len(restored.history_) > epochs
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
    # scikit-learn's n_iter_: the epochs of this call; history_ holds both calls
    assert model.n_iter_ == 5 and len(model.history_) == 10
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


# -- scikit-learn's rules for continuing and stopping ------------------------------------------

def test_partial_fit_refuses_early_stopping_and_other_classes(iris):
    X, y = iris
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        _small(FitwellClassifier, early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    model = _small(FitwellClassifier).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        model.partial_fit(X, y, classes=[0, 1, 3])


def test_warm_start_needs_the_same_classes(iris):
    X, y = iris
    model = _small(FitwellClassifier, warm_start=True, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same "
                                         "classes"):
        model.fit(X[y < 2], y[y < 2])


def test_a_validation_set_of_one_row_is_refused(regression):
    X, Y = regression
    with pytest.raises(ValueError, match="The validation set is too small"):
        _small(FitwellRegressor, early_stopping=True).fit(X[:5], Y[:5, 0])


def test_no_improvement_count_and_learning_rate_as_scikit_learn_reports_them(iris):
    X, y = iris
    model = _small(FitwellClassifier, solver="sgd", tol=10.0, n_iter_no_change=3, max_iter=50)
    model.fit(X, y)
    assert model.n_iter_ == 5 and model._no_improvement_count == 3 + 1
    model = _small(FitwellClassifier, solver="sgd", learning_rate="invscaling", power_t=0.5,
                   learning_rate_init=0.2, max_iter=2).fit(X, y)
    assert model._optimizer.learning_rate == 0.2 / (2 * len(X) + 1) ** 0.5
