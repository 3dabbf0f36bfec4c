"""What an augmenter is: a callable ``(X, y, rng) -> (X, y)`` on one training batch, and
the shared handling of image rows."""

from __future__ import annotations

import math

from ..._validation import check_positive_int
from ...errors import DataError, ParameterError

__all__ = ["Augmenter", "Compose", "ImageAugmenter", "check_image_shape"]


def check_image_shape(image_shape, owner):
    """``image_shape`` as a tuple of positive ints, or a :class:`ParameterError`."""
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


class ImageAugmenter(Augmenter):
    """Base of the augmenters that see each row as an image of ``image_shape``."""

    def __init__(self, image_shape):
        self.image_shape = check_image_shape(image_shape, type(self).__name__)

    def _as_images(self, X):
        size = math.prod(self.image_shape)
        if X.ndim != 2 or X.shape[1] != size:
            width = X.shape[1] if X.ndim == 2 else "?"
            raise DataError(f"{type(self).__name__}: rows of {width} values do not match "
                            f"image_shape {self.image_shape} ({size} values)")
        return X.reshape((X.shape[0], *self.image_shape))
