"""The training loop, with real (tiny) training.

A :class:`Recorder` callback keeps the model's inference outputs and full state
at the end of every epoch, so a restored model can be compared bit for bit with
the epoch it claims to be.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fitwell import FitwellClassifier, nn, optim, schedules
from fitwell._threads import blas_threads
from fitwell.training import (
    Callback,
    DivergenceWarning,
    EarlyStopping,
    ReduceLROnPlateau,
    Trainer,
    accuracy_from_logits,
)
from fitwell.training.augment import GaussianNoise

N_FEATURES, N_CLASSES = 6, 3


def make_data(n, seed, label_noise=0.0):
    """Three Gaussian blobs; ``label_noise`` of the labels replaced at random."""
    centres = np.random.default_rng(123).standard_normal((N_CLASSES, N_FEATURES)) * 1.2
    rng = np.random.default_rng(seed)
    y = np.arange(n) % N_CLASSES
    X = centres[y] + rng.standard_normal((n, N_FEATURES))
    noisy = rng.random(n) < label_noise
    y = np.where(noisy, rng.integers(0, N_CLASSES, n), y)
    return X.astype(np.float32), y.astype(np.intp)


X_TRAIN, Y_TRAIN = make_data(96, seed=1)
# Noisy validation labels: the validation loss turns up once the model grows confident,
# so the best epoch is not the last one.
X_VAL, Y_VAL = make_data(60, seed=2, label_noise=0.5)


def make_model(seed=0, batch_norm=True, dropout=0.1, width=32):
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(N_FEATURES, width, rng=rng)]
    if batch_norm:
        layers.append(nn.BatchNorm(width))
    layers.append(nn.ReLU())
    if dropout:
        layers.append(nn.Dropout(dropout, rng=np.random.default_rng(seed + 1000)))
    layers.append(nn.Linear(width, N_CLASSES, rng=rng))
    return nn.Sequential(*layers)


def make_trainer(model=None, lr=0.05, optimizer=None, seed=0, **kwargs):
    model = model if model is not None else make_model()
    optimizer = optimizer if optimizer is not None else optim.Adam(model.params, lr=lr)
    kwargs.setdefault("batch_size", 16)
    kwargs.setdefault("max_epochs", 40)
    return Trainer(model, nn.CrossEntropyLoss(), optimizer, rng=np.random.default_rng(seed),
                   score=accuracy_from_logits, **kwargs)


class Recorder(Callback):
    """Inference outputs on ``X`` and the full state at every epoch end."""

    def __init__(self, X=X_VAL):
        self.X = X

    def on_train_begin(self, trainer):
        self.initial_state = trainer.model.state_dict()
        self.outputs, self.states = [], []

    def on_epoch_end(self, trainer, logs):
        self.outputs.append(trainer.model.forward(self.X, training=False).copy())
        self.states.append(trainer.model.state_dict())


class SpyOptimizer:
    """Records the learning rate and the gradients' global norm of every step."""

    def __init__(self, inner):
        self.inner = inner
        self.lrs, self.norms, self.max_abs = [], [], []

    @property
    def lr(self):
        return self.inner.lr

    def step(self, grads, lr=None):
        self.lrs.append(lr)
        self.norms.append(math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2))
                                        for g in grads.values())))
        self.max_abs.append(max(float(np.abs(g).max()) for g in grads.values()))
        self.inner.step(grads, lr=lr)


def assert_state_equal(model, state):
    live = model.state_dict()
    assert live.keys() == state.keys()
    for name in state:
        np.testing.assert_array_equal(live[name], state[name], err_msg=name)


def all_finite(model):
    return all(np.isfinite(v).all() for v in model.state_dict().values())


# -- restoring the best state ---------------------------------------------------------------------

def test_restored_model_equals_the_best_epoch_bit_for_bit_including_batch_norm():
    recorder = Recorder()
    es = EarlyStopping(patience=3)
    trainer = make_trainer(callbacks=[recorder, es], max_epochs=60)
    trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.stop_training and es.stopped_epoch == trainer.epoch
    best = es.best_epoch
    assert best == trainer.epoch - 3 and trainer.restored_epoch == best == trainer.best_epoch
    assert es.best == min(trainer.history["val_loss"])
    # Predictions and the whole state, running statistics included, are the best epoch's.
    outputs = trainer.model.forward(X_VAL, training=False)
    np.testing.assert_array_equal(outputs, recorder.outputs[best - 1])
    assert_state_equal(trainer.model, recorder.states[best - 1])
    # … and that is a real check: training moved the running statistics after the best
    # epoch, and the best weights with the last statistics predict differently.
    last = recorder.states[-1]
    assert not np.array_equal(last["1.running_mean"], recorder.states[best - 1]["1.running_mean"])
    assert not np.array_equal(last["1.running_var"], recorder.states[best - 1]["1.running_var"])
    mixed = {**recorder.states[best - 1], "1.running_mean": last["1.running_mean"],
             "1.running_var": last["1.running_var"]}
    trainer.model.load_state_dict(mixed)
    assert not np.array_equal(trainer.model.forward(X_VAL, training=False), outputs)


def test_restore_happens_when_training_ends_at_max_epochs():
    recorder = Recorder()
    es = EarlyStopping(patience=1000)
    trainer = make_trainer(callbacks=[recorder, es], max_epochs=25)
    trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.epoch == 25 and not trainer.stop_training and es.stopped_epoch is None
    best = es.best_epoch
    assert best < 25  # the data make sure of it; otherwise the test shows nothing
    assert trainer.restored_epoch == best
    np.testing.assert_array_equal(trainer.model.forward(X_VAL, training=False),
                                  recorder.outputs[best - 1])
    assert_state_equal(trainer.model, recorder.states[best - 1])


def test_without_restore_the_model_keeps_the_last_epoch():
    recorder = Recorder()
    es = EarlyStopping(patience=3, restore_best=False)
    trainer = make_trainer(callbacks=[recorder, es], max_epochs=60)
    trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.restored_epoch is None
    assert_state_equal(trainer.model, recorder.states[-1])


def test_estimator_ends_with_its_best_epoch_including_batch_norm():
    recorder = Recorder(X_VAL.astype(np.float64))
    clf = FitwellClassifier(hidden_layer_sizes=(16,), normalization="batch", early_stopping=True,
                            monitor="val_loss", n_iter_no_change=3, max_iter=60,
                            learning_rate_init=0.05, batch_size=16, random_state=0,
                            callbacks=[recorder])
    clf.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    best = clf.best_epoch_
    assert best < clf.n_iter_
    np.testing.assert_array_equal(clf.decision_function_raw(X_VAL), recorder.outputs[best - 1])
    assert_state_equal(clf.model_, recorder.states[best - 1])


# -- divergence ------------------------------------------------------------------------------------

class PoisonedLoss:
    """Cross-entropy that turns non-finite from epoch ``at_epoch`` on (armed by :class:`Arm`)."""

    def __init__(self, at_epoch):
        self.inner = nn.CrossEntropyLoss()
        self.at_epoch = at_epoch
        self.armed = False

    def __call__(self, outputs, y, sample_weight=None):
        value, grad = self.inner(outputs, y, sample_weight=sample_weight)
        if self.armed:
            return math.nan, grad * np.nan
        return value, grad


class Arm(Callback):
    def __init__(self, loss):
        self.loss = loss

    def on_epoch_end(self, trainer, logs):
        if logs["epoch"] == self.loss.at_epoch - 1:
            self.loss.armed = True


@pytest.mark.parametrize("with_early_stopping", [True, False])
def test_nan_loss_stops_warns_and_restores_the_best_state(with_early_stopping):
    loss = PoisonedLoss(at_epoch=8)
    recorder = Recorder()
    es = EarlyStopping(patience=100)
    callbacks = [recorder, es, Arm(loss)] if with_early_stopping else [recorder, Arm(loss)]
    model = make_model()
    trainer = Trainer(model, loss, optim.Adam(model.params, lr=0.05), batch_size=16,
                      max_epochs=40, rng=np.random.default_rng(0), callbacks=callbacks,
                      score=accuracy_from_logits)
    with pytest.warns(DivergenceWarning, match="diverged .* after 7 complete epochs"):
        history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.diverged and trainer.stop_training
    assert trainer.epoch == 7 and len(history) == 7
    assert all_finite(model)
    # else: the epoch of the lowest training objective (the poisoned loss makes every
    # candidate's training loss NaN, and a tie goes to the trained state)
    restored = es.best_epoch if with_early_stopping else \
        int(np.argmin(trainer.objective_curve)) + 1
    assert trainer.restored_epoch == restored
    if with_early_stopping:
        assert restored < 7
    np.testing.assert_array_equal(model.forward(X_VAL, training=False),
                                  recorder.outputs[restored - 1])
    assert_state_equal(model, recorder.states[restored - 1])


def test_nan_in_the_first_epoch_restores_the_initial_state():
    loss = PoisonedLoss(at_epoch=1)
    loss.armed = True
    recorder = Recorder()
    model = make_model()
    trainer = Trainer(model, loss, optim.Adam(model.params, lr=0.05), batch_size=16,
                      rng=np.random.default_rng(0), callbacks=[recorder, EarlyStopping()])
    with pytest.warns(DivergenceWarning):
        trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.epoch == 0 and len(trainer.history) == 0
    assert_state_equal(model, recorder.initial_state)


@pytest.mark.parametrize("with_early_stopping", [True, False])
def test_huge_learning_rate_diverges_and_restores_finite_parameters(with_early_stopping):
    recorder = Recorder()
    es = EarlyStopping(patience=100)
    model = make_model(batch_norm=False, dropout=0.0)
    trainer = make_trainer(model, optimizer=optim.SGD(model.params, lr=1e12), max_epochs=30,
                           callbacks=[recorder, es] if with_early_stopping else [recorder])
    with np.errstate(all="ignore"), pytest.warns(DivergenceWarning):
        trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.diverged and trainer.epoch < 30
    assert all_finite(model)
    if with_early_stopping and es.best_epoch is not None:
        expected = recorder.states[es.best_epoch - 1]
    else:  # the state at the end of the last epoch with finite parameters
        candidates = [recorder.initial_state, *recorder.states]
        expected = [s for s in candidates if all(np.isfinite(v).all() for v in s.values())][-1]
    assert_state_equal(model, expected)
    assert np.isfinite(model.forward(X_VAL, training=False)).all()


def test_no_terminate_on_nan_means_no_divergence_handling():
    loss = PoisonedLoss(at_epoch=3)
    model = make_model()
    trainer = Trainer(model, loss, optim.Adam(model.params, lr=0.05), batch_size=16,
                      max_epochs=4, rng=np.random.default_rng(0), callbacks=[Arm(loss)],
                      terminate_on_nan=False)
    trainer.fit(X_TRAIN, Y_TRAIN)
    assert trainer.epoch == 4 and not trainer.diverged
    assert not all_finite(model)


# -- KeyboardInterrupt ----------------------------------------------------------------------------

class InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, trainer, logs):
        if logs["epoch"] == self.epoch:
            raise KeyboardInterrupt


class InterruptInBatch(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, loss):
        if trainer.n_steps == self.step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("interrupter, epochs_done", [
    (InterruptAt(3), 3),
    (InterruptInBatch(step=4 * 6 + 2), 4),   # in epoch 5 (6 batches per epoch)
])
def test_keyboard_interrupt_is_caught_warned_and_the_best_state_restored(interrupter,
                                                                         epochs_done):
    recorder = Recorder()
    es = EarlyStopping(patience=100)
    trainer = make_trainer(lr=0.2, callbacks=[recorder, es, interrupter])
    with pytest.warns(RuntimeWarning, match="interrupted"):
        history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    assert trainer.interrupted and not trainer.diverged
    assert trainer.epoch == epochs_done and len(history) == epochs_done
    best = es.best_epoch
    assert trainer.restored_epoch == best
    assert best == int(np.argmin(history["val_loss"])) + 1
    np.testing.assert_array_equal(trainer.model.forward(X_VAL, training=False),
                                  recorder.outputs[best - 1])
    assert_state_equal(trainer.model, recorder.states[best - 1])


# -- History --------------------------------------------------------------------------------------

def test_history_columns_to_dict_and_csv(tmp_path):
    trainer = make_trainer(max_epochs=5)
    history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    columns = ("epoch", "train_loss", "val_loss", "train_score", "val_score", "lr", "time")
    assert history.columns == columns
    table = history.to_dict()
    assert tuple(table) == columns and all(len(v) == 5 for v in table.values())
    assert table["epoch"] == [1, 2, 3, 4, 5]
    assert all(t >= 0 for t in table["time"])
    for name in ("train_score", "val_score"):
        assert all(0.0 <= s <= 1.0 for s in table[name])
    assert table["val_score"][-1] > 0.5 and table["train_score"][-1] > 0.8
    assert table["train_loss"][-1] < table["train_loss"][0]
    assert history["val_loss"] == table["val_loss"] and history.last("lr") == table["lr"][-1]
    path = tmp_path / "history.csv"
    text = history.to_csv(path)
    assert path.read_text(encoding="utf-8") == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5 and tuple(rows[0]) == columns
    for name in columns:
        parsed = [float(row[name]) for row in rows]
        assert parsed == [float(v) for v in table[name]], name  # exact round trip


def test_history_without_validation_has_nan_validation_columns():
    trainer = make_trainer(max_epochs=3)
    history = trainer.fit(X_TRAIN, Y_TRAIN)
    assert all(math.isnan(v) for v in history["val_loss"] + history["val_score"])
    assert all(math.isfinite(v) for v in history["train_loss"] + history["train_score"])
    with pytest.raises(KeyError, match="no column"):
        history["accuracy"]


def test_history_lr_without_a_schedule_is_the_optimizer_rate():
    trainer = make_trainer(lr=0.01, max_epochs=3)
    assert trainer.fit(X_TRAIN, Y_TRAIN)["lr"] == [0.01] * 3


# -- schedules ------------------------------------------------------------------------------------

def spied_trainer(schedule, interval, batch_size=40, max_epochs=6, **kwargs):
    model = make_model()
    spy = SpyOptimizer(optim.SGD(model.params, lr=0.5, momentum=0.9))
    trainer = make_trainer(model, optimizer=spy, schedule=schedule, schedule_interval=interval,
                           batch_size=batch_size, max_epochs=max_epochs, **kwargs)
    return trainer, spy


def test_schedule_stepped_per_epoch():
    schedule = schedules.StepDecay(0.1, step_size=2, gamma=0.5)
    trainer, spy = spied_trainer(schedule, "epoch")
    history = trainer.fit(X_TRAIN, Y_TRAIN)
    n_batches = 3  # 96 samples in batches of 40, 40, 16
    assert trainer.n_steps == 6 * n_batches and trainer.samples_seen == 6 * 96
    assert spy.lrs == [schedule(e) for e in range(6) for _ in range(n_batches)]
    assert history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]


def test_schedule_stepped_per_batch():
    schedule = schedules.CosineAnnealing(0.1, t_max=12)
    trainer, spy = spied_trainer(schedule, "batch")
    history = trainer.fit(X_TRAIN, Y_TRAIN)
    assert spy.lrs == [schedule(t) for t in range(18)]
    assert spy.lrs[12:] == [0.0] * 6  # clamped at min_lr past t_max
    # The history holds the rate of each epoch's last batch.
    assert history["lr"] == [schedule(3 * e + 2) for e in range(6)]


def test_warmup_schedule_per_batch():
    schedule = schedules.Warmup(schedules.Constant(0.1), warmup_steps=5, start_factor=0.2)
    trainer, spy = spied_trainer(schedule, "batch", max_epochs=3)
    trainer.fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_allclose(spy.lrs[:6], [0.02, 0.036, 0.052, 0.068, 0.084, 0.1])
    assert spy.lrs[6:] == [0.1] * 3


def replay_plateau(metrics, base_lr, warmup=0, start_factor=0.1, **plateau_kwargs):
    """The rate in force during each epoch, replaying the recorded metrics."""
    rule = schedules.ReduceLROnPlateau(base_lr, **plateau_kwargs)
    lrs = []
    for epoch, metric in enumerate(metrics):
        if epoch < warmup:
            lrs.append(base_lr * (start_factor + (1 - start_factor) * epoch / warmup))
        else:
            lrs.append(rule.lr)
            rule.step(metric)
    return lrs


def test_stateful_plateau_schedule_inside_the_trainer():
    schedule = schedules.ReduceLROnPlateau(0.05, factor=0.5, patience=1)
    trainer = make_trainer(schedule=schedule, max_epochs=30)
    history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    expected = replay_plateau(history["val_loss"], 0.05, factor=0.5, patience=1)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    assert min(history["lr"]) < 0.05 / 4  # it did reduce, several times


def test_stateful_plateau_schedule_on_a_score_in_max_mode():
    schedule = schedules.ReduceLROnPlateau(0.05, mode="max", factor=0.5, patience=2)
    trainer = make_trainer(schedule=schedule, plateau_monitor="val_score", max_epochs=25)
    history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    expected = replay_plateau(history["val_score"], 0.05, mode="max", factor=0.5, patience=2)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    assert min(history["lr"]) < 0.05


def test_stateful_plateau_schedule_on_the_training_loss_without_validation():
    schedule = schedules.ReduceLROnPlateau(0.05, factor=0.5, patience=0, threshold=0.05)
    trainer = make_trainer(schedule=schedule, plateau_monitor="train_loss", max_epochs=20)
    history = trainer.fit(X_TRAIN, Y_TRAIN)
    expected = replay_plateau(history["train_loss"], 0.05, factor=0.5, patience=0,
                              threshold=0.05)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    assert min(history["lr"]) < 0.05


def test_warmup_around_a_plateau_schedule_inside_the_trainer():
    schedule = schedules.Warmup(schedules.ReduceLROnPlateau(0.05, factor=0.5, patience=1),
                                warmup_steps=4, start_factor=0.1)
    assert schedule.stateful
    trainer = make_trainer(schedule=schedule, max_epochs=30)
    history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    expected = replay_plateau(history["val_loss"], 0.05, warmup=4, factor=0.5, patience=1)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    np.testing.assert_allclose(history["lr"][:5], [0.005, 0.01625, 0.0275, 0.03875, 0.05])
    assert min(history["lr"]) < 0.05 / 4


def test_plateau_schedule_on_validation_needs_validation_data():
    trainer = make_trainer(schedule=schedules.ReduceLROnPlateau(0.05))
    with pytest.raises(ValueError, match="no validation_data"):
        trainer.fit(X_TRAIN, Y_TRAIN)


def test_plateau_callback_scales_the_schedule():
    schedule = schedules.StepDecay(0.08, step_size=5, gamma=0.5)
    callback = ReduceLROnPlateau(monitor="train_loss", factor=0.5, patience=0, min_delta=0.05)
    trainer = make_trainer(schedule=schedule, callbacks=[callback], max_epochs=15)
    history = trainer.fit(X_TRAIN, Y_TRAIN)
    rule = schedules.ReduceLROnPlateau(1.0, factor=0.5, patience=0, threshold=0.05,
                                       threshold_mode="abs")
    expected = []
    for epoch, loss in enumerate(history["train_loss"]):
        expected.append(schedule(epoch) * rule.lr)
        rule.step(loss)
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-12)
    assert rule.lr < 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"schedule_interval": "step"}, "schedule_interval"),
    ({"penalty_scale": "sample"}, "penalty_scale"),
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"max_epochs": 0}, "max_epochs"),
    ({"plateau_monitor": "val_accuracy"}, "plateau_monitor"),
])
def test_trainer_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_trainer(**kwargs)


# -- penalties and clipping ----------------------------------------------------------------------

class ZeroLoss:
    """No data term: only the penalties move the weights."""

    def __call__(self, outputs, y, sample_weight=None):
        return 0.0, np.zeros_like(outputs)


@pytest.mark.parametrize("penalty_scale", ["none", "batch"])
def test_penalties_add_to_the_objective_and_the_gradients(penalty_scale):
    model = nn.Sequential(nn.Linear(N_FEATURES, N_CLASSES, rng=np.random.default_rng(0),
                                    dtype=np.float64))
    model.params["0.bias"][...] = 0.3
    w0 = model.params["0.weight"].copy()
    strength, lr = 0.5, 0.1
    trainer = Trainer(model, ZeroLoss(), optim.SGD(model.params, lr=lr),
                      penalties=[optim.L2(strength)], penalty_scale=penalty_scale, batch_size=40,
                      max_epochs=2, rng=np.random.default_rng(0))
    history = trainer.fit(X_TRAIN.astype(np.float64), Y_TRAIN)
    factor, objective = 1.0, []
    for _ in range(2):
        total = 0.0
        for size in (40, 40, 16):
            scale = 1.0 / size if penalty_scale == "batch" else 1.0
            total += size * scale * 0.5 * strength * float(np.sum((w0 * factor) ** 2))
            factor *= 1.0 - lr * strength * scale   # SGD on the gradient strength * w
        objective.append(total / 96)
    np.testing.assert_allclose(model.params["0.weight"], w0 * factor, rtol=1e-12)
    assert np.all(model.params["0.bias"] == 0.3)   # biases are not penalised
    np.testing.assert_allclose(trainer.objective_curve, objective, rtol=1e-12)
    assert history["train_loss"] == [0.0, 0.0]     # the data loss alone


def test_penalised_objective_exceeds_the_data_loss():
    trainer = make_trainer(penalties=[optim.L2(0.01), optim.L1(0.001)], max_epochs=3)
    history = trainer.fit(X_TRAIN, Y_TRAIN)
    assert all(o > t for o, t in zip(trainer.objective_curve, history["train_loss"], strict=True))
    plain = make_trainer(max_epochs=3)
    history = plain.fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_allclose(plain.objective_curve, history["train_loss"], rtol=1e-6)


def test_clip_grad_norm_limits_the_global_norm_of_every_step():
    model = make_model()
    spy = SpyOptimizer(optim.SGD(model.params, lr=0.05))
    make_trainer(model, optimizer=spy, max_epochs=3).fit(X_TRAIN, Y_TRAIN)
    assert max(spy.norms) > 0.2  # unclipped, the gradients are larger …
    model = make_model()
    spy = SpyOptimizer(optim.SGD(model.params, lr=0.05))
    make_trainer(model, optimizer=spy, max_epochs=3, clip_grad_norm=0.2).fit(X_TRAIN, Y_TRAIN)
    assert max(spy.norms) <= 0.2 * (1 + 1e-5)  # … clipped, they are not
    assert max(spy.norms) > 0.19


def test_clip_grad_value_limits_every_element():
    model = make_model()
    spy = SpyOptimizer(optim.SGD(model.params, lr=0.05))
    make_trainer(model, optimizer=spy, max_epochs=2, clip_grad_value=0.01).fit(X_TRAIN, Y_TRAIN)
    assert max(spy.max_abs) <= 0.01
    assert max(spy.max_abs) == pytest.approx(0.01)


def test_clipping_comes_after_the_penalties():
    model = make_model(batch_norm=False, dropout=0.0)
    spy = SpyOptimizer(optim.SGD(model.params, lr=0.05))
    trainer = make_trainer(model, optimizer=spy, max_epochs=1, clip_grad_norm=0.1,
                           penalties=[optim.L2(100.0)])
    trainer.fit(X_TRAIN, Y_TRAIN)
    assert max(spy.norms) <= 0.1 * (1 + 1e-5)


# -- reproducibility ---------------------------------------------------------------------------

def fit_once(seed, trainer_seed):
    model = make_model(seed=seed, dropout=0.2)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.AdamW(model.params, lr=0.02),
                      schedule=schedules.CosineAnnealing(0.02, t_max=8), batch_size=16,
                      max_epochs=8, augment=GaussianNoise(0.1),
                      rng=np.random.default_rng(trainer_seed), score=accuracy_from_logits,
                      callbacks=[EarlyStopping(patience=3)])
    history = trainer.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL))
    table = {k: v for k, v in history.to_dict().items() if k != "time"}
    return model.state_dict(), table, model.forward(X_VAL, training=False)


def test_same_seeds_give_bit_identical_results():
    state_a, table_a, out_a = fit_once(seed=3, trainer_seed=7)
    state_b, table_b, out_b = fit_once(seed=3, trainer_seed=7)
    assert table_a == table_b
    np.testing.assert_array_equal(out_a, out_b)
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)


def test_a_different_shuffling_seed_changes_the_result():
    state_a, table_a, _ = fit_once(seed=3, trainer_seed=7)
    state_b, table_b, _ = fit_once(seed=3, trainer_seed=8)
    assert table_a["train_loss"] != table_b["train_loss"]
    assert not np.array_equal(state_a["0.weight"], state_b["0.weight"])


def test_fit_is_deterministic_without_shuffle_too():
    def run():
        trainer = make_trainer(model=make_model(dropout=0.0), shuffle=False, max_epochs=4)
        return trainer.fit(X_TRAIN, Y_TRAIN)["train_loss"]

    assert run() == run()


class _BlasThreads(Callback):
    """Notes the BLAS's thread count while training runs."""

    def __init__(self):
        self.seen = []

    def on_epoch_end(self, trainer, logs):
        self.seen.append(blas_threads())


def _train_under(limit, width, batch, X, y):
    rng = np.random.default_rng(0)
    f64 = np.float64
    model = nn.Sequential(nn.Linear(X.shape[1], width, rng=rng, dtype=f64),
                          nn.BatchNorm(width, dtype=f64), nn.ReLU(), nn.Dropout(0.2, rng=rng),
                          nn.Linear(width, 10, rng=rng, dtype=f64))
    threads = _BlasThreads()
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.params, lr=1e-3),
                      penalties=[optim.L2(1e-4)], penalty_scale="batch", batch_size=batch,
                      max_epochs=2, rng=np.random.default_rng(1), callbacks=[threads])
    with threadpool_limits(limit):
        trainer.fit(X, y)
    return model.flat_params.copy(), threads.seen


def test_a_large_problem_trains_on_every_blas_thread_to_the_one_thread_results():
    # 128 rows through a 512-512 layer: 2**25 multiply-adds, where the BLAS keeps its threads
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((300, 512)), rng.integers(0, 10, 300)
    single, seen_single = _train_under(1, 512, 128, X, y)
    multi, seen_multi = _train_under(2, 512, 128, X, y)
    assert seen_single == [1, 1] and seen_multi == [2, 2]
    # the element-wise work is the same code; only the BLAS may round differently
    np.testing.assert_allclose(multi, single, rtol=1e-9, atol=1e-12)


def test_a_small_problem_trains_on_one_blas_thread():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((200, 64)), rng.integers(0, 10, 200)
    _, seen = _train_under(2, 128, 64, X, y)
    assert seen == [1, 1]
