"""The losses the estimators use beside the PyTorch ones: ``HalfMSELoss`` (scikit-learn's
squared error) and ``BinaryCrossEntropyLoss`` with label smoothing. (Their gradients are
checked in ``fitwell.testing.gradcheck``.)"""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn
from fitwell.errors import ParameterError


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((7, 3)), rng.standard_normal((7, 3)), rng.uniform(0.2, 2, 7)


@pytest.mark.parametrize("weighted", [False, True])
def test_half_mse_is_half_of_mse(weighted):
    prediction, target, weight = _batch()
    weight = weight if weighted else None
    half, half_grad = nn.HalfMSELoss()(prediction, target, sample_weight=weight)
    full, full_grad = nn.MSELoss()(prediction, target, sample_weight=weight)
    assert half == pytest.approx(0.5 * full, rel=1e-15)
    np.testing.assert_allclose(half_grad, 0.5 * full_grad, rtol=1e-15)
    assert half == pytest.approx(0.5 * np.average(((prediction - target) ** 2).mean(axis=1),
                                                  weights=weight))


def test_bce_smoothing_pulls_the_targets_towards_one_half():
    logits, _, weight = _batch()
    labels = (np.random.default_rng(1).uniform(size=(7, 3)) > 0.5).astype(np.float64)
    smoothed = nn.BinaryCrossEntropyLoss(label_smoothing=0.2)(logits, labels, weight)
    expected = nn.BinaryCrossEntropyLoss()(logits, labels * 0.8 + 0.1, weight)
    assert smoothed[0] == pytest.approx(expected[0], rel=1e-15)
    np.testing.assert_allclose(smoothed[1], expected[1], rtol=1e-15)
    plain = nn.BinaryCrossEntropyLoss(label_smoothing=0.0)(logits, labels)
    assert plain[0] == nn.BinaryCrossEntropyLoss()(logits, labels)[0]


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), True, "0.1"])
def test_bce_smoothing_outside_zero_one_is_refused(value):
    with pytest.raises(ParameterError, match="label_smoothing"):
        nn.BinaryCrossEntropyLoss(label_smoothing=value)


def test_bce_smoothing_accepts_numpy_scalars():
    assert nn.BinaryCrossEntropyLoss(label_smoothing=np.float32(0.5)).label_smoothing == 0.5
