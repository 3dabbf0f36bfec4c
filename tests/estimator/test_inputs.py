"""Inputs the network would get wrong without a word are refused clearly: values beyond
the training dtype (at fit and at predict), outputs that overflow, a malformed
``validation_data``, bad callbacks and class weights, mixed label types, huge networks;
and a diverging run ends with the best state it saw and finite predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import DataError, ParameterError
from fitwell.training import Callback, DivergenceWarning

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


def _small(cls=FitwellClassifier, **params):
    return cls(**{"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0, **params})


# -- values beyond the training dtype ---------------------------------------------------------

def test_fit_refuses_values_float32_cannot_hold_and_names_them(iris):
    X, y = iris
    X = X.copy()
    X[7, 2] = 1e300
    with pytest.raises(DataError, match=r"value 1e\+300 in column 2, row 7.*float32.*"
                                        r"dtype='float64'"):
        _small().fit(X, y)
    clf = _small(dtype="float64").fit(X, y)  # float64 holds it
    assert np.isfinite(clf.predict_proba(X)).all()


def test_fit_names_the_feature_of_a_data_frame(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame.loc[3, "d"] = -1e300
    with pytest.raises(DataError, match=r"column 3 \('d'\)"):
        _small().fit(frame, y)


def test_regression_targets_beyond_float32_are_refused():
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    y[4] = 1e300
    with pytest.raises(DataError, match="value 1e\\+300"):
        _small(FitwellRegressor).fit(X, y)


def test_predict_refuses_values_beyond_the_network_dtype(iris):
    X, y = iris
    clf = _small().fit(X, y)
    X_bad = X[:3].copy()
    X_bad[1, 0] = 1e300
    for method in (clf.predict, clf.predict_proba, clf.decision_function_raw):
        with pytest.raises(DataError, match="column 0, row 1"):
            method(X_bad)


def test_outputs_that_overflow_inside_the_network_are_an_error_not_nan(iris):
    X, y = iris
    clf = _small().fit(X, y)
    with pytest.raises(DataError, match="outputs overflow float32"):
        clf.predict_proba(np.full((2, 4), 3e38))


def test_predict_reads_no_parameter_set_after_the_fit(iris):
    X, y = iris
    clf = _small().fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(dtype="float16")  # garbage set after the fit: not read by predict
    np.testing.assert_array_equal(clf.predict_proba(X), before)


# -- malformed arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("validation_data, match", [
    ("X_only", r"pair \(X_val, y_val\), got a tuple of length 1"),
    ("data", r"pair \(X_val, y_val\), got 'str'"),
    ("short_y", "inconsistent numbers of samples"),
])
def test_validation_data_must_be_a_pair_of_matching_lengths(iris, validation_data, match):
    X, y = iris
    value = {"X_only": (X,), "data": "data", "short_y": (X, y[:-1])}[validation_data]
    with pytest.raises(ValueError, match=match):
        _small().fit(X, y, validation_data=value)


class Recorder(Callback):
    pass


@pytest.mark.parametrize("callbacks, match", [
    (["bogus"], r"callbacks\[0\] must be a fitwell.training.Callback .*on_train_begin.*"
                r"got 'bogus'"),
    ([Recorder(), None], r"callbacks\[1\]"),
    ([Recorder], r"pass an instance, Recorder\(\)"),
])
def test_callbacks_must_be_callback_objects(iris, callbacks, match):
    X, y = iris
    with pytest.raises(ParameterError, match=match):
        _small(callbacks=callbacks).fit(X, y)


@pytest.mark.parametrize("class_weight", [{0: -1}, {0: float("nan")}, {0: float("inf")},
                                          {0: "a"}])
def test_class_weight_must_be_finite_and_non_negative(iris, class_weight):
    X, y = iris
    with pytest.raises(ParameterError, match="class_weight must map classes to finite "
                                             "non-negative numbers"):
        _small(class_weight=class_weight).fit(X, y)


def test_class_weight_with_unknown_labels_of_mixed_types_is_refused(iris):
    X, y = iris
    with pytest.raises(ParameterError, match=r"names classes \['a', 7\]"):
        _small(class_weight={"a": 1.0, 7: 1.0}).fit(X, y)


def test_mixed_label_types_are_a_data_error(iris):
    X, _ = iris
    y = np.array([1, "a"] * 75, dtype=object)
    with pytest.raises(DataError, match=r"y mixes label types \(int, str\)"):
        _small().fit(X, y)


def test_a_network_too_large_to_build_is_refused_before_allocating(iris):
    X, y = iris
    with pytest.raises(ParameterError, match="parameters .*use smaller hidden_layer_sizes"):
        _small(hidden_layer_sizes=(2**40,)).fit(X, y)


# -- divergence ------------------------------------------------------------------------------------

# NumPy's own overflow warnings from the diverging steps are expected here; the
# DivergenceWarning is the one asserted.
_OVERFLOWS = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                                        "ignore:invalid value encountered:RuntimeWarning")

@_OVERFLOWS
@pytest.mark.parametrize("normalization", [None, "batch"])
def test_a_diverging_classifier_keeps_its_best_state_and_answers_finitely(normalization):
    X, y = load_digits(return_X_y=True)
    clf = FitwellClassifier((32,), solver="sgd", learning_rate_init=1e6, max_iter=20,
                            random_state=0, normalization=normalization)
    with pytest.warns(DivergenceWarning, match="restored .*Lower the learning rate"):
        clf.fit(X, y)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.diverged_ and np.isfinite(clf.loss_)
    assert clf.n_iter_ == len(clf.loss_curve_) and 0 <= clf.best_epoch_ <= clf.n_iter_
    state = {**clf.model_.params, **clf.model_.buffers}
    assert all(np.isfinite(value).all() for value in state.values())


@_OVERFLOWS
def test_a_diverging_regressor_predicts_finitely():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    reg = FitwellRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e6,
                           max_iter=20, random_state=0)
    with pytest.warns(DivergenceWarning):
        reg.fit(X, y)
    assert reg.diverged_ and np.isfinite(reg.predict(X)).all() and np.isfinite(reg.loss_)


@_OVERFLOWS
def test_a_diverging_lbfgs_fit_keeps_its_starting_state():
    X, y = make_regression(n_samples=50, n_features=3, random_state=0)
    X = X * 1e30  # float32 holds it, but the squared error overflows
    reg = FitwellRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0)
    start = FitwellRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0)
    start._initialize(3, 1, start._seeds())
    with pytest.warns(DivergenceWarning, match="lbfgs diverged"):
        reg.fit(X, y)
    assert reg.diverged_
    for fitted, initial in zip(reg.coefs_, start.coefs_, strict=True):
        np.testing.assert_array_equal(fitted, initial)
