"""``FitwellRegressor(loss="poisson")``: scikit-learn's half Poisson deviance with the
log link — the same loss value as scikit-learn's, the same quality as
``MLPRegressor(loss="poisson")`` on count data, and a model file that keeps it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network import MLPRegressor
from sklearn.neural_network._base import poisson_loss

import fitwell
from fitwell import FitwellRegressor, nn
from fitwell.errors import DataError
from fitwell.testing.gradcheck import check_loss


def _counts(seed, n=600):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    rate = np.exp(0.6 * X[:, 0] - 0.4 * X[:, 1] + 0.3 * np.sin(2 * X[:, 2]) + 0.5)
    return X, rng.poisson(rate).astype(float)


def test_loss_is_scikit_learns_half_poisson_deviance_of_exp():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 2))
    y = rng.poisson(2.0, size=(50, 2)).astype(float)
    weights = rng.uniform(0.5, 2.0, 50)
    value, _ = nn.HalfPoissonLoss()(z, y)
    assert value == pytest.approx(poisson_loss(y, np.exp(z)), rel=1e-12)
    value, _ = nn.HalfPoissonLoss()(z, y, sample_weight=weights)
    assert value == pytest.approx(poisson_loss(y, np.exp(z), sample_weight=weights), rel=1e-12)


def test_loss_gradient_passes_the_gradient_check():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(8, 3))
    y = rng.poisson(1.5, size=(8, 3)).astype(float)
    for weights in (None, rng.uniform(0.2, 2.0, 8)):
        result = check_loss(nn.HalfPoissonLoss(), z, y, sample_weight=weights)
        assert result.passed, result


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quality_matches_mlp_regressor_on_count_data(seed):
    X, y = _counts(seed)
    X_test, y_test = _counts(seed + 100, n=400)
    settings = {"loss": "poisson", "hidden_layer_sizes": (16,), "max_iter": 150,
                "learning_rate_init": 0.01, "random_state": seed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPRegressor(**settings).fit(X, y)
        ours = FitwellRegressor(**settings).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    deviance_ours = mean_poisson_deviance(y_test, ours.predict(X_test))
    deviance_theirs = mean_poisson_deviance(y_test, theirs.predict(X_test))
    constant = mean_poisson_deviance(y_test, np.full_like(y_test, y.mean()))
    assert deviance_ours < 0.6 * constant
    assert deviance_ours == pytest.approx(deviance_theirs, rel=0.1)


def test_negative_targets_are_refused():
    X, y = _counts(0, n=50)
    with pytest.raises(DataError, match="non-negative targets"):
        FitwellRegressor(loss="poisson", max_iter=2).fit(X, y - 1.0)


def test_a_warm_start_cannot_change_the_loss():
    X, y = _counts(0, n=80)
    model = FitwellRegressor(loss="poisson", hidden_layer_sizes=(4,), max_iter=2,
                             warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        model.set_params(loss="squared_error")
        with pytest.raises(ValueError, match="loss from 'poisson' to 'squared_error'"):
            model.fit(X, y)


def test_save_and_load_keep_the_poisson_loss(tmp_path):
    X, y = _counts(0, n=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = FitwellRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=20,
                                 random_state=0).fit(X, y)
    fitwell.save(model, tmp_path / "poisson.npz")
    loaded = fitwell.load(tmp_path / "poisson.npz")
    assert loaded.loss == "poisson" and loaded.out_activation_ == "exp"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
