"""Pixel-value augmentations: Gaussian noise, random erasing (cutout), and brightness and
contrast jitter — what colour jitter means for grey images."""

from __future__ import annotations

import numpy as np

from ..._validation import check_number
from ...errors import ParameterError
from .base import Augmenter, ImageAugmenter

__all__ = ["GaussianNoise", "RandomErasing", "BrightnessContrast"]


def _float_dtype(X):
    return X.dtype if X.dtype == np.float32 else np.float64


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
        noise = rng.standard_normal(X.shape, dtype=_float_dtype(X))
        noise *= self.std
        noise += X
        return noise, y


def _check_range(value, name, owner, low, high):
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ParameterError(f"{owner}: {name} must be a pair (low, high), got {value!r}; "
                             f"e.g. {name}=({low}, {high})") from None
    a = check_number(a, f"{name}[0]", owner, low=low, high=high)
    b = check_number(b, f"{name}[1]", owner, low=low, high=high)
    if a > b:
        raise ParameterError(f"{owner}: {name} must be (low, high) with low <= high, got "
                             f"{value!r}; swap the two values")
    return a, b


class RandomErasing(ImageAugmenter):
    """Random erasing (Zhong et al., https://arxiv.org/abs/1708.04896): with probability
    ``p``, set one random rectangle of each image to ``value``.

    For each erased image the rectangle's area is ``s·H·W`` with ``s ~ U(scale)`` and its
    aspect ratio ``r = h / w`` is log-uniform in ``ratio``, so ``h = round(sqrt(s·H·W·r))``
    and ``w = round(sqrt(s·H·W / r))``, each clipped to ``[1, H]`` and ``[1, W]``; its
    top-left corner is uniform over the positions where it fits. Cutout (DeVries & Taylor,
    https://arxiv.org/abs/1708.04552) is the special case ``p=1``, ``scale=(s, s)``,
    ``ratio=(1, 1)``. Every channel of a colour image is erased alike.

    Parameters
    ----------
    p : float, default=0.5
        Probability that an image is erased at all.
    scale : (float, float), default=(0.02, 0.33)
        Range of the erased fraction of the image area, within ``[0, 1]``.
    ratio : (float, float), default=(0.3, 3.3)
        Range of the rectangle's aspect ratio ``h / w``, positive.
    value : float, default=0.0
        What the erased pixels become, in the units of the features: 0 is black for
        pixels in ``[0, 1]`` and the pixel's mean once the features are standardised.
    image_shape : tuple
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0,
                 image_shape=None):
        super().__init__(image_shape)
        owner = "RandomErasing"
        self.p = check_number(p, "p", owner, high=1.0)
        self.scale = _check_range(scale, "scale", owner, 0.0, 1.0)
        self.ratio = _check_range(ratio, "ratio", owner, 0.0, None)
        if self.ratio[0] <= 0:
            raise ParameterError(f"{owner}: ratio must be positive, got {ratio!r}; "
                                 "e.g. ratio=(0.3, 3.3)")
        self.value = check_number(value, "value", owner, low=None)

    def rectangles(self, n, rng):
        """Draw ``(erase, top, left, height, width)``, one entry per image."""
        height, width = self.image_shape[:2]
        erase = rng.random(n) < self.p
        area = rng.uniform(*self.scale, size=n) * (height * width)
        log_ratio = rng.uniform(np.log(self.ratio[0]), np.log(self.ratio[1]), size=n)
        ratio = np.exp(log_ratio)
        h = np.clip(np.rint(np.sqrt(area * ratio)), 1, height).astype(np.intp)
        w = np.clip(np.rint(np.sqrt(area / ratio)), 1, width).astype(np.intp)
        position = rng.random((n, 2))
        top = np.floor(position[:, 0] * (height - h + 1)).astype(np.intp)
        left = np.floor(position[:, 1] * (width - w + 1)).astype(np.intp)
        return erase, top, left, h, w

    def __call__(self, X, y, rng):
        images = self._as_images(X).copy()
        height, width = self.image_shape[:2]
        erase, top, left, h, w = self.rectangles(X.shape[0], rng)
        rows = np.arange(height)[None, :, None]
        cols = np.arange(width)[None, None, :]
        inside = ((rows >= top[:, None, None]) & (rows < (top + h)[:, None, None])
                  & (cols >= left[:, None, None]) & (cols < (left + w)[:, None, None])
                  & erase[:, None, None])
        if images.ndim == 4:
            inside = np.broadcast_to(inside[..., None], images.shape)
        images[inside] = self.value
        return images.reshape(X.shape), y


class BrightnessContrast(Augmenter):
    """Brightness and contrast jitter: each image (row) gets its own random brightness
    shift ``b`` and contrast factor ``c``,

    .. math:: x' = c\\,(x - \\bar{x}) + \\bar{x} + b,
              \\quad b \\sim U(-\\text{brightness}, \\text{brightness}),
              \\quad c \\sim U(1 - \\text{contrast}, 1 + \\text{contrast}),

    where :math:`\\bar{x}` is the image's mean value. Contrast is scaled about the image's
    mean as torchvision's ``adjust_contrast`` does; brightness is a shift rather than
    torchvision's factor, because fitwell's features are usually standardised, where
    multiplying would also change the contrast. Values are not clipped.

    Parameters
    ----------
    brightness : float, default=0.2
        Largest brightness shift, in the units of the features.
    contrast : float, default=0.2
        Largest relative contrast change, in ``[0, 1]``.
    """

    def __init__(self, brightness=0.2, contrast=0.2):
        owner = "BrightnessContrast"
        self.brightness = check_number(brightness, "brightness", owner)
        self.contrast = check_number(contrast, "contrast", owner, high=1.0)

    def __call__(self, X, y, rng):
        n = X.shape[0]
        dtype = _float_dtype(X)
        shift = rng.uniform(-self.brightness, self.brightness, size=(n, 1)).astype(dtype)
        factor = rng.uniform(1.0 - self.contrast, 1.0 + self.contrast, size=(n, 1))
        factor = factor.astype(dtype)
        mean = X.mean(axis=1, keepdims=True, dtype=dtype)
        out = X - mean
        out *= factor
        out += mean
        out += shift
        return out.astype(X.dtype, copy=False), y
