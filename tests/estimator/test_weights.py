"""Assigning ``coefs_`` / ``intercepts_`` as scikit-learn allows: before a first
``partial_fit`` (the network starts from them), on a fitted model (predictions use
them), and with a clear error for the wrong shapes."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import ParameterError


def test_assigned_weights_start_a_partial_fit():
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    model = FitwellClassifier(solver="sgd", learning_rate_init=0.1, alpha=0.0, momentum=0,
                              activation="identity", hidden_layer_sizes=2, dtype="float64")
    model.coefs_ = [0, 0]
    model.intercepts_ = [0, 0]
    model.coefs_[0] = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]])
    model.coefs_[1] = np.array([[0.1], [0.2]])
    model.intercepts_[0] = np.array([0.1, 0.1])
    model.intercepts_[1] = np.array([1.0])
    model.partial_fit(X, y, classes=[0, 1])
    # one SGD step of the binary log loss from the assigned weights, by hand
    hidden = X @ np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]) + 0.1
    z = hidden @ np.array([[0.1], [0.2]]) + 1.0
    delta = 1 / (1 + np.exp(-z)) - 0
    np.testing.assert_allclose(model.intercepts_[1], 1.0 - 0.1 * delta.ravel())
    np.testing.assert_allclose(model.coefs_[1], np.array([[0.1], [0.2]]) - 0.1 * hidden.T @ delta)


def test_assigned_weights_of_a_fitted_model_are_used_by_predict():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = FitwellRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    model.coefs_ = [np.zeros((3, 4)), np.zeros((4, 1))]
    model.intercepts_ = [np.zeros(4), np.array([2.5])]
    np.testing.assert_allclose(model.predict(X), 2.5)
    assert np.all(model.coefs_[0] == 0)  # now the network's own arrays


def test_assigned_weights_of_the_wrong_shape_are_refused():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = FitwellRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    model.coefs_ = [np.zeros((3, 5)), np.zeros((5, 1))]
    with pytest.raises(ParameterError, match="assigned coefs_ have shapes"):
        model.predict(X)


def test_a_fresh_fit_ignores_assigned_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    reference = FitwellRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    model = FitwellRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    model.coefs_ = [np.zeros((3, 4)), np.zeros((4, 1))]
    model.fit(X, y)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
