"""Callbacks driven by scripted metrics, Keras-style: no training, a fake trainer.

The fake trainer's whole "model" is one number, set to the epoch that last wrote
it, so a restored state says which epoch it came from.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitwell import nn, optim
from fitwell.errors import ParameterError
from fitwell.training import (
    Callback,
    DivergenceWarning,
    EarlyStopping,
    EpochLog,
    MonitorCallback,
    NoImprovementStopping,
    ProgressBar,
    ReduceLROnPlateau,
    TerminateOnNaN,
    Trainer,
)

NAN = math.nan


class FakeModel:
    """State is one parameter ``w`` and one buffer ``b``."""

    def __init__(self):
        self.params = {"w": np.zeros(1)}
        self.buffers = {"b": np.zeros(1)}

    def state_dict(self):
        return {"w": self.params["w"].copy(), "b": self.buffers["b"].copy()}

    def load_state_dict(self, state):
        np.copyto(self.params["w"], state["w"])
        np.copyto(self.buffers["b"], state["b"])

    @property
    def epoch_of_state(self):
        return int(self.params["w"][0])


class FakeTrainer:
    """The parts of :class:`Trainer` that callbacks touch."""

    def __init__(self, base_lr=0.1):
        self.model = FakeModel()
        self._base_lr = base_lr
        self.lr_scale = 1.0
        self.stop_training = self.diverged = False
        self.restored_epoch = self.restored_loss = None
        self.epoch = 0
        # The training loss of a state, scripted by its w: evaluate() looks it up.
        self.train_data = ()
        self.loss_of_state = {}

    def evaluate(self, *data):
        w = self.model.params["w"][0]
        return self.loss_of_state.get(w, math.nan if not np.isfinite(w) else abs(w)), NAN

    def base_lr(self):
        return self._base_lr

    @property
    def lr(self):
        return self.base_lr() * self.lr_scale

    def snapshot(self, into=None):
        return Trainer.snapshot(self, into)  # the real copy logic


def epoch_logs(epoch, validation=True, **values):
    """A row as the trainer passes it: every column, the val_ ones only with validation."""
    logs = {"epoch": epoch, "train_loss": NAN, "train_score": NAN, "lr": NAN, "time": 0.0}
    if validation:
        logs.update(val_loss=NAN, val_score=NAN)
    logs.update(values)
    return logs


def drive(callbacks, values, column="val_loss", trainer=None, validation=True, lrs=None):
    """Run ``callbacks`` over scripted ``values`` of ``column``; return the trainer.

    ``lrs`` collects the learning rate in force during each epoch.
    """
    trainer = trainer or FakeTrainer()
    callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
    for callback in callbacks:
        callback.on_train_begin(trainer)
    for epoch, value in enumerate(values, start=1):
        if lrs is not None:
            lrs.append(trainer.lr)
        trainer.model.params["w"][0] = epoch  # "training" writes the state
        trainer.model.buffers["b"][0] = -epoch
        trainer.epoch = epoch
        logs = epoch_logs(epoch, validation, **{column: value})
        for callback in callbacks:
            callback.on_epoch_end(trainer, logs)
        if trainer.stop_training:
            break
    for callback in callbacks:
        callback.on_train_end(trainer)
    return trainer


# -- EarlyStopping ------------------------------------------------------------------------------

def test_early_stopping_patience_counts_epochs_without_improvement():
    es = EarlyStopping(patience=3)
    trainer = drive(es, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.4])
    assert trainer.epoch == 5 and trainer.stop_training
    assert es.stopped_epoch == 5
    assert es.best_epoch == 2 and es.best == 0.9
    assert trainer.model.epoch_of_state == 2          # parameters restored …
    assert trainer.model.buffers["b"][0] == -2        # … and buffers
    assert trainer.restored_epoch == 2


def test_early_stopping_improvement_resets_the_wait():
    es = EarlyStopping(patience=2)
    trainer = drive(es, [1.0, 1.1, 0.9, 1.1, 0.8, 1.1, 1.2, 0.1])
    assert es.best_epoch == 5 and es.stopped_epoch == 7 and trainer.epoch == 7


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    es = EarlyStopping(patience=0)
    trainer = drive(es, [3.0, 2.0, 2.0, 1.0])
    assert trainer.epoch == 3 and es.best_epoch == 2


@pytest.mark.parametrize("monitor, mode, values, best_epoch", [
    ("val_loss", "auto", [0.5, 0.3, 0.4, 0.6, 0.7], 2),
    ("val_score", "auto", [0.5, 0.8, 0.7, 0.6, 0.6], 2),
    ("val_accuracy", "auto", [0.5, 0.8, 0.7, 0.6, 0.6], 2),
    ("train_loss", "auto", [0.5, 0.3, 0.4, 0.6, 0.7], 2),
    ("train_score", "auto", [0.1, 0.9, 0.8, 0.8, 0.8], 2),
    ("val_loss", "max", [0.5, 0.8, 0.7, 0.6, 0.6], 2),     # explicit mode beats the name
    ("val_score", "min", [0.5, 0.3, 0.4, 0.6, 0.7], 2),
    ("val_loss", "min", [0.5, 0.3, 0.4, 0.6, 0.7], 2),
    ("val_score", "max", [0.5, 0.8, 0.7, 0.6, 0.6], 2),
])
def test_early_stopping_monitor_and_mode(monitor, mode, values, best_epoch):
    es = EarlyStopping(monitor=monitor, mode=mode, patience=3)
    column = {"val_accuracy": "val_score"}.get(monitor, monitor)
    trainer = drive(es, values, column=column)
    assert es.best_epoch == best_epoch
    assert trainer.epoch == best_epoch + 3
    assert trainer.model.epoch_of_state == best_epoch


@pytest.mark.parametrize("monitor, expected", [
    ("val_loss", "min"), ("train_loss", "min"), ("val_score", "max"), ("train_score", "max"),
    ("val_accuracy", "max"), ("train_accuracy", "max"), ("val_r2", "max"),
])
def test_auto_mode_follows_the_metric_name(monitor, expected):
    assert EarlyStopping(monitor=monitor).mode == expected
    assert ReduceLROnPlateau(monitor=monitor).mode == expected


def test_early_stopping_min_delta():
    # 0.97 and 0.96 beat the best by less than min_delta: neither counts.
    es = EarlyStopping(patience=2, min_delta=0.05)
    trainer = drive(es, [1.0, 0.97, 0.96, 0.5])
    assert trainer.epoch == 3 and es.best_epoch == 1
    # Without min_delta they do.
    es = EarlyStopping(patience=2)
    trainer = drive(es, [1.0, 0.97, 0.96, 0.99])
    assert not trainer.stop_training and es.best_epoch == 3
    # The change is measured from the best, not from the previous epoch.
    es = EarlyStopping(patience=2, min_delta=0.05)
    drive(es, [1.0, 0.97, 0.94, 0.99])
    assert es.best_epoch == 3 and es.best == 0.94


def test_early_stopping_min_delta_boundary_is_not_an_improvement():
    # Keras: an improvement must exceed min_delta strictly.
    for mode, values, just_better in (("min", [1.0, 0.5], 0.49), ("max", [0.5, 1.0], 1.01)):
        es = EarlyStopping(mode=mode, patience=5, min_delta=0.5)
        drive(es, values)
        assert es.best_epoch == 1
        assert es.is_improvement(just_better, values[0])


def test_early_stopping_start_from_epoch_ignores_warm_up_epochs():
    # The first three epochs are not judged, however good they look.
    es = EarlyStopping(patience=1, start_from_epoch=3)
    trainer = drive(es, [0.1, 0.2, 0.3, 1.0, 0.9, 0.95, 0.99])
    assert es.best_epoch == 5 and es.best == 0.9
    assert trainer.epoch == 6
    assert trainer.model.epoch_of_state == 5


def test_early_stopping_does_not_stop_during_warm_up():
    es = EarlyStopping(patience=0, start_from_epoch=4)
    trainer = drive(es, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert es.best_epoch == 5 and trainer.epoch == 6


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_restore_best(restore):
    es = EarlyStopping(patience=2, restore_best=restore)
    trainer = drive(es, [1.0, 0.5, 0.7, 0.8, 0.9])
    assert trainer.epoch == 4
    assert trainer.model.epoch_of_state == (2 if restore else 4)
    assert trainer.restored_epoch == (2 if restore else None)


def test_early_stopping_restores_at_the_epoch_limit_too():
    es = EarlyStopping(patience=10)
    trainer = drive(es, [3.0, 2.0, 1.0, 1.5, 1.6])
    assert not trainer.stop_training and es.stopped_epoch is None
    assert trainer.model.epoch_of_state == 3 and trainer.restored_epoch == 3


def test_early_stopping_nan_is_never_an_improvement():
    es = EarlyStopping(patience=2)
    trainer = drive(es, [NAN, 1.0, NAN, NAN])
    assert es.best_epoch == 2 and trainer.epoch == 4 and trainer.model.epoch_of_state == 2
    es = EarlyStopping(patience=5)
    trainer = drive(es, [NAN, math.inf, NAN])
    assert es.best_epoch is None and trainer.restored_epoch is None
    assert trainer.model.epoch_of_state == 3  # nothing to restore


def test_early_stopping_state_is_reset_by_each_fit():
    es = EarlyStopping(patience=1)
    drive(es, [0.1, 0.2, 0.3])
    trainer = drive(es, [5.0, 4.0, 3.0, 2.0])
    assert es.best == 2.0 and es.best_epoch == 4 and not trainer.stop_training


def test_early_stopping_snapshot_is_a_copy():
    es = EarlyStopping(patience=5)
    trainer = drive(es, [1.0, 2.0, 3.0])
    assert es.best_state["w"][0] == 1 and trainer.model.epoch_of_state == 1
    assert es.best_state["w"] is not trainer.model.params["w"]


@pytest.mark.parametrize("cls", [EarlyStopping, NoImprovementStopping, ReduceLROnPlateau])
@pytest.mark.parametrize("monitor", ["val_loss", "val_score", "val_accuracy"])
def test_monitoring_validation_metric_without_validation_data_is_a_clear_error(cls, monitor):
    callback = cls(monitor=monitor)
    with pytest.raises(ValueError, match="no validation data"):
        drive(callback, [1.0, 0.5], column="train_loss", validation=False)


def test_a_non_finite_validation_value_is_not_mistaken_for_missing_validation():
    es = EarlyStopping(patience=1)
    trainer = drive(es, [1.0, NAN, NAN])
    assert trainer.epoch == 2 and es.best_epoch == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"patience": -1}, "patience"),
    ({"patience": 1.5}, "patience"),
    ({"patience": True}, "patience"),
    ({"start_from_epoch": -2}, "start_from_epoch"),
    ({"start_from_epoch": "3"}, "start_from_epoch"),
    ({"mode": "bigger"}, "mode must be one of 'auto', 'min', 'max', got 'bigger'"),
    ({"monitor": "val_auc"}, "monitor must be one of"),
    ({"monitor": "loss"}, "got 'loss'"),
    ({"min_delta": -0.1}, r"min_delta must be a number in \[0, inf\), got -0\.1"),
    ({"min_delta": "0.1"}, "min_delta"),
    ({"min_delta": math.nan}, "min_delta"),
])
def test_early_stopping_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        EarlyStopping(**kwargs)


def test_monitor_base_is_reusable():
    class Best(MonitorCallback):
        def on_train_begin(self, trainer):
            self.seen = []

        def on_epoch_end(self, trainer, logs):
            self.seen.append(self._value(logs))

    callback = Best(monitor="val_accuracy", min_delta=0.1)
    assert callback.mode == "max" and callback.column == "val_score"
    assert callback.is_improvement(0.75, 0.6) and not callback.is_improvement(0.7, 0.6)
    assert not callback.is_improvement(NAN, 0.0)
    drive(callback, [0.1, 0.2], column="val_score")
    assert callback.seen == [0.1, 0.2]


# -- NoImprovementStopping (scikit-learn's rule) -------------------------------------------------

def sklearn_rule(values, tol, n_iter_no_change, maximise, adaptive=False, lr=1e-3):
    """scikit-learn's MLP loop (_update_no_improvement_count + trigger_stopping), transcribed.

    Returns (epochs run, best epoch, learning rate in force during each epoch).
    """
    best = -np.inf if maximise else np.inf
    best_epoch = None
    count = 0
    lrs = []
    for epoch, value in enumerate(values, start=1):
        lrs.append(lr)
        if maximise:
            count = count + 1 if value < best + tol else 0
            if value > best:
                best, best_epoch = value, epoch
        else:
            count = count + 1 if value > best - tol else 0
            if value < best:
                best, best_epoch = value, epoch
        if count > n_iter_no_change:
            if not adaptive or lr <= 1e-6:
                return epoch, best_epoch, lrs
            lr /= 5.0
            count = 0
    return len(values), best_epoch, lrs


def test_no_improvement_stops_after_more_than_n_iter_no_change_epochs():
    rule = NoImprovementStopping(tol=1e-4, n_iter_no_change=2)
    trainer = drive(rule, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0], column="train_loss")
    # epoch 1 improves on inf; epochs 2, 3, 4 do not: the third ("more than 2") stops.
    assert trainer.epoch == 4 and rule.best_epoch == 1


def test_no_improvement_tol_is_not_met_by_small_improvements():
    rule = NoImprovementStopping(tol=0.1, n_iter_no_change=1)
    trainer = drive(rule, [1.0, 0.95, 0.91, 0.5], column="train_loss")
    # 0.95 and 0.91 improve (the best follows them) but by less than tol each.
    assert trainer.epoch == 3 and rule.best == 0.91 and rule.best_epoch == 3


def test_no_improvement_on_validation_score_restores_best():
    rule = NoImprovementStopping(monitor="val_score", n_iter_no_change=2, restore_best=True)
    trainer = drive(rule, [0.5, 0.9, 0.85, 0.9, 0.9, 0.95], column="val_score")
    assert rule.mode == "max"
    assert trainer.epoch == 5 and rule.best_epoch == 2
    assert trainer.model.epoch_of_state == 2 and trainer.restored_epoch == 2


def test_no_improvement_does_not_restore_by_default():
    rule = NoImprovementStopping(n_iter_no_change=1)
    trainer = drive(rule, [1.0, 2.0, 3.0], column="train_loss")
    assert trainer.model.epoch_of_state == 3 and trainer.restored_epoch is None


def test_no_improvement_counts_a_nan_as_no_improvement():
    rule = NoImprovementStopping(monitor="val_loss", n_iter_no_change=1)
    trainer = drive(rule, [1.0, NAN, NAN, NAN])
    assert trainer.epoch == 3 and rule.best_epoch == 1


def test_no_improvement_adaptive_divides_the_rate_by_five():
    rule = NoImprovementStopping(n_iter_no_change=1, adaptive=True)
    trainer = FakeTrainer(base_lr=1e-3)
    lrs = []
    drive(rule, [1.0] * 30, column="train_loss", trainer=trainer, lrs=lrs)
    # Every 2 epochs without improvement: /5, until the rate is <= 1e-6, then stop.
    assert lrs[:3] == [1e-3] * 3
    assert lrs[3] == pytest.approx(2e-4) and lrs[5] == pytest.approx(4e-5)
    assert trainer.lr == pytest.approx(1e-3 / 5 ** 5) and trainer.lr <= 1e-6
    assert trainer.stop_training and trainer.epoch == 2 * 6 + 1


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0.0, 2.0).map(lambda v: round(v, 2)), min_size=1, max_size=40),
       tol=st.sampled_from([0.0, 1e-4, 0.05]),
       n_iter_no_change=st.integers(1, 5),
       maximise=st.booleans(), adaptive=st.booleans())
def test_no_improvement_matches_scikit_learn(values, tol, n_iter_no_change, maximise, adaptive):
    column = "val_score" if maximise else "train_loss"
    rule = NoImprovementStopping(monitor=column, tol=tol, n_iter_no_change=n_iter_no_change,
                                 adaptive=adaptive)
    trainer = FakeTrainer(base_lr=1e-5)
    lrs = []
    drive(rule, values, column=column, trainer=trainer, lrs=lrs)
    epochs, best_epoch, expected_lrs = sklearn_rule(values, tol, n_iter_no_change, maximise,
                                                    adaptive, lr=1e-5)
    assert trainer.epoch == epochs
    assert rule.best_epoch == best_epoch
    np.testing.assert_allclose(lrs, expected_lrs, rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"tol": -1e-4}, r"tol must be a number in \[0, inf\), got -0\.0001"),
    ({"tol": "small"}, "tol"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be an integer >= 1"),
    ({"n_iter_no_change": 2.5}, "n_iter_no_change"),
    ({"monitor": "accuracy"}, "monitor"),
])
def test_no_improvement_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        NoImprovementStopping(**kwargs)


# -- ReduceLROnPlateau (callback) -----------------------------------------------------------------

def test_plateau_reduces_after_more_than_patience_bad_epochs():
    # PyTorch's counting: reduce when num_bad_epochs > patience.
    callback = ReduceLROnPlateau(factor=0.5, patience=2)
    lrs = []
    trainer = drive(callback, [1.0] * 8, lrs=lrs)
    assert lrs == pytest.approx([0.1] * 4 + [0.05] * 3 + [0.025])
    assert trainer.lr == pytest.approx(0.025)


def test_plateau_min_delta_is_absolute():
    callback = ReduceLROnPlateau(factor=0.5, patience=0, min_delta=0.1)
    lrs = []
    drive(callback, [1.0, 0.95, 0.7, 0.65], lrs=lrs)
    # 0.95 is not 0.1 better than 1.0 (reduce); 0.7 is (keep); 0.65 is not (reduce).
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05])
    assert callback.rule.best == 0.7


def test_plateau_watches_scores_in_max_mode():
    callback = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=0)
    lrs = []
    drive(callback, [0.5, 0.6, 0.7, 0.7, 0.8], column="val_score", lrs=lrs)
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05])


def test_plateau_cooldown():
    callback = ReduceLROnPlateau(factor=0.5, patience=0, cooldown=2)
    lrs = []
    drive(callback, [1.0] * 7, lrs=lrs)
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])


def test_plateau_clamps_at_min_lr():
    callback = ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.005)
    trainer = FakeTrainer(base_lr=0.1)
    lrs = []
    drive(callback, [1.0] * 6, trainer=trainer, lrs=lrs)
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.005, 0.005, 0.005])
    assert trainer.lr == pytest.approx(0.005)


def test_plateau_multiplies_whatever_schedule_the_trainer_follows():
    callback = ReduceLROnPlateau(factor=0.5, patience=0)
    trainer = FakeTrainer(base_lr=0.4)
    drive(callback, [1.0, 1.0, 1.0], trainer=trainer)
    assert trainer.lr_scale == pytest.approx(0.25) and trainer.lr == pytest.approx(0.1)


@pytest.mark.parametrize("kwargs, match", [
    ({"factor": 1.0}, "factor"),
    ({"factor": 1.5}, "factor"),
    ({"factor": -0.1}, "factor"),
    ({"patience": -1}, "patience"),
    ({"cooldown": -1}, "cooldown"),
    ({"min_lr": -1e-3}, r"min_lr must be a number in \[0, inf\), got -0\.001"),
    ({"min_delta": -1.0}, "min_delta"),
    ({"mode": "up"}, "mode"),
    ({"monitor": "lr"}, "monitor"),
])
def test_plateau_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        ReduceLROnPlateau(**kwargs)


# -- TerminateOnNaN ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan_stops_warns_and_restores_the_best_epoch(bad):
    callback = TerminateOnNaN()
    trainer = FakeTrainer()
    trainer.model.params["w"][0] = 9  # the initial state: training loss 9
    callback.on_train_begin(trainer)
    for epoch, objective in ((1, 0.5), (2, 0.3), (3, 0.4)):
        trainer.model.params["w"][0] = epoch  # the state after epoch k has training loss k
        callback.on_batch_end(trainer, objective)
        callback.on_epoch_end(trainer, epoch_logs(epoch, train_objective=objective))
    assert not trainer.stop_training
    trainer.model.params["w"][0] = np.nan  # epoch 4 diverges
    callback.on_batch_end(trainer, bad)
    assert trainer.stop_training and trainer.diverged
    with pytest.warns(DivergenceWarning, match=r"diverged .*restored the state after epoch 2"):
        callback.on_train_end(trainer)
    # the epoch with the lowest objective, not the last finite one
    assert trainer.model.epoch_of_state == 2
    assert trainer.restored_epoch == 2 and trainer.restored_loss == 2


def test_terminate_on_nan_restores_the_initial_state_when_it_is_better():
    # After a step of learning rate 1e6 the best epoch's own state may already be
    # exploded: its training loss decides, not the loss averaged during the epoch.
    callback = TerminateOnNaN()
    trainer = FakeTrainer()
    trainer.model.params["w"][0] = 5
    callback.on_train_begin(trainer)
    trainer.model.params["w"][0] = 1e24
    callback.on_epoch_end(trainer, epoch_logs(1, train_objective=3.0))
    callback.on_batch_end(trainer, math.inf)
    with pytest.warns(DivergenceWarning, match="restored the initial state"):
        callback.on_train_end(trainer)
    assert trainer.model.epoch_of_state == 5
    assert trainer.restored_epoch == 0 and trainer.restored_loss == 5


def test_terminate_on_nan_in_the_first_epoch_restores_the_initial_state():
    callback = TerminateOnNaN()
    trainer = FakeTrainer()
    trainer.model.params["w"][0] = -7
    callback.on_train_begin(trainer)
    trainer.model.params["w"][0] = np.inf
    callback.on_batch_end(trainer, math.nan)
    with pytest.warns(DivergenceWarning):
        callback.on_train_end(trainer)
    assert trainer.model.epoch_of_state == -7 and trainer.restored_epoch == 0


@pytest.mark.parametrize("where", ["params", "buffers"])
def test_terminate_on_nan_catches_a_non_finite_state_behind_a_finite_loss(where):
    callback = TerminateOnNaN()
    trainer = FakeTrainer()
    trainer.model.params["w"][0] = 8
    callback.on_train_begin(trainer)
    trainer.model.params["w"][0] = 1
    callback.on_epoch_end(trainer, epoch_logs(1, train_objective=0.3))
    # the epoch's last step blew up (a weight, or a batch norm running statistic) …
    getattr(trainer.model, where)["w" if where == "params" else "b"][0] = np.nan
    callback.on_batch_end(trainer, 0.3)     # … after its loss was computed
    callback.on_epoch_end(trainer, epoch_logs(2, train_objective=0.2))
    assert trainer.stop_training and trainer.diverged
    with pytest.warns(DivergenceWarning):
        callback.on_train_end(trainer)
    assert trainer.model.epoch_of_state == 1
    assert np.isfinite(trainer.model.buffers["b"]).all()


def test_terminate_on_nan_leaves_an_early_stopping_restore_alone():
    es = EarlyStopping(patience=10)
    nan_guard = TerminateOnNaN()
    trainer = FakeTrainer()
    for callback in (es, nan_guard):
        callback.on_train_begin(trainer)
    for epoch, value in ((1, 0.5), (2, 0.4), (3, 0.9)):
        trainer.model.params["w"][0] = epoch
        for callback in (es, nan_guard):
            callback.on_epoch_end(trainer, epoch_logs(epoch, val_loss=value))
    nan_guard.on_batch_end(trainer, math.nan)
    with pytest.warns(DivergenceWarning):
        for callback in (es, nan_guard):   # the trainer runs TerminateOnNaN last
            callback.on_train_end(trainer)
    assert trainer.model.epoch_of_state == 2 and trainer.restored_epoch == 2


def test_terminate_on_nan_is_silent_when_training_is_fine():
    callback = TerminateOnNaN()
    trainer = drive(callback, [1.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        callback.on_train_end(trainer)
    assert not trainer.diverged and trainer.model.epoch_of_state == 2


def _tiny_trainer(**kwargs):
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 2, rng=rng, dtype=np.float64))
    return Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.params, lr=0.1), **kwargs)


def test_trainer_adds_terminate_on_nan_and_runs_it_last():
    es = EarlyStopping()
    trainer = _tiny_trainer(callbacks=[TerminateOnNaN(), es])
    assert trainer.callbacks[0] is es and isinstance(trainer.callbacks[-1], TerminateOnNaN)
    trainer = _tiny_trainer(callbacks=[es])
    assert sum(isinstance(c, TerminateOnNaN) for c in trainer.callbacks) == 1
    assert isinstance(trainer.callbacks[-1], TerminateOnNaN)
    trainer = _tiny_trainer(callbacks=[es], terminate_on_nan=False)
    assert trainer.callbacks == [es]


# -- other hooks ---------------------------------------------------------------------------------

def test_base_callback_hooks_are_no_ops():
    callback = Callback()
    trainer = drive(callback, [1.0, 2.0])
    assert trainer.epoch == 2 and not trainer.stop_training
    assert not hasattr(callback, "on_batch_end")


def test_progress_bar_writes_to_a_forced_stream():
    import io

    stream = io.StringIO()
    bar = ProgressBar(stream=stream, force=True, description="fitting")
    trainer = FakeTrainer()
    trainer.max_epochs = 3
    drive(bar, [1.0, 0.5, 0.25], trainer=trainer)
    assert "fitting" in stream.getvalue()


def test_progress_bar_without_validation_data_shows_the_training_loss():
    # Without validation data the trainer leaves the val_ columns out of the logs.
    import io

    stream = io.StringIO()
    trainer = FakeTrainer()
    trainer.max_epochs = 2
    drive(ProgressBar(stream=stream, force=True), [1.0, 0.5], column="train_loss",
          trainer=trainer, validation=False)  # raised KeyError: 'val_loss'
    assert "training" in stream.getvalue()


def test_progress_bar_is_silent_off_a_terminal():
    import io

    stream = io.StringIO()
    trainer = FakeTrainer()
    trainer.max_epochs = 2
    drive(ProgressBar(stream=stream), [1.0, 0.5], trainer=trainer)
    assert stream.getvalue() == ""


def test_epoch_log_prints_scikit_learns_verbose_lines():
    import io

    stream = io.StringIO()
    log = EpochLog(stream=stream)
    log.on_epoch_end(None, {"epoch": 3, "train_objective": 0.123456789})
    log.on_epoch_end(None, {"epoch": 4, "train_objective": 0.1, "val_score": 0.5})
    assert stream.getvalue() == ("Iteration 3, loss = 0.12345679\n"
                                 "Iteration 4, loss = 0.10000000\nValidation score: 0.500000\n")


def test_a_score_of_overflowing_outputs_is_nan():
    trainer = _tiny_trainer(score=lambda outputs, y: -math.inf)
    X, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    assert math.isnan(trainer.evaluate(X, y)[1])
    assert math.isnan(trainer._score(np.full((4, 2), np.inf), y))
