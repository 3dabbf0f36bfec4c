"""Every number the engine takes may be a NumPy scalar, and means what the Python number means.

Each case builds one optimiser, schedule, penalty, clip, layer, callback or augmenter
with one parameter set to ``value``, runs it on fixed data and returns what it
computed. Given ``np.float32(v)``, ``np.float64(v)``, ``np.int64(v)`` or
``np.int32(v)`` (integers where the parameter is integral or the value is whole) it
must compute exactly what it computes for the equal Python number; given a bool, NaN
or infinity it must refuse with :class:`fitwell.errors.ParameterError` (all checks
live in :mod:`fitwell._validation`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fitwell import nn, optim, schedules
from fitwell.errors import ParameterError
from fitwell.training import EarlyStopping, NoImprovementStopping, ReduceLROnPlateau
from fitwell.training.augment import (
    GaussianNoise,
    Mixup,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
)

REAL_TYPES = (np.float32, np.float64, np.int64, np.int32)
INT_TYPES = (np.int64, np.int32)
REFUSED = (True, np.bool_(True), math.nan, np.float32("nan"), math.inf, np.float64("-inf"))


def _params():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}


def _optimizer(make):
    """Three steps from fixed gradients; the final parameters."""
    def run(value):
        params = _params()
        grads = {name: np.full_like(p, 0.5) for name, p in params.items()}
        optimizer = make(params, value)
        for _ in range(3):
            optimizer.step(grads)
        return [params["w"], params["b"]]
    return run


def _schedule(make, steps=30):
    return lambda value: [make(value)(t) for t in range(steps)]


def _plateau_schedule(**fixed):
    def run(value, name):
        schedule = schedules.ReduceLROnPlateau(0.1, **{**fixed, name: value})
        return [schedule.step(metric) for metric in [1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8]]
    return run


def _penalty(make):
    def run(value):
        params = _params()
        grads = {name: np.zeros_like(p) for name, p in params.items()}
        return [make(value)(params, grads), grads["w"], grads["b"]]
    return run


def _layer(make, features=8):
    """A training forward (and BatchNorm's running statistics) of float32 input."""
    def run(value):
        layer = make(value)
        x = np.random.default_rng(1).standard_normal((6, features)).astype(np.float32)
        out = layer.forward(x, training=True).copy()
        return [out, *layer.buffers.values()]
    return run


class _ScriptedTrainer:
    """The parts of the Trainer the callbacks touch, with no model state to restore."""

    def __init__(self):
        self.lr_scale = 1.0
        self.stop_training = False

    def base_lr(self):
        return 0.1

    @property
    def lr(self):
        return self.base_lr() * self.lr_scale


def _callback(make):
    """Drive the callback with a scripted validation loss; record its decisions."""
    def run(value):
        callback, trainer = make(value), _ScriptedTrainer()
        callback.on_train_begin(trainer)
        decisions = []
        for epoch, loss in enumerate([1.0, 0.8, 0.79, 0.795, 0.7, 0.71, 0.72, 0.73, 0.74], 1):
            callback.on_epoch_end(trainer, {"epoch": epoch, "val_loss": loss,
                                            "train_loss": loss})
            decisions.append((trainer.stop_training, trainer.lr_scale))
        return decisions
    return run


def _augmenter(make):
    def run(value):
        X = np.random.default_rng(2).standard_normal((5, 64)).astype(np.float32)
        y = np.eye(3)[[0, 1, 2, 0, 1]]
        out_X, out_y = make(value)(X, y, np.random.default_rng(3))
        return [out_X, out_y]
    return run


def _clip_norm(**fixed):
    def run(value, name):
        grads = {name_: np.full_like(p, 2.0) for name_, p in _params().items()}
        total = optim.clip_grad_norm(grads, **{"max_norm": 1.0, **fixed, name: value})
        return [total, grads["w"], grads["b"]]
    return run


def _named(run_with_name, name):
    return lambda value: run_with_name(value, name)


# (id, run(value) -> results, a valid Python value, integral parameter?)
CASES = [
    ("SGD.lr", _optimizer(lambda p, v: optim.SGD(p, lr=v, momentum=0.9)), 0.1, False),
    ("SGD.momentum", _optimizer(lambda p, v: optim.SGD(p, lr=0.1, momentum=v)), 0.5, False),
    ("SGD.dampening", _optimizer(lambda p, v: optim.SGD(p, 0.1, momentum=0.9, dampening=v)),
     0.25, False),
    ("SGD.weight_decay", _optimizer(lambda p, v: optim.SGD(p, lr=0.1, weight_decay=v)), 0.01,
     False),
    ("Adam.lr", _optimizer(lambda p, v: optim.Adam(p, lr=v)), 0.01, False),
    ("Adam.betas[0]", _optimizer(lambda p, v: optim.Adam(p, betas=(v, 0.999))), 0.8, False),
    ("Adam.betas[1]", _optimizer(lambda p, v: optim.Adam(p, betas=(0.9, v))), 0.99, False),
    ("Adam.eps", _optimizer(lambda p, v: optim.Adam(p, eps=v)), 1e-6, False),
    ("Adam.weight_decay", _optimizer(lambda p, v: optim.Adam(p, weight_decay=v)), 0.01, False),
    ("AdamW.weight_decay", _optimizer(lambda p, v: optim.AdamW(p, weight_decay=v)), 0.05, False),
    ("Constant.base_lr", _schedule(schedules.Constant), 0.1, False),
    ("StepDecay.base_lr", _schedule(lambda v: schedules.StepDecay(v, 5)), 0.1, False),
    ("StepDecay.step_size", _schedule(lambda v: schedules.StepDecay(0.1, v)), 4, True),
    ("StepDecay.gamma", _schedule(lambda v: schedules.StepDecay(0.1, 5, gamma=v)), 0.5, False),
    ("MultiStep.milestones", _schedule(lambda v: schedules.MultiStep(0.1, [3, v])), 7, True),
    ("MultiStep.gamma", _schedule(lambda v: schedules.MultiStep(0.1, [3, 9], gamma=v)), 0.3,
     False),
    ("Exponential.gamma", _schedule(lambda v: schedules.Exponential(0.1, v)), 0.9, False),
    ("CosineAnnealing.base_lr", _schedule(lambda v: schedules.CosineAnnealing(v, 20)), 0.1,
     False),
    ("CosineAnnealing.t_max", _schedule(lambda v: schedules.CosineAnnealing(0.1, v)), 20, True),
    ("CosineAnnealing.min_lr", _schedule(lambda v: schedules.CosineAnnealing(0.1, 20, v)), 0.01,
     False),
    ("CosineWarmRestarts.t_0", _schedule(lambda v: schedules.CosineWarmRestarts(0.1, v, 2)), 3,
     True),
    ("CosineWarmRestarts.t_mult", _schedule(lambda v: schedules.CosineWarmRestarts(0.1, 3, v)),
     2, True),
    ("OneCycle.max_lr", _schedule(lambda v: schedules.OneCycle(v, 25)), 0.1, False),
    ("OneCycle.total_steps", _schedule(lambda v: schedules.OneCycle(0.1, v)), 25, True),
    ("OneCycle.pct_start", _schedule(lambda v: schedules.OneCycle(0.1, 25, pct_start=v)), 0.4,
     False),
    ("OneCycle.div_factor", _schedule(lambda v: schedules.OneCycle(0.1, 25, div_factor=v)), 10.0,
     False),
    ("Warmup.warmup_steps",
     _schedule(lambda v: schedules.Warmup(schedules.Exponential(0.1, 0.9), v)), 5, True),
    ("Warmup.start_factor", _schedule(
        lambda v: schedules.Warmup(schedules.Exponential(0.1, 0.9), 5, start_factor=v)), 0.2,
     False),
    ("ReduceLROnPlateau.factor", _named(_plateau_schedule(patience=1), "factor"), 0.5, False),
    ("ReduceLROnPlateau.patience", _named(_plateau_schedule(), "patience"), 1, True),
    ("ReduceLROnPlateau.threshold", _named(_plateau_schedule(patience=1), "threshold"), 0.01,
     False),
    ("ReduceLROnPlateau.cooldown", _named(_plateau_schedule(patience=0), "cooldown"), 2, True),
    ("ReduceLROnPlateau.min_lr", _named(_plateau_schedule(patience=0), "min_lr"), 0.02, False),
    ("L1.strength", _penalty(optim.L1), 0.01, False),
    ("L2.strength", _penalty(optim.L2), 0.01, False),
    ("ElasticNet.l1", _penalty(lambda v: optim.ElasticNet(v, 0.02)), 0.01, False),
    ("ElasticNet.l2", _penalty(lambda v: optim.ElasticNet(0.02, v)), 0.01, False),
    ("clip_grad_norm.max_norm", _named(_clip_norm(), "max_norm"), 1.5, False),
    ("clip_grad_norm.norm_type", _named(_clip_norm(), "norm_type"), 3.0, False),
    ("Dropout.p", _layer(lambda v: nn.Dropout(v, rng=0)), 0.3, False),
    ("LeakyReLU.negative_slope", _layer(nn.LeakyReLU), 0.2, False),
    ("BatchNorm.eps", _layer(lambda v: nn.BatchNorm(8, eps=v)), 1e-3, False),
    ("BatchNorm.momentum", _layer(lambda v: nn.BatchNorm(8, momentum=v)), 0.3, False),
    ("BatchNorm.num_features", _layer(nn.BatchNorm), 8, True),
    ("LayerNorm.eps", _layer(lambda v: nn.LayerNorm(8, eps=v)), 1e-3, False),
    ("GroupNorm.num_groups", _layer(lambda v: nn.GroupNorm(v, 8)), 4, True),
    ("GroupNorm.eps", _layer(lambda v: nn.GroupNorm(2, 8, eps=v)), 1e-3, False),
    ("EarlyStopping.min_delta", _callback(
        lambda v: EarlyStopping(patience=2, min_delta=v, restore_best=False)), 0.015, False),
    ("EarlyStopping.patience", _callback(
        lambda v: EarlyStopping(patience=v, restore_best=False)), 3, True),
    ("EarlyStopping.start_from_epoch", _callback(
        lambda v: EarlyStopping(patience=1, start_from_epoch=v, restore_best=False)), 4, True),
    ("NoImprovementStopping.tol", _callback(
        lambda v: NoImprovementStopping("val_loss", tol=v, n_iter_no_change=2)), 0.015, False),
    ("NoImprovementStopping.n_iter_no_change", _callback(
        lambda v: NoImprovementStopping("val_loss", n_iter_no_change=v)), 2, True),
    ("ReduceLROnPlateau-callback.factor", _callback(
        lambda v: ReduceLROnPlateau(factor=v, patience=1)), 0.5, False),
    ("ReduceLROnPlateau-callback.min_delta", _callback(
        lambda v: ReduceLROnPlateau(patience=1, min_delta=v)), 0.015, False),
    ("ReduceLROnPlateau-callback.min_lr", _callback(
        lambda v: ReduceLROnPlateau(patience=0, min_lr=v)), 0.002, False),
    ("RandomShift.max_shift", _augmenter(lambda v: RandomShift(v, image_shape=(8, 8))), 1.5,
     False),
    ("RandomRotation.max_degrees", _augmenter(lambda v: RandomRotation(v, image_shape=(8, 8))),
     12.5, False),
    ("RandomHorizontalFlip.p", _augmenter(lambda v: RandomHorizontalFlip(v, (8, 8))), 0.5,
     False),
    ("GaussianNoise.std", _augmenter(GaussianNoise), 0.2, False),
    ("Mixup.alpha", _augmenter(Mixup), 0.4, False),
]


def _assert_identical(ours, reference):
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def _typed_values(value, integral):
    """``(numpy scalar, equal Python number)`` pairs for every type that can hold ``value``."""
    types = INT_TYPES if integral else REAL_TYPES
    pairs = []
    for scalar_type in types:
        if scalar_type in INT_TYPES and float(value) != int(value):
            scalar = scalar_type(math.ceil(value))  # a whole value of the same parameter
        else:
            scalar = scalar_type(value)
        pairs.append((scalar, scalar.item()))
    return pairs


@pytest.mark.parametrize(("run", "value", "integral"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_numpy_scalars_compute_what_the_python_number_computes(run, value, integral):
    for scalar, python_number in _typed_values(value, integral):
        try:
            reference = run(python_number)
        except ParameterError:  # a whole number outside the parameter's range (e.g. betas)
            with pytest.raises(ParameterError):
                run(scalar)
            continue
        _assert_identical(run(scalar), reference)


@pytest.mark.parametrize(("name", "run", "value", "integral"), CASES,
                         ids=[case[0] for case in CASES])
@pytest.mark.parametrize("bad", REFUSED, ids=repr)
def test_bools_nan_and_infinity_are_refused(name, run, value, integral, bad):
    if name == "clip_grad_norm.norm_type" and bad == math.inf:
        run(bad)  # the largest absolute value, as in PyTorch
        return
    run(value)  # the valid value is accepted
    with pytest.raises(ParameterError):
        run(bad)


def test_the_cases_cover_every_engine_class_that_takes_a_number():
    covered = {case[0].split(".")[0].split("-")[0] for case in CASES}
    expected = {"SGD", "Adam", "AdamW", "L1", "L2", "ElasticNet", "clip_grad_norm", "Dropout",
                "LeakyReLU", "BatchNorm", "LayerNorm", "GroupNorm", "EarlyStopping",
                "NoImprovementStopping", "ReduceLROnPlateau", "RandomShift", "RandomRotation",
                "RandomHorizontalFlip", "GaussianNoise", "Mixup", "Warmup"}
    expected |= {name for name in schedules.__all__ if name != "Schedule"}
    assert expected <= covered
