"""The stochastic solver on its own: training a bare network, and how a run becomes
scikit-learn's fitted attributes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fitwell import nn, optim
from fitwell.estimator._stochastic import (
    StochasticRun,
    initial_attributes,
    record_run,
    stopping_callback,
    train_stochastic,
)
from fitwell.training.history import History


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    X = (centres[y] + rng.normal(0.0, 0.5, (n, 2))).astype(np.float32)
    return X, y


def _network(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, 16, rng=rng), nn.ReLU(), nn.Linear(16, 3, rng=rng))


def _train(model, X, y, **kwargs):
    settings = dict(loss=nn.CrossEntropyLoss(), score=None,
                    optimizer=optim.Adam(model.params, lr=0.05), batch_size=32, max_epochs=5,
                    rng=np.random.default_rng(1))
    return train_stochastic(model, X, y, **{**settings, **kwargs})


def test_trains_a_bare_network_and_reports_the_run():
    X, y = _blobs()
    model = _network()
    before = model.flat_params.copy()
    run = _train(model, X, y)
    assert not np.array_equal(before, model.flat_params)
    assert run.epochs == 5 and len(run.history) == 5 and len(run.objective_curve) == 5
    assert run.samples_seen == 5 * len(X)
    assert run.objective_curve[-1] < run.objective_curve[0]
    assert not run.diverged and not run.stopped and run.lr_scale == 1.0


def test_the_same_generators_give_the_same_run():
    X, y = _blobs()
    first, second = _network(), _network()
    run_a, run_b = _train(first, X, y), _train(second, X, y)
    assert run_a.objective_curve == run_b.objective_curve
    assert np.array_equal(first.flat_params, second.flat_params)


def test_the_stopping_rule_ends_the_run_early():
    X, y = _blobs()
    stop = stopping_callback(monitor="train_objective", tol=1e9, n_iter_no_change=2,
                             max_iter=50, adaptive=False, restore_best=False)
    run = _train(_network(), X, y, max_epochs=50, callbacks=[stop])
    # scikit-learn's count: the first epoch sets the bar, and training stops once more than
    # n_iter_no_change epochs in a row fail to beat it by tol
    assert run.stopped and run.epochs == 4


def _scripted_run(train_losses, val_scores=None, samples=100, best_epoch=None):
    history = History()
    for index, value in enumerate(train_losses):
        row = {"train_loss": value}
        if val_scores is not None:
            row["val_score"] = val_scores[index]
        history.append(**row)
    return StochasticRun(history=history, objective_curve=[v + 0.1 for v in train_losses],
                         epochs=len(train_losses), samples_seen=samples * len(train_losses),
                         best_epoch=best_epoch, restored_epoch=None, diverged=False,
                         stopped=False, lr_scale=1.0, restored_loss=None, next_lr=1e-3,
                         no_improvement_count=0)


def _fresh(early_stopping):
    return SimpleNamespace(n_iter_=0, t_=0, history_=History(),
                           **initial_attributes(early_stopping))


def test_without_validation_best_loss_follows_the_objective_curve():
    fitted = _fresh(early_stopping=False)
    record_run(fitted, _scripted_run([1.0, 0.5, 0.7]), stop_on_validation=False)
    record_run(fitted, _scripted_run([0.6]), stop_on_validation=False)  # a partial_fit
    assert fitted.n_iter_ == 1 and len(fitted.history_) == 4 and fitted.t_ == 400
    assert fitted.loss_curve_ == pytest.approx([1.1, 0.6, 0.8, 0.7])
    assert fitted.loss_ == pytest.approx(0.7)
    assert fitted.best_loss_ == pytest.approx(0.6)
    assert fitted.validation_scores_ is None and fitted.best_validation_score_ is None
    assert len(fitted.history_) == 4 and fitted.history_["epoch"] == [1, 2, 3, 4]
    assert fitted.best_epoch_ == 4  # nothing restored and no best epoch: the last


def test_with_early_stopping_the_validation_scores_are_kept():
    fitted = _fresh(early_stopping=True)
    run = _scripted_run([1.0, 0.5, 0.4], val_scores=[0.7, float("nan"), 0.9], best_epoch=3)
    record_run(fitted, run, stop_on_validation=True)
    assert fitted.validation_scores_[0] == 0.7 and fitted.validation_scores_[2] == 0.9
    assert fitted.best_validation_score_ == 0.9  # the non-finite score is skipped
    assert fitted.best_loss_ is None
    assert fitted.best_epoch_ == 3
