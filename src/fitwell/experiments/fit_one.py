"""Fit one configuration on a split and measure it: the unit every command and every
trial of an experiment builds on."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

from sklearn.exceptions import ConvergenceWarning

from ..estimator import FitwellClassifier, FitwellRegressor
from ..recipe import CLASSIFIER_ONLY_KEYS, with_image_shape
from ..text import text_pipeline
from ..text.resample import from_recipe
from ..training.history import History
from ..verdict import Verdict, diagnose, finite_or_none
from .space import apply_overrides

__all__ = ["RunResult", "make_estimator", "make_text_model", "fit_and_evaluate", "fit_unit",
           "TFIDF"]

#: the learning curves a trial keeps
_HISTORY_COLUMNS = ("train_loss", "val_loss", "train_score", "val_score")


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
    params = {k: v for k, v in params.items() if k not in CLASSIFIER_ONLY_KEYS}
    return FitwellRegressor(**params)


#: the TF-IDF every text model uses: unigrams and bigrams, sublinear term frequency
TFIDF = {"sublinear_tf": True, "ngram_range": (1, 2)}


def make_text_model(params, task):
    """Raw texts → the recipe's text augmentation (``augment``, fit only, seeded by
    ``random_state``) → :data:`TFIDF` → the network of the other parameters."""
    params = dict(params)
    augment = from_recipe(params.pop("augment", None), params.get("random_state"))
    return text_pipeline(make_estimator(params, task), augment, **TFIDF)


def fit_and_evaluate(params, split, task="classification", name="run", callbacks=None):
    """Fit ``params`` on ``split`` (validation data passed explicitly) and score it; a
    split of texts is fitted by :func:`make_text_model`.

    Convergence warnings are expected at a fixed epoch budget and are not shown.
    """
    params = dict(params)
    if callbacks:
        params["callbacks"] = list(params.get("callbacks") or []) + list(callbacks)
    estimator = make_text_model(params, task) if getattr(split, "texts", False) \
        else make_estimator(params, task)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(split.X_train, split.y_train, validation_data=(split.X_val, split.y_val))
    fit_time = time.perf_counter() - started
    train = estimator.score(split.X_train, split.y_train)
    val = estimator.score(split.X_val, split.y_val)
    test = estimator.score(split.X_test, split.y_test)
    network = estimator[-1] if getattr(split, "texts", False) else estimator
    history = network.history_
    epochs = int(network.n_iter_)
    best = int(getattr(network, "best_epoch_", epochs) or epochs)
    verdict = diagnose(history, train, test_score=test, val_score=val, params=params,
                       max_epochs=params.get("max_iter"),
                       best_epoch=best if best < epochs else None,
                       diverged=bool(getattr(network, "diverged_", False)))
    metric = "accuracy" if task == "classification" else "R²"
    return RunResult(name, estimator, history, float(train), float(val), float(test), epochs,
                     best, fit_time, verdict, params, metric)


def fit_unit(experiment, overrides, seed, name="run") -> dict:
    """Fit one unit of ``experiment``: its recipe with ``overrides`` (raw values) and
    ``random_state=seed``; return the trial's user attributes (scores, epochs, the
    verdict and the learning curves, non-finite values as ``None``)."""
    params = apply_overrides(experiment.base_params, overrides, task=experiment.task,
                             source=name)
    params["random_state"] = int(seed)
    params = with_image_shape(params, experiment.image_shape)
    run = fit_and_evaluate(params, experiment.split, task=experiment.task, name=name)
    history = {c: [finite_or_none(v) for v in run.history[c]] for c in _HISTORY_COLUMNS}
    return {"fitwell_train": run.train_score, "fitwell_val": run.val_score,
            "fitwell_test": run.test_score, "fitwell_gap": run.gap,
            "fitwell_epochs": run.epochs_run, "fitwell_best_epoch": run.best_epoch,
            "fitwell_fit_time": run.fit_time, "fitwell_verdict": run.verdict.kind,
            "fitwell_history": history}
