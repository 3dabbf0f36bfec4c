"""The representative configuration of every layer, loss and penalty, and :func:`check_all`.

:func:`check_all` checks every layer (in training and inference mode), loss and
penalty of the engine with the central differences of :mod:`fitwell.testing.gradcheck`.
Which classes it covers is declared in the registries :data:`LAYER_CASES`,
:data:`LOSS_CASES` and :data:`PENALTY_CASES`; the test suite asserts that every
public layer, loss and penalty appears there, so a new one cannot ship without a
gradient check. Each builder takes a Generator and returns a list of cases. Shapes
are small: the numerical gradient costs two evaluations per entry.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import nn
from ..nn.dense_block import DenseBlock
from ..optim import penalties
from .gradcheck import (
    DEFAULT_ATOL,
    DEFAULT_STEP,
    DEFAULT_TOLERANCE,
    GradCheckResult,
    check_layer,
    check_loss,
    check_penalty,
)

__all__ = ["LAYER_CASES", "LOSS_CASES", "PENALTY_CASES", "check_all"]

_F64 = np.float64


def _away_from_zero(x, margin=0.05):
    """Push entries at least ``margin`` away from the kinks of ReLU-like functions."""
    return x + np.copysign(margin, x)


def _randomize_affine(layer, rng):
    """Give a normalisation layer non-trivial gamma, beta and running statistics."""
    params, buffers = layer.params, layer.buffers
    params["weight"][...] = rng.uniform(0.5, 1.5, layer.num_features)
    params["bias"][...] = rng.normal(0.0, 0.5, layer.num_features)
    if "running_mean" in buffers:
        buffers["running_mean"][...] = rng.normal(0.0, 0.5, layer.num_features)
        buffers["running_var"][...] = rng.uniform(0.5, 2.0, layer.num_features)
    return layer


def _linear_cases(rng):
    x = rng.standard_normal((4, 5))
    return [
        ("Linear", nn.Linear(5, 3, rng=rng, dtype=_F64), x),
        ("Linear (no bias)", nn.Linear(5, 3, bias=False, init="xavier", rng=rng, dtype=_F64), x),
    ]


def _activation_cases(*layers):
    def build(rng):
        x = _away_from_zero(rng.standard_normal((4, 5)))
        return [(label, layer(), x) for label, layer in layers]
    return build


def _dropout_cases(rng):
    x = rng.standard_normal((6, 5))
    return [("Dropout(p=0.3)", nn.Dropout(0.3, rng=rng), x)]


def _batchnorm_cases(rng):
    x = rng.normal(0.5, 2.0, (6, 4))
    return [("BatchNorm", _randomize_affine(nn.BatchNorm(4, dtype=_F64), rng), x)]


def _layernorm_cases(rng):
    x = rng.normal(0.5, 2.0, (4, 6))
    return [("LayerNorm", _randomize_affine(nn.LayerNorm(6, dtype=_F64), rng), x)]


def _groupnorm_cases(rng):
    x = rng.normal(0.5, 2.0, (4, 6))
    return [
        ("GroupNorm(3 groups)", _randomize_affine(nn.GroupNorm(3, 6, dtype=_F64), rng), x),
        ("GroupNorm(1 group)", _randomize_affine(nn.GroupNorm(1, 6, dtype=_F64), rng), x),
    ]


def _sequential_cases(rng):
    stack = nn.Sequential(
        nn.Linear(5, 6, rng=rng, dtype=_F64),
        _randomize_affine(nn.BatchNorm(6, dtype=_F64), rng),
        nn.ReLU(),
        nn.Dropout(0.25, rng=rng),
        nn.Linear(6, 4, init="xavier", rng=rng, dtype=_F64),
        _randomize_affine(nn.LayerNorm(4, dtype=_F64), rng),
        nn.Sequential(nn.GELU(), nn.Linear(4, 3, init="lecun", rng=rng, dtype=_F64)),
    )
    return [("Sequential", stack, rng.standard_normal((6, 5)))]


def _dense_block_cases(rng):
    def block(norm, p, bias=True):
        linear = nn.Linear(5, 6, bias=bias, rng=rng, dtype=_F64)
        bn = _randomize_affine(nn.BatchNorm(6, dtype=_F64), rng) if norm else None
        return DenseBlock(linear, bn, nn.Dropout(p, rng=rng) if p else None)

    x = rng.standard_normal((7, 5))
    return [
        ("DenseBlock (BatchNorm, dropout)", block(True, 0.3), x),
        ("DenseBlock (BatchNorm, no bias)", block(True, 0.0, bias=False), x),
        ("DenseBlock (dropout)", block(False, 0.3), x),
        ("DenseBlock (ReLU only)", block(False, 0.0), x),
    ]


LAYER_CASES: dict[type, Callable] = {
    nn.Linear: _linear_cases,
    nn.ReLU: _activation_cases(("ReLU", nn.ReLU)),
    nn.LeakyReLU: _activation_cases(("LeakyReLU", lambda: nn.LeakyReLU(0.1))),
    nn.GELU: _activation_cases(("GELU", nn.GELU),
                               ("GELU (tanh)", lambda: nn.GELU(approximate="tanh"))),
    nn.Tanh: _activation_cases(("Tanh", nn.Tanh)),
    nn.Sigmoid: _activation_cases(("Sigmoid", nn.Sigmoid)),
    nn.Identity: _activation_cases(("Identity", nn.Identity)),
    nn.Dropout: _dropout_cases,
    nn.BatchNorm: _batchnorm_cases,
    nn.LayerNorm: _layernorm_cases,
    nn.GroupNorm: _groupnorm_cases,
    nn.Sequential: _sequential_cases,
    DenseBlock: _dense_block_cases,
}
"""Layer class -> builder ``rng -> [(label, float64 layer, input), ...]``."""


def _cross_entropy_cases(rng):
    n, c = 6, 4
    logits = rng.normal(0.0, 2.0, (n, c))
    y = rng.integers(0, c, n)
    probs = rng.dirichlet(np.ones(c), n)
    weight = rng.uniform(0.5, 2.0, c)
    sample_weight = rng.uniform(0.2, 2.0, n)
    ce = nn.CrossEntropyLoss
    return [
        ("CrossEntropyLoss", ce(), logits, y, None),
        ("CrossEntropyLoss (label_smoothing=0.1)", ce(label_smoothing=0.1), logits, y, None),
        ("CrossEntropyLoss (class weight)", ce(weight=weight), logits, y, None),
        ("CrossEntropyLoss (sample_weight)", ce(), logits, y, sample_weight),
        ("CrossEntropyLoss (smoothing, class and sample weights)",
         ce(label_smoothing=0.2, weight=weight), logits, y, sample_weight),
        ("CrossEntropyLoss (probability targets)", ce(), logits, probs, None),
        ("CrossEntropyLoss (probability targets, smoothing, weights)",
         ce(label_smoothing=0.1, weight=weight), logits, probs, sample_weight),
    ]


def _binary_cross_entropy_cases(rng):
    logits = rng.normal(0.0, 2.0, (6, 3))
    labels = rng.integers(0, 2, (6, 3)).astype(np.float64)
    soft = rng.uniform(0.0, 1.0, (6, 3))
    bce = nn.BinaryCrossEntropyLoss
    return [
        ("BinaryCrossEntropyLoss", bce(), logits, labels, None),
        ("BinaryCrossEntropyLoss (soft targets)", bce(), logits, soft, None),
        ("BinaryCrossEntropyLoss (sample_weight)", bce(), logits, labels,
         rng.uniform(0.2, 2.0, 6)),
        ("BinaryCrossEntropyLoss (label_smoothing=0.1)", bce(label_smoothing=0.1), logits,
         labels, None),
    ]


def _mse_cases(rng):
    prediction = rng.standard_normal((6, 3))
    target = rng.standard_normal((6, 3))
    return [
        ("MSELoss", nn.MSELoss(), prediction, target, None),
        ("MSELoss (sample_weight)", nn.MSELoss(), prediction, target, rng.uniform(0.2, 2.0, 6)),
        ("MSELoss (1-D target)", nn.MSELoss(), prediction[:, :1], target[:, 0], None),
    ]


def _half_mse_cases(rng):
    prediction = rng.standard_normal((6, 3))
    target = rng.standard_normal((6, 3))
    return [
        ("HalfMSELoss", nn.HalfMSELoss(), prediction, target, None),
        ("HalfMSELoss (sample_weight)", nn.HalfMSELoss(), prediction, target,
         rng.uniform(0.2, 2.0, 6)),
    ]


def _half_poisson_cases(rng):
    prediction = rng.standard_normal((6, 3))
    target = rng.poisson(2.0, (6, 3)).astype(np.float64)  # counts, zeros included
    return [
        ("HalfPoissonLoss", nn.HalfPoissonLoss(), prediction, target, None),
        ("HalfPoissonLoss (sample_weight)", nn.HalfPoissonLoss(), prediction, target,
         rng.uniform(0.2, 2.0, 6)),
    ]


LOSS_CASES: dict[type, Callable] = {
    nn.CrossEntropyLoss: _cross_entropy_cases,
    nn.BinaryCrossEntropyLoss: _binary_cross_entropy_cases,
    nn.MSELoss: _mse_cases,
    nn.HalfMSELoss: _half_mse_cases,
    nn.HalfPoissonLoss: _half_poisson_cases,
}
"""Loss class -> builder ``rng -> [(label, loss, prediction, target, sample_weight), ...]``."""


def _penalty_params(rng):
    """A weight matrix, a bias and a gamma, all kept away from 0 (the kink of L1)."""
    return {
        "0.weight": _away_from_zero(rng.standard_normal((4, 3)), 0.1),
        "0.bias": _away_from_zero(rng.standard_normal(3), 0.1),
        "1.weight": rng.uniform(0.5, 1.5, 3),
    }


def _everything(name, array):
    return True


def _penalty_cases(label, make):
    def build(rng):
        params = _penalty_params(rng)
        return [
            (label, make(None), params, 1.0),
            (f"{label} (all parameters, scale=0.25)", make(_everything), params, 0.25),
        ]
    return build


PENALTY_CASES: dict[type, Callable] = {
    penalties.L1: _penalty_cases("L1(0.3)", lambda sel: penalties.L1(0.3, applies_to=sel)),
    penalties.L2: _penalty_cases("L2(0.5)", lambda sel: penalties.L2(0.5, applies_to=sel)),
    penalties.ElasticNet: _penalty_cases(
        "ElasticNet(l1=0.2, l2=0.4)", lambda sel: penalties.ElasticNet(0.2, 0.4, applies_to=sel)
    ),
}
"""Penalty class -> builder ``rng -> [(label, penalty, params, scale), ...]``."""


def check_all(seed: int = 0, *, step: float = DEFAULT_STEP, tolerance: float = DEFAULT_TOLERANCE,
              atol: float = DEFAULT_ATOL) -> list[GradCheckResult]:
    """Check every registered layer (training and inference), loss and penalty.

    Parameters
    ----------
    seed : int, default=0
        Seeds the layers, inputs, targets and random functionals.
    step : float, default=DEFAULT_STEP
    tolerance : float, default=DEFAULT_TOLERANCE
    atol : float, default=DEFAULT_ATOL

    Returns
    -------
    list of GradCheckResult
        In registry order; ``all(r.passed for r in results)`` when the engine is sound.
    """
    rng = np.random.default_rng(seed)
    results = []
    for build in LAYER_CASES.values():
        for label, layer, x in build(rng):
            for training in (True, False):
                results += check_layer(layer, x, training=training, name=label, step=step,
                                       tolerance=tolerance, atol=atol, seed=seed)
    for build in LOSS_CASES.values():
        for label, loss, prediction, target, sample_weight in build(rng):
            results.append(check_loss(loss, prediction, target, sample_weight=sample_weight,
                                      name=label, step=step, tolerance=tolerance, atol=atol))
    for build in PENALTY_CASES.values():
        for label, penalty, params, scale in build(rng):
            results.append(check_penalty(penalty, params, scale=scale, name=label, step=step,
                                         tolerance=tolerance, atol=atol))
    return results
