"""The L-BFGS solver on its own: it minimises the objective over the network's flat
parameter buffer."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn, optim
from fitwell.estimator._lbfgs import train_lbfgs


def _linear_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((80, 3))
    y = (X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.standard_normal((80, 1)))
    return X, y


def _linear_model(seed=0):
    return nn.Sequential(nn.Linear(3, 1, rng=np.random.default_rng(seed), dtype=np.float64))


def test_a_linear_network_reaches_least_squares():
    X, y = _linear_problem()
    model = _linear_model()
    run = train_lbfgs(model, X, y, loss=nn.HalfMSELoss(), max_iter=200, max_fun=15000,
                      tol=1e-10)
    design = np.hstack([X, np.ones((len(X), 1))])
    solution, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert run.converged and run.n_iter > 0
    np.testing.assert_allclose(model.flat_params, solution.ravel(), atol=1e-6)
    residual = design @ solution - y
    assert run.loss == pytest.approx(0.5 * np.mean(residual**2), rel=1e-6)


def test_the_penalty_is_scaled_by_the_total_weight():
    X, y = _linear_problem()
    alpha = 40.0
    model = _linear_model()
    train_lbfgs(model, X, y, loss=nn.HalfMSELoss(), penalties=[optim.L2(alpha)],
                max_iter=200, max_fun=15000, tol=1e-10)
    # ridge on the weight only: (X'X / n + alpha / n) w = X'(y - b) / n, with b the
    # intercept of the centred problem
    n = len(X)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    ridge = np.linalg.solve(Xc.T @ Xc / n + alpha / n * np.eye(3), Xc.T @ yc / n)
    np.testing.assert_allclose(model.params["0.weight"], ridge, atol=1e-5)


def test_running_out_of_iterations_is_reported():
    X, y = _linear_problem()
    run = train_lbfgs(_linear_model(), X, y, loss=nn.HalfMSELoss(), max_iter=1, max_fun=15000,
                      tol=1e-12)
    assert not run.converged and run.n_iter == 1 and run.message
