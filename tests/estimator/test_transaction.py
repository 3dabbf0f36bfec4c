"""A fit, refit, warm start or partial_fit that fails leaves the estimator exactly as it
was; one interrupted during training ends as a consistent new model."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import DataError, ParameterError
from fitwell.training import Callback

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


class FailAt(Callback):
    """Raise ``error`` at the end of epoch ``epoch`` (a user callback gone wrong)."""

    def __init__(self, epoch, error):
        self.epoch, self.error = epoch, error

    def on_epoch_end(self, trainer, logs):
        if logs["epoch"] == self.epoch:
            raise self.error


class FailAtStart(Callback):
    def __init__(self, error):
        self.error = error

    def on_train_begin(self, trainer):
        raise self.error


def _fitted(X, y, **params):
    clf = FitwellClassifier(**{"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0,
                               "normalization": "batch", **params})
    return clf.fit(X, y)


def _answers(clf, X):
    return clf.predict_proba(X), clf.predict(X)


def _assert_unchanged(clf, X, before, attributes):
    proba, labels = _answers(clf, X)
    np.testing.assert_array_equal(proba, before[0])
    np.testing.assert_array_equal(labels, before[1])
    for name, value in attributes.items():
        np.testing.assert_array_equal(np.asarray(getattr(clf, name), dtype=object),
                                      np.asarray(value, dtype=object), err_msg=name)


def _attributes(clf):
    names = ["classes_", "n_features_in_", "n_iter_", "t_", "loss_", "loss_curve_",
             "best_loss_", "n_outputs_", "best_epoch_"]
    return {name: copy.deepcopy(getattr(clf, name)) for name in names}


_BAD_REFITS = [(bad_call, warm_start)
               for bad_call in ("continuous_labels", "more_features_bad_y",
                                "more_features_negative_weight", "nan_weight", "callback_fails")
               for warm_start in (False, True)]


@pytest.mark.parametrize(("bad_call", "warm_start"), _BAD_REFITS)
def test_a_failed_refit_leaves_the_fitted_model_as_it_was(iris, bad_call, warm_start):
    X, y = iris
    clf = _fitted(X, y)
    before, attributes = _answers(clf, X), _attributes(clf)
    history_rows = len(clf.history_)
    clf.set_params(warm_start=warm_start)
    X_wide = np.hstack([X, X])
    with pytest.raises(ValueError):
        if bad_call == "continuous_labels":
            clf.fit(X, np.linspace(0, 1, len(y)))
        elif bad_call == "more_features_bad_y":
            clf.fit(X_wide, np.linspace(0, 1, len(y)))  # continuous: not class labels
        elif bad_call == "more_features_negative_weight":
            clf.fit(X_wide, y, sample_weight=-np.ones(len(y)))
        elif bad_call == "nan_weight":
            clf.fit(X, y, sample_weight=np.full(len(y), np.nan))
        else:
            clf.set_params(callbacks=[FailAt(2, ValueError("callback failed"))])
            clf.fit(X, y)
    _assert_unchanged(clf, X, before, attributes)
    assert len(clf.history_) == history_rows


def test_after_a_failed_warm_start_the_next_one_is_as_if_it_never_happened(iris):
    # The network, its optimiser, the random generators and the curves are all put back.
    X, y = iris
    fitted = _fitted(X, y, warm_start=True, dropout=0.2)
    twin, clf = copy.deepcopy(fitted), copy.deepcopy(fitted)
    twin.fit(X, y)  # both now hold an optimiser with state
    clf.fit(X, y)
    clf.set_params(callbacks=[FailAt(3, RuntimeError("boom"))])
    with pytest.raises(RuntimeError, match="boom"):
        clf.fit(X, y)
    clf.set_params(callbacks=None)
    clf.fit(X, y)
    twin.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), twin.predict_proba(X))
    assert clf.loss_curve_ == twin.loss_curve_ and clf.t_ == twin.t_


def test_a_keyboard_interrupt_outside_the_training_loop_restores_and_propagates(iris):
    X, y = iris
    clf = _fitted(X, y, warm_start=True)
    before, attributes = _answers(clf, X), _attributes(clf)
    clf.set_params(callbacks=[FailAtStart(KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    _assert_unchanged(clf, X, before, attributes)


def test_a_keyboard_interrupt_during_training_ends_it_with_a_consistent_model(iris):
    # The documented semantics: training stops, the fit completes and warns.
    X, y = iris
    clf = FitwellClassifier((8,), max_iter=20, random_state=0,
                            callbacks=[FailAt(3, KeyboardInterrupt())])
    with pytest.warns(RuntimeWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_) == 3
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize("cls", [FitwellClassifier, FitwellRegressor])
def test_a_failed_first_partial_fit_leaves_the_estimator_unfitted(iris, cls):
    X, y = iris
    est = cls(hidden_layer_sizes=(4,), random_state=0)
    kwargs = {"classes": [0, 1, 2]} if cls is FitwellClassifier else {}
    with pytest.raises(ValueError):
        est.partial_fit(X, y, sample_weight=-np.ones(len(y)), **kwargs)
    assert not hasattr(est, "model_") and not hasattr(est, "n_features_in_")
    est.partial_fit(X, y, **kwargs)  # and can then be fitted
    assert est.n_iter_ == 1


@pytest.mark.parametrize("change", [
    {"hidden_layer_sizes": (5,)}, {"hidden_layer_sizes": (8, 8)}, {"activation": "tanh"},
    {"normalization": "layer"}, {"normalization": None}, {"dropout": 0.3},
    {"dtype": "float64"},
])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continuing_a_network_whose_shape_changed_is_refused(iris, change, how):
    X, y = iris
    clf = _fitted(X, y, warm_start=True)
    before, attributes = _answers(clf, X), _attributes(clf)
    clf.set_params(**change)
    name = next(iter(change))
    with pytest.raises(ParameterError, match=rf"{name} from .*warm_start=False"):
        clf.fit(X, y) if how == "warm_start" else clf.partial_fit(X, y)
    _assert_unchanged(clf, X, before, attributes)
    clf.set_params(warm_start=False).fit(X, y)  # a new network of the new shape
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_a_warm_start_with_another_solver_gets_that_solver(iris):
    X, y = iris
    clf = _fitted(X, y, warm_start=True, solver="adam")
    clf.set_params(solver="sgd").fit(X, y)
    assert type(clf._optimizer).__name__ == "SGD"


def test_a_warm_start_with_other_targets_is_refused(iris):
    X, Y = make_regression(n_samples=40, n_features=4, n_targets=2, random_state=0)
    reg = FitwellRegressor(hidden_layer_sizes=(4,), max_iter=3, warm_start=True,
                           random_state=0).fit(X, Y)
    before = reg.predict(X)
    with pytest.raises(DataError, match="1 columns but the fitted network has 2 outputs"):
        reg.fit(X, Y[:, 0])
    np.testing.assert_array_equal(reg.predict(X), before)


def test_pickling_leaves_the_estimator_able_to_warm_start(iris):
    # Pickling took the optimiser out of the estimator itself: the next warm start
    # raised AttributeError.
    X, y = iris
    clf = _fitted(X, y, warm_start=True)
    copy.deepcopy(clf)
    clf.fit(X, y)
    assert len(clf.history_) == 10


def test_a_failed_fit_changes_no_parameter_of_a_fresh_estimator(iris):
    X, y = iris
    clf = FitwellClassifier((4,), max_iter=2)
    with warnings.catch_warnings(), pytest.raises(ValueError):
        clf.fit(X, np.linspace(0, 1, len(y)))
    assert vars(clf).keys() == vars(FitwellClassifier((4,), max_iter=2)).keys()
