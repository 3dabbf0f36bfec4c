"""The training loop: mini-batch epochs, validation, schedules and callbacks.

The trainer knows nothing of files, printing or scikit-learn; it moves arrays
through the engine and records a :class:`History`.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from .._threads import limit_blas_threads
from .._validation import check_option, check_positive_int
from ..errors import ParameterError
from ..optim.clip import clip_grad_norm as _clip_norm
from ..optim.clip import clip_grad_value as _clip_value
from .callbacks import EarlyStopping, NoImprovementStopping, TerminateOnNaN, check_callbacks
from .history import History

__all__ = ["Trainer", "accuracy_from_logits", "accuracy_from_binary_logits", "r2_score"]

_MONITORABLE = ("train_loss", "val_loss", "train_score", "val_score")


def accuracy_from_logits(outputs, y):
    """Fraction of rows whose largest logit is the true class (``y`` class ids)."""
    return float(np.mean(outputs.argmax(axis=1) == y))


def accuracy_from_binary_logits(outputs, y):
    """Fraction of rows with every label right, thresholding logits at 0 (sigmoid 0.5)."""
    return float(np.mean(np.all((outputs > 0) == (y > 0.5), axis=1)))


def r2_score(outputs, y):
    """Coefficient of determination, averaged uniformly over outputs (scikit-learn's)."""
    y = y.reshape(outputs.shape)
    residual = ((y - outputs) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0),
                          np.where(residual > 0, 0.0, 1.0))
    return float(scores.mean())


class Trainer:
    """Train a model with mini-batch gradient descent.

    One step: gather a batch (shuffled by ``rng``) → augment (training batches
    only) → ``model.forward(training=True)`` → loss → ``model.backward`` →
    penalties add to the gradients → clipping → ``optimizer.step`` with the
    schedule's learning rate. At the end of each epoch the validation data is
    evaluated in inference mode, a row is appended to :attr:`history` and the
    callbacks run.

    Parameters
    ----------
    model : fitwell.nn.Module
    loss : callable
        ``loss(outputs, targets, sample_weight=None) -> (value, grad)``.
    optimizer : fitwell.optim.Optimizer
        Built on ``model.params``.
    schedule : fitwell.schedules.Schedule, optional
        Learning rate as a function of the step; ``None`` keeps ``optimizer.lr``.
    schedule_interval : {"epoch", "batch"}, default="epoch"
        What the schedule's step ``t`` counts.
    plateau_monitor : str, default="val_loss"
        History column given to a stateful schedule's ``step(metric)`` each epoch.
    penalties : sequence of fitwell.optim.Penalty
    penalty_scale : {"none", "batch"}, default="none"
        ``"batch"`` divides each penalty by the batch size, as scikit-learn does
        with ``alpha``.
    clip_grad_norm, clip_grad_value : float, optional
    augment : callable, optional
        ``augment(X, y, rng) -> (X, y)``, see :mod:`fitwell.training.augment`.
    one_hot_classes : int, optional
        Number of classes, to turn class ids into probability rows for augmenters
        that need them (mixup).
    batch_size : int or None, default=32
        ``None`` for full-batch training.
    max_epochs : int, default=100
    shuffle : bool, default=True
    rng : numpy.random.Generator
    callbacks : sequence of Callback
    terminate_on_nan : bool, default=True
        Add :class:`TerminateOnNaN` unless the callbacks already hold one.
    score : callable, optional
        ``score(outputs, y) -> float``, e.g. accuracy; recorded as train/val score.

    Attributes
    ----------
    history : History
    epoch : int
        Epochs completed.
    n_steps : int
        Optimiser steps taken.
    samples_seen : int
    stop_training, diverged, interrupted : bool
    restored_epoch : int or None
        The epoch whose state was restored at the end, if any (0: the state
        training started from).
    restored_loss : float or None
        After a divergence, the training loss of the restored state.
    train_data : tuple
        ``(X, y, sample_weight)`` of the current :meth:`fit` (references, no copies).
    objective_curve : list of float
        Mean training objective (loss plus penalties) per epoch.
    """

    def __init__(self, model, loss, optimizer, *, schedule=None, schedule_interval="epoch",
                 plateau_monitor="val_loss", penalties=(), penalty_scale="none",
                 clip_grad_norm=None, clip_grad_value=None, augment=None, one_hot_classes=None,
                 batch_size=32, max_epochs=100, shuffle=True, rng=None, callbacks=(),
                 terminate_on_nan=True, score=None):
        owner = "Trainer"
        check_option(schedule_interval, "schedule_interval", owner, ("epoch", "batch"))
        check_option(penalty_scale, "penalty_scale", owner, ("none", "batch"))
        check_option(plateau_monitor, "plateau_monitor", owner, _MONITORABLE)
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size", owner)
        max_epochs = check_positive_int(max_epochs, "max_epochs", owner)
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.schedule, self.schedule_interval = schedule, schedule_interval
        self.plateau_monitor = plateau_monitor
        self.penalties = list(penalties)
        self.penalty_scale = penalty_scale
        self.clip_grad_norm, self.clip_grad_value = clip_grad_norm, clip_grad_value
        self.augment, self.one_hot_classes = augment, one_hot_classes
        self.batch_size, self.max_epochs, self.shuffle = batch_size, max_epochs, shuffle
        self.rng = rng if rng is not None else np.random.default_rng()
        callbacks = check_callbacks(callbacks, owner)
        if terminate_on_nan and not any(isinstance(c, TerminateOnNaN) for c in callbacks):
            callbacks.append(TerminateOnNaN())
        # TerminateOnNaN restores last: it only acts when no other callback restored.
        callbacks.sort(key=lambda c: isinstance(c, TerminateOnNaN))
        self.callbacks = callbacks
        self.score = score
        self.history = History()
        self.epoch = 0
        self.n_steps = 0
        self.samples_seen = 0
        self.lr_scale = 1.0
        self.objective_curve = []
        self._params = model.params
        self._grads = model.grads
        self._batch_buffers = {}

    # -- learning rate -----------------------------------------------------------------
    def base_lr(self):
        """The schedule's rate for the current step, before callbacks scale it."""
        if self.schedule is None:
            return self.optimizer.lr
        t = self.epoch if self.schedule_interval == "epoch" else self.n_steps
        return self.schedule(t)

    @property
    def lr(self):
        """The learning rate the next step will use."""
        return self.base_lr() * self.lr_scale

    # -- state ----------------------------------------------------------------------------
    def snapshot(self, into=None):
        """A copy of the model state; reuses the arrays of ``into`` when given."""
        if into is None:
            return self.model.state_dict()
        live = {**self.model.params, **self.model.buffers}
        for name, value in live.items():
            np.copyto(into[name], value)
        return into

    # -- data ---------------------------------------------------------------------------------
    def _gather(self, array, index, name):
        """``array[index]`` into a reused buffer (no allocation per batch)."""
        shape = (len(index), *array.shape[1:])
        key = (name, shape)
        buffer = self._batch_buffers.get(key)
        if buffer is None:
            buffer = self._batch_buffers[key] = np.empty(shape, dtype=array.dtype)
        return np.take(array, index, axis=0, out=buffer)

    def _targets_for_augment(self, y):
        if self.one_hot_classes and getattr(self.augment, "needs_one_hot", False) and y.ndim == 1:
            one_hot = np.zeros((len(y), self.one_hot_classes))
            one_hot[np.arange(len(y)), y] = 1.0
            return one_hot
        return y

    def evaluate(self, X, y, sample_weight=None, chunk_size=8192):
        """Loss and score of the model on ``(X, y)`` in inference mode."""
        outputs = np.concatenate([self.model.forward(X[i:i + chunk_size], training=False)
                                  for i in range(0, len(X), chunk_size)])
        value, _ = self.loss(outputs, y, sample_weight=sample_weight)
        score = self.score(outputs, y) if self.score is not None else math.nan
        return value, score

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train on ``(X, y)``; ``validation_data`` is ``(X_val, y_val)`` or
        ``(X_val, y_val, sample_weight_val)``. Returns the :class:`History`."""
        n = X.shape[0]
        batch_size = n if self.batch_size is None else min(self.batch_size, n)
        self.stop_training = self.diverged = self.interrupted = False
        self.restored_epoch = self.restored_loss = None
        self.train_data = (X, y, sample_weight)
        batch_hooks = [c for c in self.callbacks if hasattr(c, "on_batch_end")]
        stateful = self.schedule is not None and getattr(self.schedule, "stateful", False)
        if stateful and validation_data is None and self.plateau_monitor.startswith("val_"):
            raise ParameterError(f"Trainer: the {type(self.schedule).__name__} schedule steps on "
                                 f"{self.plateau_monitor!r} but fit got no validation_data; pass "
                                 "validation_data or use plateau_monitor='train_loss'")
        if getattr(self.augment, "needs_one_hot", False) and y.ndim == 1 \
                and not self.one_hot_classes:
            raise ParameterError(f"Trainer: the augmenter {type(self.augment).__name__} mixes "
                                 "targets and needs probability rows, but y holds class ids; pass "
                                 "one_hot_classes=<number of classes>")
        # Callbacks see every column; the val_ ones only when there is validation data,
        # so that a monitor can tell "no validation data" from "a non-finite value".
        blank = {c: math.nan for c in History.columns
                 if validation_data is not None or not c.startswith("val_")}
        for callback in self.callbacks:
            callback.on_train_begin(self)
        threads = limit_blas_threads(batch_size, self._params.values())
        outputs = None  # the epoch's training outputs, row i for sample i, reused
        try:
            while self.epoch < self.max_epochs and not self.stop_training:
                started = time.perf_counter()
                order = self.rng.permutation(n) if self.shuffle else np.arange(n)
                loss_sum = objective_sum = 0.0
                for start in range(0, n, batch_size):
                    index = order[start:start + batch_size]
                    xb = self._gather(X, index, "X")
                    yb = self._gather(y, index, "y")
                    wb = None if sample_weight is None else self._gather(sample_weight, index, "w")
                    if self.augment is not None:
                        xb, yb = self.augment(xb, self._targets_for_augment(yb), self.rng)
                    lr = self.lr
                    out = self.model.forward(xb, training=True)
                    if self.score is not None:
                        if outputs is None:
                            outputs = np.empty((n, out.shape[1]), dtype=out.dtype)
                        outputs[index] = out
                    value, grad = self.loss(out, yb, sample_weight=wb)
                    self.model.backward(grad, need_input_grad=False)
                    objective = value
                    scale = 1.0
                    if self.penalty_scale == "batch":
                        scale = 1.0 / (len(index) if wb is None else float(wb.sum()))
                    for penalty in self.penalties:
                        objective += penalty(self._params, self._grads, scale=scale)
                    if self.clip_grad_value is not None:
                        _clip_value(self._grads, self.clip_grad_value)
                    if self.clip_grad_norm is not None:
                        _clip_norm(self._grads, self.clip_grad_norm)
                    self.optimizer.step(self._grads, lr=lr)
                    self.n_steps += 1
                    self.samples_seen += len(index)
                    loss_sum += value * len(index)
                    objective_sum += objective * len(index)
                    for callback in batch_hooks:
                        callback.on_batch_end(self, objective)
                    if self.stop_training:
                        break
                if self.diverged:
                    break
                self.epoch += 1
                logs = {"epoch": self.epoch, "train_loss": loss_sum / n, "lr": lr}
                self.objective_curve.append(objective_sum / n)
                if outputs is not None:
                    logs["train_score"] = self.score(outputs, y)
                if validation_data is not None:
                    logs["val_loss"], logs["val_score"] = self.evaluate(*validation_data)
                logs["time"] = time.perf_counter() - started
                self.history.append(**logs)
                # Callbacks also see the objective (loss plus penalties), which is what
                # scikit-learn's stopping rule watches; the history keeps the data loss.
                logs = {**blank, **logs, "train_objective": self.objective_curve[-1]}
                if stateful:
                    self.schedule.step(logs[self.plateau_monitor])
                for callback in self.callbacks:
                    callback.on_epoch_end(self, logs)
        except KeyboardInterrupt:
            self.interrupted = True
            restoring = any(getattr(c, "restore_best", False) for c in self.callbacks)
            kept = "the best epoch's state is restored" if restoring else \
                "the model keeps its last state"
            warnings.warn(f"training interrupted by the user after {self.epoch} epochs; {kept}",
                          RuntimeWarning, stacklevel=2)
        finally:
            threads.restore_original_limits()
            for callback in self.callbacks:
                callback.on_train_end(self)
        return self.history

    @property
    def best_epoch(self):
        """Best epoch of the first early-stopping callback, if any."""
        for callback in self.callbacks:
            if isinstance(callback, EarlyStopping | NoImprovementStopping):
                return callback.best_epoch
        return None
