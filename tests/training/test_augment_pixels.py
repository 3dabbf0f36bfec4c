"""Random erasing and brightness/contrast jitter: the statistics they promise, train-only
use, reproducibility, and one vectorised pass per batch (for every augmenter)."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import FitwellClassifier
from fitwell.errors import ParameterError
from fitwell.training.augment import (
    AUGMENTERS,
    BrightnessContrast,
    GaussianNoise,
    Mixup,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    make_augmenter,
)

H, W = 28, 28


def ones(n, shape=(H, W)):
    return np.ones((n, int(np.prod(shape))), dtype=np.float32)


# -- random erasing --------------------------------------------------------------------------------

def erased_masks(out, shape=(H, W)):
    return (out == 0.0).reshape(len(out), *shape)


def test_erased_region_is_one_rectangle_whose_area_stays_within_scale():
    scale = (0.05, 0.3)
    out, _ = RandomErasing(p=1.0, scale=scale, image_shape=(H, W))(
        ones(500), None, np.random.default_rng(0))
    masks = erased_masks(out)
    fractions = []
    for mask in masks:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        assert mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()  # a full rectangle
        assert mask.sum() == len(rows) * len(cols)                       # and nothing else
        fractions.append(mask.sum() / (H * W))
    fractions = np.array(fractions)
    rounding = (H + W) / (H * W)   # rounding the sides by half a pixel each
    assert fractions.min() >= scale[0] - rounding and fractions.max() <= scale[1] + rounding
    assert abs(fractions.mean() - np.mean(scale)) < 0.02
    assert fractions.std() > 0.05   # drawn, not fixed


def test_p_is_the_share_of_erased_images():
    out, _ = RandomErasing(p=0.3, image_shape=(H, W))(ones(4000), None,
                                                      np.random.default_rng(1))
    share = erased_masks(out).any(axis=(1, 2)).mean()
    assert abs(share - 0.3) < 0.03


def test_cutout_is_a_fixed_square():
    out, _ = RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1, 1), image_shape=(H, W))(
        ones(50), None, np.random.default_rng(2))
    masks = erased_masks(out)
    assert (masks.sum(axis=(1, 2)) == 14 * 14).all()      # round(sqrt(0.25 * 784)) = 14
    corners = {(np.argmax(m.any(axis=1)), np.argmax(m.any(axis=0))) for m in masks}
    assert len(corners) > 30                               # at random places


def test_erasing_fills_with_value_and_erases_every_channel_alike():
    X = ones(20, (6, 5, 3))
    out, _ = RandomErasing(p=1.0, value=-2.5, image_shape=(6, 5, 3))(
        X, None, np.random.default_rng(3))
    images = out.reshape(20, 6, 5, 3)
    erased = images == -2.5
    assert erased.any(axis=(1, 2, 3)).all()
    assert ((images == 1.0) | erased).all()
    np.testing.assert_array_equal(erased[..., 0], erased[..., 1])
    np.testing.assert_array_equal(erased[..., 0], erased[..., 2])


# -- brightness and contrast -----------------------------------------------------------------------

def varied(n=400, seed=4):
    return np.random.default_rng(seed).random((n, 64)).astype(np.float32)


def test_brightness_shifts_each_image_by_one_amount_within_range():
    X = varied()
    out, _ = BrightnessContrast(brightness=0.3, contrast=0.0)(X, None, np.random.default_rng(5))
    shift = out - X
    # one shift per image
    np.testing.assert_allclose(shift, np.broadcast_to(shift[:, :1], shift.shape), atol=1e-6)
    assert np.abs(shift).max() <= 0.3 + 1e-6
    assert shift.min() < -0.25 and shift.max() > 0.25            # the whole range is used
    assert len(np.unique(np.round(shift[:, 0], 5))) > 300        # each image its own


def test_contrast_scales_about_the_image_mean_within_range():
    X = varied()
    out, _ = BrightnessContrast(brightness=0.0, contrast=0.4)(X, None, np.random.default_rng(6))
    mean = X.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(out.mean(axis=1, keepdims=True), mean, atol=1e-5)
    centred = (X - mean).astype(np.float64)
    factor = ((out - mean) * centred).sum(axis=1) / (centred ** 2).sum(axis=1)
    np.testing.assert_allclose(out, mean + factor[:, None] * centred, atol=1e-5)  # one per image
    assert factor.min() >= 0.6 - 1e-5 and factor.max() <= 1.4 + 1e-5
    assert factor.min() < 0.65 and factor.max() > 1.35


# -- for every augmenter: reproducible, vectorised -------------------------------------------------

EVERY = [
    pytest.param(lambda: RandomShift(2.0, image_shape=(8, 8)), id="shift"),
    pytest.param(lambda: RandomRotation(15, image_shape=(8, 8)), id="rotation"),
    pytest.param(lambda: RandomHorizontalFlip(0.5, image_shape=(8, 8)), id="flip"),
    pytest.param(lambda: RandomErasing(0.5, image_shape=(8, 8)), id="erasing"),
    pytest.param(lambda: GaussianNoise(0.2), id="noise"),
    pytest.param(lambda: BrightnessContrast(0.2, 0.2), id="jitter"),
    pytest.param(lambda: Mixup(0.4), id="mixup"),
]


def test_every_named_augmenter_is_covered():
    assert len(EVERY) == len(AUGMENTERS)


class CountingGenerator:
    """A ``numpy.random.Generator`` that counts how often it is asked for numbers."""

    def __init__(self, seed):
        self.rng, self.calls = np.random.default_rng(seed), 0

    def __getattr__(self, name):
        method = getattr(self.rng, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return method(*args, **kwargs)
        return counted


@pytest.mark.parametrize("make", EVERY)
def test_one_vectorised_pass_per_batch_whatever_its_size(make):
    """A loop over images would draw per image: the number of draws would grow with the
    batch. Each augmenter draws a fixed number of times per batch instead."""
    calls = []
    for n in (3, 300):
        rng = CountingGenerator(0)
        X = np.random.default_rng(1).random((n, 64)).astype(np.float32)
        y = np.eye(2)[np.arange(n) % 2]
        out, _ = make()(X, y, rng)
        assert out.shape == X.shape and out.dtype == X.dtype
        calls.append(rng.calls)
    assert calls[0] == calls[1] and calls[0] >= 1


@pytest.mark.parametrize("make", EVERY)
def test_same_generator_state_same_batch(make):
    X = np.random.default_rng(1).random((40, 64)).astype(np.float32)
    y = np.eye(2)[np.arange(40) % 2]
    first = make()(X, y, np.random.default_rng(7))[0]
    np.testing.assert_array_equal(first, make()(X, y, np.random.default_rng(7))[0])
    assert not np.array_equal(first, make()(X, y, np.random.default_rng(8))[0])


# -- train-only ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, cls", [("erasing", RandomErasing),
                                       ("jitter", BrightnessContrast)])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_classifier_applies_them_to_its_training_rows_only(monkeypatch, name, cls):
    seen = []
    original = cls.__call__

    def spy(self, X, y, rng):
        seen.append(X.copy())
        return original(self, X, y, rng)

    monkeypatch.setattr(cls, "__call__", spy)
    rng = np.random.default_rng(0)
    X = rng.random((60, 16))
    y = (X[:, 0] > 0.5).astype(int)
    X_val = rng.random((30, 16)) + 50.0       # far away: any leak would be seen
    y_val = (X_val[:, 0] > 50.5).astype(int)
    clf = FitwellClassifier(hidden_layer_sizes=(8,), augment=name, image_shape=(4, 4),
                            max_iter=3, batch_size=20, early_stopping=True, random_state=0)
    clf.fit(X, y, validation_data=(X_val, y_val))
    assert len(seen) == 3 * 3
    assert np.abs(np.concatenate(seen)).max() < 10
    clf.predict_proba(X_val)
    assert len(seen) == 3 * 3


def test_recipes_name_them_with_parameters():
    built = make_augmenter([{"name": "erasing", "p": 0.25, "scale": [0.1, 0.2]},
                            {"name": "jitter", "brightness": 0.1, "contrast": 0.3}],
                           image_shape=(28, 28))
    erasing, jitter = built.augmenters
    assert erasing.p == 0.25 and erasing.scale == (0.1, 0.2)
    assert jitter.brightness == 0.1 and jitter.contrast == 0.3


@pytest.mark.parametrize("build, match", [
    (lambda: RandomErasing(1.5, image_shape=(8, 8)), r"p must be a number in \[0, 1"),
    (lambda: RandomErasing(scale=(0.4, 0.1), image_shape=(8, 8)), "low <= high"),
    (lambda: RandomErasing(scale=(0.1, 1.5), image_shape=(8, 8)), r"scale\[1\]"),
    (lambda: RandomErasing(scale=0.2, image_shape=(8, 8)), "must be a pair"),
    (lambda: RandomErasing(ratio=(0, 2), image_shape=(8, 8)), "ratio must be positive"),
    (lambda: RandomErasing(value=float("nan"), image_shape=(8, 8)), "value"),
    (lambda: make_augmenter("erasing"), "give image_shape"),
    (lambda: BrightnessContrast(brightness=-0.1), "brightness"),
    (lambda: BrightnessContrast(contrast=1.5), r"contrast must be a number in \[0, 1"),
])
def test_bad_parameters_are_clear_errors(build, match):
    with pytest.raises(ParameterError, match=match):
        build()
