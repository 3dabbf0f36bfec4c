"""Fit one configuration on a split and measure it: the unit every command builds on."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

from sklearn.exceptions import ConvergenceWarning

from ..estimator import FitwellClassifier, FitwellRegressor
from ..training.history import History
from ..verdict import Verdict, diagnose

__all__ = ["RunResult", "make_estimator", "fit_and_evaluate"]


@dataclass
class RunResult:
    """What one training run produced.

    Scores are fractions (accuracy for classification, R² for regression);
    ``gap`` is train − test in points.
    """

    name: str
    estimator: object
    history: History
    train_score: float
    val_score: float
    test_score: float
    epochs_run: int
    best_epoch: int
    fit_time: float
    verdict: Verdict
    params: dict = field(default_factory=dict)
    metric: str = "accuracy"

    @property
    def gap(self):
        return 100.0 * (self.train_score - self.test_score)

    def metrics(self) -> dict:
        """A JSON-ready summary."""
        return {
            "name": self.name, "metric": self.metric,
            "train": self.train_score, "validation": self.val_score, "test": self.test_score,
            "gap_points": self.gap, "epochs_run": self.epochs_run, "best_epoch": self.best_epoch,
            "fit_time_s": self.fit_time, "verdict": self.verdict.kind,
            "verdict_message": self.verdict.message,
        }


def make_estimator(params, task):
    """A classifier or regressor built from recipe parameters."""
    if task == "classification":
        return FitwellClassifier(**params)
    params = {k: v for k, v in params.items() if k not in ("class_weight", "label_smoothing")}
    return FitwellRegressor(**params)


def fit_and_evaluate(params, split, task="classification", name="run", callbacks=None):
    """Fit ``params`` on ``split`` (validation data passed explicitly) and score it.

    Convergence warnings are expected at a fixed epoch budget and are not shown.
    """
    params = dict(params)
    if callbacks:
        params["callbacks"] = list(params.get("callbacks") or []) + list(callbacks)
    estimator = make_estimator(params, task)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(split.X_train, split.y_train, validation_data=(split.X_val, split.y_val))
    fit_time = time.perf_counter() - started
    train = estimator.score(split.X_train, split.y_train)
    val = estimator.score(split.X_val, split.y_val)
    test = estimator.score(split.X_test, split.y_test)
    history = estimator.history_
    epochs = int(estimator.n_iter_)
    best = int(getattr(estimator, "best_epoch_", epochs) or epochs)
    verdict = diagnose(history, train, test_score=test, val_score=val, params=params,
                       max_epochs=params.get("max_iter"),
                       best_epoch=best if best < epochs else None,
                       diverged=bool(getattr(estimator, "diverged_", False)))
    metric = "accuracy" if task == "classification" else "R²"
    return RunResult(name, estimator, history, float(train), float(val), float(test), epochs,
                     best, fit_time, verdict, params, metric)
