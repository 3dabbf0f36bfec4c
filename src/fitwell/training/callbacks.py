"""Callbacks: small hook objects the :class:`~fitwell.training.Trainer` calls.

Hooks, all optional: ``on_train_begin(trainer)``, ``on_epoch_end(trainer, logs)``
(``logs`` is the epoch's row of the history), ``on_batch_end(trainer, loss)`` and
``on_train_end(trainer)`` — the last is called however training ends: at the
epoch limit, stopped early, on divergence or on ``KeyboardInterrupt``.
A callback stops training by setting ``trainer.stop_training = True``.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from .._validation import check_int, check_number, check_option
from ..errors import ParameterError
from ..optim.schedules import ReduceLROnPlateau as _PlateauRule

__all__ = [
    "Callback", "MonitorCallback", "EarlyStopping", "ReduceLROnPlateau", "TerminateOnNaN",
    "NoImprovementStopping", "ProgressBar", "EpochLog", "DivergenceWarning", "check_callbacks",
]

_HOOKS = ("on_train_begin", "on_epoch_end", "on_train_end")


class DivergenceWarning(RuntimeWarning):
    """Training produced a non-finite loss and was stopped."""


class Callback:
    """Base class; override only the hooks you need."""

    def on_train_begin(self, trainer):
        pass

    def on_epoch_end(self, trainer, logs):
        pass

    def on_train_end(self, trainer):
        pass

    # on_batch_end is looked up with getattr so that callbacks without it cost nothing
    # per batch.


def check_callbacks(callbacks, owner) -> list:
    """``callbacks`` as a list, each an object with the hooks the trainer calls.

    A :class:`Callback` instance qualifies, as does any object with callable
    ``on_train_begin``, ``on_epoch_end`` and ``on_train_end``; a class (not an
    instance), a string or ``None`` is refused with :class:`ParameterError`.
    """
    if callbacks is None:
        return []
    if not isinstance(callbacks, list | tuple):
        raise ParameterError(f"{owner}: callbacks must be a list of Callback objects, got "
                             f"{type(callbacks).__name__}")
    for position, callback in enumerate(callbacks):
        if isinstance(callback, type) or not all(callable(getattr(callback, hook, None))
                                                 for hook in _HOOKS):
            hint = f"; pass an instance, {callback.__name__}()" \
                if isinstance(callback, type) else ""
            raise ParameterError(
                f"{owner}: callbacks[{position}] must be a fitwell.training.Callback (an object "
                f"with the methods {', '.join(_HOOKS)}), got {callback!r}{hint}")
    return list(callbacks)


def _default_mode(monitor):
    return "max" if monitor.endswith(("score", "accuracy", "acc", "r2")) else "min"


class MonitorCallback(Callback):
    """Shared monitor logic: which metric, which direction, what counts as better.

    Parameters
    ----------
    monitor : str
        A history column: ``"val_loss"``, ``"val_score"``, ``"train_loss"``,
        ``"train_score"``, or ``"train_objective"`` (the training loss plus the
        penalties); ``"val_accuracy"`` and ``"train_accuracy"`` are accepted as
        aliases of the scores.
    mode : {"auto", "min", "max"}
        ``"auto"`` picks ``"max"`` for scores and accuracies and ``"min"`` otherwise.
    min_delta : float
        The smallest change that counts as an improvement.
    """

    _ALIASES = {"val_accuracy": "val_score", "train_accuracy": "train_score",
                "val_r2": "val_score", "train_r2": "train_score"}
    _COLUMNS = ("train_loss", "val_loss", "train_score", "val_score", "train_objective")

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0):
        owner = type(self).__name__
        check_option(monitor, "monitor", owner, (*self._COLUMNS, *self._ALIASES))
        column = self._ALIASES.get(monitor, monitor)
        mode = check_option(mode, "mode", owner, ("auto", "min", "max"))
        self.monitor, self.column = monitor, column
        self.mode = _default_mode(column) if mode == "auto" else mode
        self.min_delta = check_number(min_delta, "min_delta", owner)

    def is_improvement(self, current, best) -> bool:
        if not math.isfinite(current):
            return False
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def _worst(self):
        return math.inf if self.mode == "min" else -math.inf

    def _value(self, logs):
        # The trainer leaves the val_ columns out of the logs when it has no validation
        # data; a present but non-finite value (divergence) is simply no improvement.
        if self.column not in logs and self.column.startswith("val_"):
            raise ParameterError(f"{type(self).__name__} monitors {self.monitor!r} but training "
                                 "has no validation data; pass validation data or monitor "
                                 "'train_loss'")
        return float(logs.get(self.column, math.nan))


class _BestEpochMonitor(MonitorCallback):
    """A monitor that remembers its best epoch and, with ``restore_best``, that epoch's
    whole model state (parameters and buffers), restored when training ends."""

    restore_best = False

    def _forget_best(self):
        self.best = self._worst()
        self.best_epoch = None
        self.best_state = None

    def _record_best(self, trainer, value, epoch):
        self.best, self.best_epoch = value, epoch
        if self.restore_best:
            self.best_state = trainer.snapshot(self.best_state)

    def on_train_end(self, trainer):
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
            trainer.restored_epoch = self.best_epoch


class EarlyStopping(_BestEpochMonitor):
    """Stop when the monitored metric has not improved for ``patience`` epochs.

    Keras' semantics: an epoch improves when it beats the best so far by more
    than ``min_delta``; after ``patience`` epochs in a row without improvement,
    training stops. Epochs before ``start_from_epoch`` are not judged.

    With ``restore_best=True`` the *whole* model state — weights, normalisation
    gamma/beta and running statistics — of the best epoch is restored when
    training ends, however it ends (stopped early, epoch limit, divergence,
    ``KeyboardInterrupt``).

    Attributes
    ----------
    best : float
    best_epoch : int or None
        1-based epoch of the best value.
    stopped_epoch : int or None
    """

    def __init__(self, monitor="val_loss", mode="auto", patience=10, min_delta=0.0,
                 start_from_epoch=0, restore_best=True):
        super().__init__(monitor, mode, min_delta)
        self.patience = check_int(patience, "patience", "EarlyStopping", minimum=0)
        self.start_from_epoch = check_int(start_from_epoch, "start_from_epoch", "EarlyStopping",
                                          minimum=0)
        self.restore_best = bool(restore_best)

    def on_train_begin(self, trainer):
        self._forget_best()
        self.wait = 0
        self.stopped_epoch = None

    def on_epoch_end(self, trainer, logs):
        epoch = logs["epoch"]
        if epoch <= self.start_from_epoch:
            return
        current = self._value(logs)
        if self.is_improvement(current, self.best):
            self._record_best(trainer, current, epoch)
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

class NoImprovementStopping(_BestEpochMonitor):
    """scikit-learn's MLP stopping rule, for drop-in fidelity.

    An epoch counts as "no improvement" unless the metric beats the best so far
    by at least ``tol``; the best is updated on *any* improvement. When more than
    ``n_iter_no_change`` such epochs have passed in a row, training stops — or,
    with ``adaptive=True`` (scikit-learn's ``learning_rate="adaptive"``), the
    learning rate is divided by 5 and counting restarts, until it falls to 1e-6.
    With ``restore_best=True`` the state of the best epoch is restored at the end
    (scikit-learn does so when early stopping on a validation score).
    """

    def __init__(self, monitor="train_loss", tol=1e-4, n_iter_no_change=10, adaptive=False,
                 restore_best=False):
        super().__init__(monitor, "auto", 0.0)
        self.tol = check_number(tol, "tol", "NoImprovementStopping")
        self.n_iter_no_change = check_int(n_iter_no_change, "n_iter_no_change",
                                          "NoImprovementStopping", minimum=1)
        self.adaptive = bool(adaptive)
        self.restore_best = bool(restore_best)

    def on_train_begin(self, trainer):
        self._forget_best()
        self.count = 0

    def on_epoch_end(self, trainer, logs):
        current = self._value(logs)
        # Written so that a non-finite metric counts as no improvement.
        if self.mode == "min":
            no_improvement = not current <= self.best - self.tol
            better = current < self.best
        else:
            no_improvement = not current >= self.best + self.tol
            better = current > self.best
        self.count = self.count + 1 if no_improvement else 0
        if better:
            self._record_best(trainer, current, logs["epoch"])
        if self.count > self.n_iter_no_change:
            if self.adaptive and trainer.lr > 1e-6:
                trainer.lr_scale /= 5.0
                self.count = 0
            else:
                trainer.stop_training = True


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when the metric plateaus.

    Uses the rules of :class:`fitwell.schedules.ReduceLROnPlateau` (PyTorch's),
    applied as a multiplier on whatever schedule the trainer follows.
    """

    def __init__(self, monitor="val_loss", mode="auto", factor=0.1, patience=10,
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        self._rule_args = dict(mode=self.mode, factor=factor, patience=patience,
                               threshold=self.min_delta, threshold_mode="abs",
                               cooldown=cooldown)
        _PlateauRule(1.0, **self._rule_args)  # validate now, not at the first epoch
        self.min_lr = check_number(min_lr, "min_lr", "ReduceLROnPlateau")

    def on_train_begin(self, trainer):
        self.rule = _PlateauRule(1.0, **self._rule_args)

    def on_epoch_end(self, trainer, logs):
        scale = self.rule.step(self._value(logs))
        base = trainer.base_lr()
        if base * scale < self.min_lr:
            # Clamp at min_lr (never raising the rate) as Keras and PyTorch do.
            scale = min(trainer.lr_scale, self.min_lr / base) if base > 0 else trainer.lr_scale
        trainer.lr_scale = scale


class TerminateOnNaN(Callback):
    """Stop at the first non-finite batch loss (or non-finite state) and warn.

    On by default in the :class:`Trainer`. The parameters are then garbage, so the
    trainer restores the best state it knows: an :class:`EarlyStopping`'s best
    epoch if there is one; otherwise whichever of the state at the start of
    training and the state after the epoch with the lowest training objective
    has the lower loss on the training data (a tie goes to the trained state).
    ``trainer.restored_epoch`` is that
    epoch (0 for the starting state) and ``trainer.restored_loss`` its training
    loss. An epoch whose parameters or buffers are non-finite is a divergence
    too. Costs one state copy at the start and one per improving epoch.
    """

    def on_train_begin(self, trainer):
        self.initial = trainer.snapshot()
        self.best_objective = math.inf
        self.best_epoch = None
        self.best_state = None

    def on_batch_end(self, trainer, loss):
        if not math.isfinite(loss):
            trainer.stop_training = True
            trainer.diverged = True

    def on_epoch_end(self, trainer, logs):
        if trainer.diverged:
            return
        # The epoch's last step may have left non-finite parameters behind a finite loss.
        state = {**trainer.model.params, **trainer.model.buffers}
        if not all(np.isfinite(value).all() for value in state.values()):
            trainer.stop_training = trainer.diverged = True
            return
        objective = logs.get("train_objective", logs.get("train_loss", math.nan))
        if objective < self.best_objective:
            self.best_objective, self.best_epoch = objective, logs["epoch"]
            self.best_state = trainer.snapshot(self.best_state)

    def _training_loss(self, trainer):
        with np.errstate(all="ignore"):
            value, _ = trainer.evaluate(*trainer.train_data)
        return float(value) if math.isfinite(value) else math.inf

    def on_train_end(self, trainer):
        if not trainer.diverged:
            return
        if trainer.restored_epoch is None:
            candidates = [(0, self.initial)]
            if self.best_state is not None:
                candidates.append((self.best_epoch, self.best_state))
            losses = []
            for epoch, state in candidates:
                trainer.model.load_state_dict(state)
                losses.append((self._training_loss(trainer), epoch, state))
            loss, epoch, state = min(losses, key=lambda item: (item[0], -item[1]))
            trainer.model.load_state_dict(state)
            trainer.restored_epoch = epoch
        trainer.restored_loss = self._training_loss(trainer)
        restored = "the initial state" if trainer.restored_epoch == 0 else \
            f"the state after epoch {trainer.restored_epoch}"
        warnings.warn(
            f"training diverged (non-finite loss or weights) after {trainer.epoch} complete "
            f"epochs at learning rate {trainer.lr:.3g}; stopped and restored {restored} "
            f"(training loss {trainer.restored_loss:.4g}). Lower the learning rate, add "
            "gradient clipping (clip_grad_norm) or scale the data.",
            DivergenceWarning, stacklevel=2,
        )


class ProgressBar(Callback):
    """A tqdm progress bar over epochs with the latest metrics; silent when the
    stream is not a terminal (unless ``force=True``)."""

    def __init__(self, stream=None, force=False, description="training"):
        self.stream = stream
        self.force = force
        self.description = description

    def on_train_begin(self, trainer):
        from tqdm.auto import tqdm

        stream = self.stream or sys.stderr
        enabled = self.force or (hasattr(stream, "isatty") and stream.isatty())
        self.bar = tqdm(total=trainer.max_epochs, desc=self.description, file=stream,
                        disable=not enabled, leave=False, unit="epoch")

    def on_epoch_end(self, trainer, logs):
        # The val_ columns are absent without validation data; NaN ones are left out.
        shown = {k: f"{logs[k]:.4f}" for k in ("train_loss", "val_loss", "val_score")
                 if k in logs and math.isfinite(logs[k])}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, trainer):
        self.bar.close()


class EpochLog(Callback):
    """scikit-learn's verbose lines, one per epoch: ``Iteration N, loss = …`` (the
    training objective, as ``loss_curve_`` holds it) and, with validation data,
    ``Validation score: …``; written to ``stream`` (standard output by default,
    where scikit-learn prints them)."""

    def __init__(self, stream=None):
        self.stream = stream

    def on_epoch_end(self, trainer, logs):
        stream = self.stream or sys.stdout
        stream.write(f"Iteration {logs['epoch']}, loss = {logs['train_objective']:.8f}\n")
        if "val_score" in logs:
            stream.write(f"Validation score: {logs['val_score']:f}\n")
