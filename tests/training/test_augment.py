"""Augmentation: geometry checked against NumPy, reproducibility, training batches only."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import FitwellClassifier, nn, optim
from fitwell.errors import ParameterError
from fitwell.training import Trainer, accuracy_from_logits
from fitwell.training.augment import (
    AUGMENTERS,
    Augmenter,
    Compose,
    GaussianNoise,
    Mixup,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
    make_augmenter,
)


class FixedDraws:
    """A stand-in generator whose ``uniform`` always returns ``value`` (per element)."""

    def __init__(self, value):
        self.value = value

    def uniform(self, low, high, size):
        return np.broadcast_to(np.asarray(self.value, dtype=np.float64), size).copy()


def images_with_zero_border(n=5, size=8, seed=0, dtype=np.float64):
    """Random images whose outer ring of pixels is 0 (so a shift by one loses nothing)."""
    images = np.zeros((n, size, size), dtype=dtype)
    images[:, 1:-1, 1:-1] = np.random.default_rng(seed).random((n, size - 2, size - 2))
    return images


def gaussian_blob(size=9, sigma=2.0):
    centre = (size - 1) / 2
    rows, cols = np.mgrid[:size, :size]
    return np.exp(-((rows - centre) ** 2 + (cols - centre) ** 2) / (2 * sigma ** 2))


def flat(images):
    return images.reshape(len(images), -1)


ALL_AUGMENTERS = [
    pytest.param(lambda: RandomShift(1.5, image_shape=(8, 8)), id="shift"),
    pytest.param(lambda: RandomRotation(20, image_shape=(8, 8)), id="rotation"),
    pytest.param(lambda: RandomHorizontalFlip(0.5, image_shape=(8, 8)), id="flip"),
    pytest.param(lambda: GaussianNoise(0.3), id="noise"),
    pytest.param(lambda: Mixup(0.4), id="mixup"),
    pytest.param(lambda: Compose([RandomShift(1.0, image_shape=(8, 8)),
                                  RandomRotation(10, image_shape=(8, 8)),
                                  GaussianNoise(0.1)]), id="compose"),
]


def batch(dtype=np.float32, n=12):
    rng = np.random.default_rng(5)
    X = rng.random((n, 64)).astype(dtype)
    y = np.eye(3)[np.arange(n) % 3]  # probability rows, as the trainer gives mixup
    return X, y


# -- shapes, dtypes, reproducibility ---------------------------------------------------------------

@pytest.mark.parametrize("make", ALL_AUGMENTERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_are_preserved_and_the_input_is_not_modified(make, dtype):
    X, y = batch(dtype)
    X_before, y_before = X.copy(), y.copy()
    X_out, y_out = make()(X, y, np.random.default_rng(0))
    assert X_out.shape == X.shape and X_out.dtype == dtype
    assert y_out.shape == y.shape
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    assert np.isfinite(X_out).all()


@pytest.mark.parametrize("make", ALL_AUGMENTERS)
def test_same_seed_same_output_different_seed_different_output(make):
    X, y = batch()
    augmenter = make()
    a = augmenter(X, y, np.random.default_rng(42))
    b = augmenter(X, y, np.random.default_rng(42))
    c = augmenter(X, y, np.random.default_rng(43))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_each_image_gets_its_own_transform():
    X = np.repeat(flat(images_with_zero_border(1)), 6, axis=0)
    out, _ = RandomShift(1.0, image_shape=(8, 8))(X, None, np.random.default_rng(0))
    assert len({row.tobytes() for row in out}) == 6


@pytest.mark.parametrize("augmenter", [
    pytest.param(RandomShift(0, image_shape=(8, 8)), id="max_shift=0"),
    pytest.param(RandomRotation(0, image_shape=(8, 8)), id="max_degrees=0"),
    pytest.param(GaussianNoise(0.0), id="std=0"),
    pytest.param(RandomHorizontalFlip(0.0, image_shape=(8, 8)), id="p=0"),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_strength_is_the_identity(augmenter, dtype):
    X, y = batch(dtype)
    X_out, y_out = augmenter(X, y, np.random.default_rng(0))
    np.testing.assert_allclose(X_out, X, rtol=0, atol=1e-6)
    assert y_out is y


# -- geometry --------------------------------------------------------------------------------------

@pytest.mark.parametrize("shift", [1.0, -1.0])
def test_a_one_pixel_shift_moves_the_image_by_one_pixel(shift):
    images = images_with_zero_border()
    out, _ = RandomShift(1.0, image_shape=(8, 8))(flat(images), None, FixedDraws(shift))
    expected = np.roll(images, (int(shift), int(shift)), axis=(1, 2))
    np.testing.assert_allclose(out.reshape(images.shape), expected, atol=1e-12)


def test_shift_along_one_axis_only():
    images = images_with_zero_border()
    out, _ = RandomShift(2.0, image_shape=(8, 8))(flat(images), None, FixedDraws([1.0, 0.0]))
    np.testing.assert_allclose(out.reshape(images.shape), np.roll(images, 1, axis=1), atol=1e-12)


def test_shift_pushes_content_out_and_fills_with_zeros():
    images = np.ones((2, 8, 8))
    out, _ = RandomShift(3.0, image_shape=(8, 8))(flat(images), None, FixedDraws(3.0))
    out = out.reshape(images.shape)
    assert np.all(out[:, :3, :] == 0) and np.all(out[:, :, :3] == 0)
    np.testing.assert_allclose(out[:, 3:, 3:], 1.0)


def test_a_half_pixel_shift_interpolates_bilinearly():
    image = np.zeros((1, 8, 8))
    image[0, 4, 4] = 1.0
    out, _ = RandomShift(0.5, image_shape=(8, 8))(flat(image), None, FixedDraws([0.5, 0.0]))
    out = out.reshape(8, 8)
    np.testing.assert_allclose(out[4:6, 4], [0.5, 0.5])
    assert out.sum() == pytest.approx(1.0)


def test_shift_moves_every_channel_alike():
    images = images_with_zero_border(n=3, size=6)
    colour = np.stack([images, 2 * images, 3 * images], axis=-1)   # (n, 6, 6, 3)
    out, _ = RandomShift(1.0, image_shape=(6, 6, 3))(flat(colour), None, FixedDraws(1.0))
    expected = np.roll(colour, (1, 1), axis=(1, 2))
    np.testing.assert_allclose(out.reshape(colour.shape), expected, atol=1e-12)


@pytest.mark.parametrize("max_degrees", [5.0, 30.0, 90.0, 180.0])
def test_rotation_keeps_the_centre_of_a_symmetric_blob(max_degrees):
    blob = gaussian_blob()
    X = np.repeat(blob.reshape(1, -1), 8, axis=0)
    augmenter = RandomRotation(max_degrees, image_shape=(9, 9))
    for draw in (np.random.default_rng(1), FixedDraws(max_degrees), FixedDraws(-max_degrees)):
        out, _ = augmenter(X, None, draw)
        out = out.reshape(-1, 9, 9)
        np.testing.assert_allclose(out[:, 4, 4], blob[4, 4], rtol=1e-12)
        # Inside the frame's inscribed disc a radially symmetric blob hardly changes
        # (bilinear interpolation error only).
        disc = np.hypot(*np.mgrid[-4:5, -4:5]) <= 3
        np.testing.assert_allclose(out[:, disc], np.broadcast_to(blob[disc], out[:, disc].shape),
                                   atol=0.06)


def test_rotation_by_a_quarter_turn_is_rot90():
    images = np.random.default_rng(0).random((3, 7, 7))
    augmenter = RandomRotation(90, image_shape=(7, 7))
    plus, _ = augmenter(flat(images), None, FixedDraws(90.0))
    minus, _ = augmenter(flat(images), None, FixedDraws(-90.0))
    plus, minus = plus.reshape(images.shape), minus.reshape(images.shape)
    np.testing.assert_allclose(plus, np.rot90(images, k=-1, axes=(1, 2)), atol=1e-9)
    np.testing.assert_allclose(minus, np.rot90(images, k=1, axes=(1, 2)), atol=1e-9)


def test_rotation_angles_stay_within_max_degrees():
    # A single bright pixel at distance 3 from the centre moves along a circle; its
    # angle tells the rotation.
    image = np.zeros((1, 9, 9))
    image[0, 4, 7] = 1.0
    X = np.repeat(flat(image), 200, axis=0)
    out, _ = RandomRotation(15, image_shape=(9, 9))(X, None, np.random.default_rng(0))
    out = out.reshape(-1, 9, 9)
    rows, cols = np.mgrid[:9, :9]
    mass = out.sum(axis=(1, 2))
    row_c = (out * rows).sum(axis=(1, 2)) / mass - 4
    col_c = (out * cols).sum(axis=(1, 2)) / mass - 4
    angles = np.degrees(np.arctan2(row_c, col_c))
    assert np.all(np.abs(angles) <= 15 + 1.0)
    assert angles.min() < -10 and angles.max() > 10


def test_flip_with_p_one_mirrors_every_image():
    images = np.random.default_rng(0).random((4, 8, 8))
    out, _ = RandomHorizontalFlip(1.0, image_shape=(8, 8))(flat(images), None,
                                                            np.random.default_rng(0))
    np.testing.assert_array_equal(out.reshape(images.shape), images[:, :, ::-1])


def test_flip_mirrors_about_a_fraction_p_of_the_images():
    images = np.random.default_rng(0).random((400, 4, 4))
    out, _ = RandomHorizontalFlip(0.25, image_shape=(4, 4))(flat(images), None,
                                                             np.random.default_rng(0))
    out = out.reshape(images.shape)
    flipped = np.all(out == images[:, :, ::-1], axis=(1, 2))
    kept = np.all(out == images, axis=(1, 2))
    assert np.all(flipped ^ kept)
    assert 0.18 < flipped.mean() < 0.32


def test_flip_of_colour_images_mirrors_the_width_axis():
    images = np.random.default_rng(0).random((2, 4, 5, 3))
    out, _ = RandomHorizontalFlip(1.0, image_shape=(4, 5, 3))(flat(images), None,
                                                               np.random.default_rng(0))
    np.testing.assert_array_equal(out.reshape(images.shape), images[:, :, ::-1, :])


# -- noise and mixup -------------------------------------------------------------------------------

def test_gaussian_noise_has_the_requested_spread():
    X = np.zeros((500, 64), dtype=np.float32)
    out, _ = GaussianNoise(0.3)(X, None, np.random.default_rng(0))
    assert abs(out.mean()) < 0.01 and out.std() == pytest.approx(0.3, rel=0.02)


def test_mixup_targets_are_probability_rows_and_inputs_mix_alike():
    rng = np.random.default_rng(0)
    X = rng.random((32, 5))
    y = np.eye(4)[rng.integers(0, 4, 32)]
    X_out, y_out = Mixup(1.0)(X, y, np.random.default_rng(3))
    assert y_out.shape == (32, 4)
    assert np.all(y_out >= 0) and np.all(y_out <= 1)
    np.testing.assert_allclose(y_out.sum(axis=1), 1.0)
    # Reproduce the draw: one lambda per batch, one permutation.
    draw = np.random.default_rng(3)
    lam = draw.beta(1.0, 1.0)
    order = draw.permutation(32)
    np.testing.assert_allclose(X_out, lam * X + (1 - lam) * X[order])
    np.testing.assert_allclose(y_out, lam * y + (1 - lam) * y[order])


def test_mixup_needs_one_hot_targets_and_compose_says_so():
    assert Mixup.needs_one_hot and not RandomShift.needs_one_hot
    assert Compose([GaussianNoise(0.1), Mixup()]).needs_one_hot
    assert not Compose([GaussianNoise(0.1)]).needs_one_hot


def test_mixup_trains_with_the_cross_entropy():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 5)) * 2
    y = np.arange(150) % 3
    X = (centres[y] + rng.standard_normal((150, 5))).astype(np.float32)
    model = nn.Sequential(nn.Linear(5, 16, rng=rng), nn.ReLU(), nn.Linear(16, 3, rng=rng))
    seen = []

    def spy(X_batch, y_batch, draw):
        X_batch, y_batch = Mixup(0.4)(X_batch, y_batch, draw)
        seen.append(y_batch)
        return X_batch, y_batch

    spy.needs_one_hot = True
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.params, lr=0.02),
                      augment=spy, one_hot_classes=3, batch_size=32, max_epochs=15,
                      rng=np.random.default_rng(1), score=accuracy_from_logits)
    history = trainer.fit(X, y, validation_data=(X, y))
    assert all(t.ndim == 2 and t.shape[1] == 3 for t in seen)
    np.testing.assert_allclose(np.concatenate(seen).sum(axis=1), 1.0)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_score"][-1] > 0.9


def test_mixup_on_class_ids_without_one_hot_classes_is_a_clear_error():
    X = np.zeros((8, 3), dtype=np.float32)
    y = np.arange(8) % 2
    model = nn.Sequential(nn.Linear(3, 2, rng=np.random.default_rng(0)))
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.params, lr=0.1),
                      augment=Mixup(), max_epochs=1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="one_hot_classes"):
        trainer.fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_with_mixup_fits():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 5)) * 2
    y = np.array(["a", "b", "c"])[np.arange(150) % 3]
    X = centres[np.arange(150) % 3] + rng.standard_normal((150, 5))
    clf = FitwellClassifier(hidden_layer_sizes=(16,), augment="mixup", max_iter=40,
                            learning_rate_init=0.01, random_state=0)
    clf.fit(X, y)
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.score(X, y) > 0.9


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_with_image_augmentations_fits_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    clf = FitwellClassifier(hidden_layer_sizes=(32,), augment=["shift", "rotation"],
                            image_shape=(8, 8), max_iter=30, learning_rate_init=0.01,
                            random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ == 30 and clf.score(X, y) > 0.7


# -- training batches only -------------------------------------------------------------------------

class SpyAugmenter(Augmenter):
    """Records what it is given and returns it wrecked, so any leak would show."""

    def __init__(self):
        self.seen = []

    def __call__(self, X, y, rng):
        self.seen.append(X.copy())
        return X + 100.0, y


def test_augmentation_touches_training_batches_only():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.intp)
    X_val = rng.standard_normal((20, 4)).astype(np.float32)
    y_val = (X_val[:, 0] > 0).astype(np.intp)
    spy = SpyAugmenter()
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.ReLU(), nn.Linear(8, 2, rng=rng))
    loss = nn.CrossEntropyLoss()
    trainer = Trainer(model, loss, optim.SGD(model.params, lr=0.01), augment=spy,
                      batch_size=16, max_epochs=3, rng=np.random.default_rng(0),
                      score=accuracy_from_logits)
    history = trainer.fit(X, y, validation_data=(X_val, y_val))
    assert len(spy.seen) == 3 * 4                       # every training batch, once
    assert sorted(len(b) for b in spy.seen[:4]) == [2, 16, 16, 16]
    train_rows = {row.tobytes() for row in X}
    assert all(row.tobytes() in train_rows for b in spy.seen for row in b)
    # Validation was evaluated on the untouched data.
    expected, _ = loss(model.forward(X_val, training=False), y_val)
    assert history["val_loss"][-1] == pytest.approx(expected, rel=1e-6)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_augments_its_training_split_only():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] > 0).astype(int)
    X_val = rng.standard_normal((30, 4)) + 50.0   # far away: any leak would be seen
    y_val = (X_val[:, 1] > 50).astype(int)
    spy = SpyAugmenter()
    clf = FitwellClassifier(hidden_layer_sizes=(8,), augment=spy, max_iter=3, batch_size=20,
                            early_stopping=True, random_state=0)
    clf.fit(X, y, validation_data=(X_val, y_val))
    assert len(spy.seen) == 3 * 3
    seen = np.concatenate(spy.seen)
    assert np.abs(seen).max() < 10 and len(seen) == 3 * 60
    # The estimator predicts from clean inputs as well.
    np.testing.assert_array_equal(clf.predict(X_val), clf.predict(X_val.copy()))
    assert len(spy.seen) == 3 * 3


# -- building and validation -----------------------------------------------------------------------

def test_make_augmenter_builds_from_names_pairs_lists_and_objects():
    assert make_augmenter(None) is None
    shift = make_augmenter("shift", image_shape=(8, 8))
    assert isinstance(shift, RandomShift) and shift.image_shape == (8, 8)
    noise = make_augmenter(("noise", {"std": 0.2}))
    assert isinstance(noise, GaussianNoise) and noise.std == 0.2
    rotation = make_augmenter(("rotation", {"max_degrees": 5}), image_shape=[8, 8])
    assert rotation.max_degrees == 5.0 and rotation.image_shape == (8, 8)
    both = make_augmenter(["shift", ("rotation", {"max_degrees": 12})], image_shape=(8, 8))
    assert isinstance(both, Compose)
    assert [type(a) for a in both.augmenters] == [RandomShift, RandomRotation]
    assert isinstance(make_augmenter(["mixup"]), Mixup)   # a one-element list is the element
    custom = GaussianNoise(0.5)
    assert make_augmenter(custom) is custom
    # TOML inline tables: {name = "rotation", max_degrees = 10}
    table = make_augmenter([{"name": "rotation", "max_degrees": 10}, "noise"], image_shape=(8, 8))
    assert isinstance(table.augmenters[0], RandomRotation)
    assert table.augmenters[0].max_degrees == 10.0
    assert set(AUGMENTERS) == {"shift", "rotation", "flip", "erasing", "noise", "jitter", "mixup"}


def test_compose_applies_in_order():
    calls = []

    def first(X, y, rng):
        calls.append("first")
        return X * 2, y

    def second(X, y, rng):
        calls.append("second")
        return X + 1, y

    X = np.ones((2, 3))
    out, _ = Compose([first, second])(X, None, np.random.default_rng(0))
    assert calls == ["first", "second"]
    np.testing.assert_array_equal(out, 3.0)


@pytest.mark.parametrize("build, match", [
    (lambda: make_augmenter("blur"), "unknown augmentation 'blur'"),
    (lambda: make_augmenter("shift"), "give image_shape"),
    (lambda: make_augmenter(["noise", "flip"]), "image_shape"),
    (lambda: make_augmenter({"std": 0.1}), "needs a 'name' key"),
    (lambda: make_augmenter({"name": "noise", "sigma": 0.1}),
     r"'noise' has no parameter\(s\) \['sigma'\]; it takes \['std'\]"),
    (lambda: GaussianNoise(-0.1), r"std must be a number in \[0, inf\), got -0\.1"),
    (lambda: GaussianNoise("0.1"), "std"),
    (lambda: RandomShift(-1, image_shape=(8, 8)),
     r"max_shift must be a number in \[0, inf\), got -1\.0"),
    (lambda: RandomRotation(-5, image_shape=(8, 8)), "max_degrees"),
    (lambda: RandomRotation(200, image_shape=(8, 8)), r"max_degrees must be a number in \[0, 180"),
    (lambda: RandomHorizontalFlip(1.5, image_shape=(8, 8)), r"p must be a number in \[0, 1"),
    (lambda: Mixup(0), r"alpha must be a number in \(0, inf\), got 0\.0"),
    (lambda: Mixup(-1.0), "alpha"),
    (lambda: RandomShift(1.0), "image_shape must be"),
    (lambda: RandomShift(1.0, image_shape=(8,)), "image_shape must be"),
    (lambda: RandomShift(1.0, image_shape=(0, 8)),
     r"image_shape\[0\] must be an integer >= 1, got 0"),
    (lambda: RandomShift(1.0, image_shape=(8, 8.5)),
     r"image_shape\[1\] must be an integer >= 1, got 8\.5"),
    (lambda: Compose([GaussianNoise(0.1), "noise"]), "must be callable"),
])
def test_bad_parameters_raise_clear_errors(build, match):
    with pytest.raises(ParameterError, match=match):
        build()


@pytest.mark.parametrize("augmenter", [
    RandomShift(1, image_shape=(8, 8)), RandomRotation(5, image_shape=(8, 8)),
    RandomHorizontalFlip(0.5, image_shape=(8, 8)),
])
def test_rows_that_do_not_match_image_shape_are_rejected(augmenter):
    X = np.zeros((4, 65))
    with pytest.raises(ValueError, match=r"rows of 65 values do not match image_shape \(8, 8\)"):
        augmenter(X, None, np.random.default_rng(0))


def test_classifier_rejects_an_image_shape_that_does_not_fit_the_features():
    X = np.random.default_rng(0).random((20, 64))
    y = np.arange(20) % 2
    clf = FitwellClassifier(augment="shift", image_shape=(8, 7), max_iter=2)
    with pytest.raises(ValueError, match="image_shape"):
        clf.fit(X, y)
