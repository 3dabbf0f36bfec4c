"""The stochastic solvers (sgd, nesterov, adam, adamw): mini-batch training through the
:class:`~fitwell.training.Trainer`, and how its history becomes scikit-learn's fitted
attributes (``loss_curve_``, ``validation_scores_``, ``best_loss_``, ``n_iter_``, ``t_``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..training import NoImprovementStopping, Trainer
from ..training.history import History

__all__ = ["StochasticRun", "train_stochastic", "stopping_callback", "initial_attributes",
           "record_run"]


@dataclass
class StochasticRun:
    """What one call of :func:`train_stochastic` did.

    Attributes
    ----------
    history : History
        One row per epoch of this call.
    objective_curve : list of float
        The training loss plus penalties per epoch (scikit-learn's ``loss_curve_``).
    epochs, samples_seen : int
        Epochs run and samples drawn (each sample once per epoch).
    best_epoch, restored_epoch : int or None
        The best epoch seen by the stopping rule, and the one whose state was restored
        (0: the state this call started from).
    diverged : bool
        The loss became non-finite and training stopped.
    restored_loss : float or None
        After a divergence, the training loss of the restored state.
    stopped : bool
        A callback stopped training before ``max_epochs``.
    lr_scale : float
        The learning-rate factor the callbacks left (``"adaptive"`` divides it by 5).
    next_lr : float
        The rate the next epoch would use (schedule times ``lr_scale``).
    no_improvement_count : int
        Epochs in a row without improvement when training ended (scikit-learn's
        ``_no_improvement_count``; 0 without a stopping rule).
    """

    history: History
    objective_curve: list
    epochs: int
    samples_seen: int
    best_epoch: int | None
    restored_epoch: int | None
    diverged: bool
    stopped: bool
    lr_scale: float
    restored_loss: float | None
    next_lr: float
    no_improvement_count: int


def stopping_callback(*, monitor, tol, n_iter_no_change, max_iter, adaptive, restore_best):
    """scikit-learn's stopping rule: stop (or, ``adaptive``, divide the rate by 5) after
    ``n_iter_no_change`` epochs without an improvement of ``tol``; ``np.inf`` never stops."""
    patience = n_iter_no_change if math.isfinite(n_iter_no_change) else max_iter + 1
    return NoImprovementStopping(monitor=monitor, tol=tol, n_iter_no_change=int(patience),
                                 adaptive=adaptive, restore_best=restore_best)


def train_stochastic(model, X, y, *, loss, score, optimizer, batch_size, max_epochs, rng,
                     schedule=None, schedule_interval="epoch", plateau_monitor="val_loss",
                     penalties=(), clip_grad_norm=None, augment=None, one_hot_classes=None,
                     shuffle=True, callbacks=(), lr_scale=1.0, sample_weight=None,
                     validation=None) -> StochasticRun:
    """Train ``model`` in place for up to ``max_epochs`` epochs of mini-batches.

    Penalties are divided by the batch's size (scikit-learn's convention for
    ``alpha``). ``validation`` is ``(X_val, y_val[, w_val])`` or ``None``; the other
    arguments are the :class:`~fitwell.training.Trainer`'s.
    """
    trainer = Trainer(
        model, loss, optimizer, schedule=schedule, schedule_interval=schedule_interval,
        plateau_monitor=plateau_monitor, penalties=list(penalties), penalty_scale="batch",
        clip_grad_norm=clip_grad_norm, augment=augment, one_hot_classes=one_hot_classes,
        batch_size=batch_size, max_epochs=max_epochs, shuffle=shuffle, rng=rng,
        callbacks=list(callbacks), score=score)
    trainer.lr_scale = lr_scale
    history = trainer.fit(X, y, sample_weight=sample_weight, validation_data=validation)
    return StochasticRun(history=history, objective_curve=list(trainer.objective_curve),
                         epochs=trainer.epoch, samples_seen=trainer.samples_seen,
                         best_epoch=trainer.best_epoch, restored_epoch=trainer.restored_epoch,
                         diverged=trainer.diverged, stopped=trainer.stop_training,
                         lr_scale=trainer.lr_scale, restored_loss=trainer.restored_loss,
                         next_lr=trainer.lr, no_improvement_count=next(
                             (c.count for c in trainer.callbacks
                              if isinstance(c, NoImprovementStopping)), 0))


def initial_attributes(early_stopping) -> dict:
    """The curve attributes of a freshly initialised stochastic fit, as scikit-learn
    sets them: with early stopping the validation scores, without it ``best_loss_``."""
    if early_stopping:
        return {"loss_curve_": [], "validation_scores_": [], "best_validation_score_": -np.inf,
                "best_loss_": None}
    return {"loss_curve_": [], "validation_scores_": None, "best_validation_score_": None,
            "best_loss_": np.inf}


def record_run(fitted, run: StochasticRun, *, stop_on_validation) -> None:
    """Add ``run`` to the fitted attributes of ``fitted`` (an estimator), in place.

    ``n_iter_`` counts the epochs of this call (scikit-learn's: a warm start runs up
    to ``max_iter`` epochs again and ``partial_fit`` reports 1); ``t_`` counts on;
    ``history_`` and ``loss_curve_`` grow;
    ``validation_scores_`` / ``best_validation_score_`` follow the validation score
    when early stopping used it, ``best_loss_`` (the lowest ``loss_curve_`` value)
    otherwise; ``best_epoch_`` is the epoch whose state the model ends with. After a
    divergence that is the restored state (counted over all calls) and ``loss_`` its
    training loss.
    """
    fitted.n_iter_ = run.epochs
    fitted.t_ += run.samples_seen
    fitted._no_improvement_count = run.no_improvement_count
    columns = {c: run.history[c] for c in History.columns if c != "epoch"}  # once, not per row
    for row in range(len(run.history)):
        fitted.history_.append(**{c: values[row] for c, values in columns.items()})
    previous_epochs = len(fitted.history_) - run.epochs
    fitted.loss_curve_.extend(run.objective_curve)
    if run.diverged:
        # The model holds the restored state: loss_ is that state's training loss.
        fitted.loss_ = run.restored_loss
    elif fitted.loss_curve_:
        fitted.loss_ = fitted.loss_curve_[-1]
    if stop_on_validation:
        fitted.validation_scores_.extend(run.history["val_score"])
        finite = [s for s in fitted.validation_scores_ if math.isfinite(s)]
        fitted.best_validation_score_ = max(finite) if finite else -np.inf
    elif fitted.best_loss_ is not None and fitted.loss_curve_:
        fitted.best_loss_ = float(min(fitted.loss_curve_))
    if run.diverged:
        fitted.best_epoch_ = previous_epochs + run.restored_epoch
    else:
        best = run.restored_epoch or run.best_epoch or run.epochs
        fitted.best_epoch_ = previous_epochs + best
    fitted.diverged_ = run.diverged
