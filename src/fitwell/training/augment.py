"""Data augmentation for training batches, composable and driven by an injected generator.

An augmenter is called as ``augmenter(X, y, rng) -> (X, y)`` on one training batch
(never on validation or test data). ``X`` holds flat rows; image augmenters are
told the ``image_shape`` of a row — ``(height, width)`` or
``(height, width, channels)``. Geometry is done by :func:`scipy.ndimage.map_coordinates`
on the whole batch at once, every image with its own random transform.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
from scipy import ndimage

from .._validation import check_number, check_positive_int
from ..errors import DataError, ParameterError

__all__ = [
    "Augmenter", "Compose", "RandomShift", "RandomRotation", "RandomHorizontalFlip",
    "GaussianNoise", "Mixup", "make_augmenter", "AUGMENTERS",
]


def _check_image_shape(image_shape, owner):
    shape = tuple(image_shape) if image_shape is not None else None
    if shape is None or len(shape) not in (2, 3):
        raise ParameterError(f"{owner}: image_shape must be (height, width) or (height, width, "
                             f"channels) of positive integers, got {image_shape!r}")
    return tuple(check_positive_int(s, f"image_shape[{index}]", owner)
                 for index, s in enumerate(shape))


class Augmenter:
    """Base class. Subclasses implement ``__call__(X, y, rng) -> (X, y)``."""

    #: whether the augmenter needs class targets as one-hot probability rows
    needs_one_hot = False

    def __call__(self, X, y, rng):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class Compose(Augmenter):
    """Apply augmenters in order."""

    def __init__(self, augmenters):
        self.augmenters = list(augmenters)
        for aug in self.augmenters:
            if not callable(aug):
                raise ParameterError(f"Compose: every augmenter must be callable, got {aug!r}")

    @property
    def needs_one_hot(self):
        return any(getattr(a, "needs_one_hot", False) for a in self.augmenters)

    def __call__(self, X, y, rng):
        for aug in self.augmenters:
            X, y = aug(X, y, rng)
        return X, y


class _ImageWarp(Augmenter):
    """Shared geometry: rotate each image about its centre and shift it."""

    def __init__(self, image_shape):
        self.image_shape = _check_image_shape(image_shape, type(self).__name__)

    def _as_images(self, X):
        size = math.prod(self.image_shape)
        if X.ndim != 2 or X.shape[1] != size:
            width = X.shape[1] if X.ndim == 2 else "?"
            raise DataError(f"{type(self).__name__}: rows of {width} values do not match "
                            f"image_shape {self.image_shape} ({size} values)")
        return X.reshape((X.shape[0], *self.image_shape))

    def _warp(self, X, angles_deg, shifts):
        """Bilinear warp of every image by its own angle (degrees) and (dy, dx) shift."""
        images = self._as_images(X)
        n, height, width = images.shape[:3]
        cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
        theta = np.deg2rad(angles_deg)[:, None, None]
        rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        # For each output pixel, the input position it samples: inverse rotation about
        # the centre, then the inverse shift.
        dy = rows[None] - cy - shifts[:, 0, None, None]
        dx = cols[None] - cx - shifts[:, 1, None, None]
        src_rows = np.cos(theta) * dy - np.sin(theta) * dx + cy
        src_cols = np.sin(theta) * dy + np.cos(theta) * dx + cx
        sample = np.broadcast_to(np.arange(n)[:, None, None], src_rows.shape)
        if images.ndim == 3:
            coords = np.stack([sample, src_rows, src_cols])
        else:
            channels = images.shape[3]
            expand = (..., None)
            coords = np.stack([
                np.broadcast_to(sample[expand], (*src_rows.shape, channels)),
                np.broadcast_to(src_rows[expand], (*src_rows.shape, channels)),
                np.broadcast_to(src_cols[expand], (*src_rows.shape, channels)),
                np.broadcast_to(np.arange(channels), (*src_rows.shape, channels)),
            ])
        warped = ndimage.map_coordinates(images, coords, order=1, mode="constant", cval=0.0)
        return warped.reshape(X.shape).astype(X.dtype, copy=False)


class RandomShift(_ImageWarp):
    """Shift each image by a random offset of up to ``max_shift`` pixels per axis.

    Parameters
    ----------
    max_shift : float, default=1.0
        Largest shift in pixels, drawn uniformly in ``[-max_shift, max_shift]``
        for each axis and image (sub-pixel shifts are interpolated bilinearly).
    image_shape : tuple
        ``(height, width)`` or ``(height, width, channels)`` of one row.
    """

    def __init__(self, max_shift=1.0, image_shape=None):
        super().__init__(image_shape)
        self.max_shift = check_number(max_shift, "max_shift", "RandomShift")

    def __call__(self, X, y, rng):
        n = X.shape[0]
        shifts = rng.uniform(-self.max_shift, self.max_shift, size=(n, 2))
        return self._warp(X, np.zeros(n), shifts), y


class RandomRotation(_ImageWarp):
    """Rotate each image about its centre by a random angle.

    Parameters
    ----------
    max_degrees : float, default=10.0
        Angles are drawn uniformly in ``[-max_degrees, max_degrees]``.
    image_shape : tuple
    """

    def __init__(self, max_degrees=10.0, image_shape=None):
        super().__init__(image_shape)
        self.max_degrees = check_number(max_degrees, "max_degrees", "RandomRotation",
                                        high=180.0)

    def __call__(self, X, y, rng):
        n = X.shape[0]
        angles = rng.uniform(-self.max_degrees, self.max_degrees, size=n)
        return self._warp(X, angles, np.zeros((n, 2))), y


class RandomHorizontalFlip(_ImageWarp):
    """Mirror each image left-right with probability ``p``.

    Off by default in the named augmentations: digits and letters are not
    symmetric, so a flip changes their meaning.

    Parameters
    ----------
    p : float, default=0.5
    image_shape : tuple
    """

    def __init__(self, p=0.5, image_shape=None):
        super().__init__(image_shape)
        self.p = check_number(p, "p", "RandomHorizontalFlip", high=1.0)

    def __call__(self, X, y, rng):
        images = self._as_images(X).copy()
        flip = rng.random(X.shape[0]) < self.p
        images[flip] = images[flip, :, ::-1]
        return images.reshape(X.shape), y


class GaussianNoise(Augmenter):
    """Add independent ``N(0, std**2)`` noise to every feature.

    Parameters
    ----------
    std : float, default=0.1
        In the units of the (usually standardised) features.
    """

    def __init__(self, std=0.1):
        self.std = check_number(std, "std", "GaussianNoise")

    def __call__(self, X, y, rng):
        noise = rng.standard_normal(X.shape, dtype=X.dtype if X.dtype == np.float32 else np.float64)
        noise *= self.std
        noise += X
        return noise, y


class Mixup(Augmenter):
    """Mixup (Zhang et al., https://arxiv.org/abs/1710.09412).

    Each batch is mixed with a shuffled copy of itself: ``x = lam x + (1 - lam) x'``
    and the same for the targets, with one ``lam ~ Beta(alpha, alpha)`` per batch.
    Class targets become probability rows, which the cross-entropy accepts.

    Parameters
    ----------
    alpha : float, default=0.2
        Beta distribution parameter; small values keep most samples nearly pure.
    """

    needs_one_hot = True

    def __init__(self, alpha=0.2):
        self.alpha = check_number(alpha, "alpha", "Mixup", low_open=True)

    def __call__(self, X, y, rng):
        lam = rng.beta(self.alpha, self.alpha)
        order = rng.permutation(X.shape[0])
        mixed_X = lam * X + (1.0 - lam) * X[order]
        y = np.asarray(y)
        mixed_y = lam * y + (1.0 - lam) * y[order]
        return mixed_X.astype(X.dtype, copy=False), mixed_y


AUGMENTERS = {
    "shift": RandomShift, "rotation": RandomRotation, "flip": RandomHorizontalFlip,
    "noise": GaussianNoise, "mixup": Mixup,
}
_IMAGE_AUGMENTERS = {"shift", "rotation", "flip"}


def make_augmenter(spec, image_shape=None):
    """Build one augmenter from a name, a ``(name, {params})`` pair, a
    ``{"name": name, **params}`` mapping (a TOML inline table), or an object.

    Names: ``"shift"``, ``"rotation"``, ``"flip"`` (need ``image_shape``),
    ``"noise"``, ``"mixup"``. A list builds a :class:`Compose`.
    """
    if spec is None:
        return None
    if isinstance(spec, dict):
        params = dict(spec)
        name = params.pop("name", None)
        if not isinstance(name, str):
            raise ParameterError(f"an augmentation given as a mapping needs a 'name' key, e.g. "
                                 f"{{'name': 'rotation', 'max_degrees': 10}}; got {spec!r}")
        return make_augmenter((name, params), image_shape)
    if isinstance(spec, list | tuple) and not (
            len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], dict)):
        parts = [make_augmenter(s, image_shape) for s in spec]
        return Compose(parts) if len(parts) != 1 else parts[0]
    if callable(spec) and not isinstance(spec, str):
        return spec
    name, params = (spec, {}) if isinstance(spec, str) else spec
    if name not in AUGMENTERS:
        raise ParameterError(f"unknown augmentation {name!r}; choose from {sorted(AUGMENTERS)} "
                             "or pass an augmenter object")
    params = dict(params)
    if name in _IMAGE_AUGMENTERS:
        if image_shape is None:
            raise ParameterError(f"augmentation {name!r} works on images: give image_shape, e.g. "
                                 "image_shape=(8, 8) for the digits data")
        params["image_shape"] = image_shape
    allowed = [p for p in inspect.signature(AUGMENTERS[name]).parameters if p != "image_shape"]
    unknown = sorted(set(params) - set(allowed) - {"image_shape"})
    if unknown:
        raise ParameterError(f"augmentation {name!r} has no parameter(s) {unknown}; it takes "
                             f"{allowed}")
    return AUGMENTERS[name](**params)
