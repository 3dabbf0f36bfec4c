"""Geometric image augmentations: shift (translation), rotation and horizontal flip.

Shift and rotation are done by :func:`scipy.ndimage.map_coordinates` on the whole batch
at once, every image with its own random transform.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..._validation import check_number
from .base import ImageAugmenter

__all__ = ["RandomShift", "RandomRotation", "RandomHorizontalFlip"]


class _ImageWarp(ImageAugmenter):
    """Shared geometry: rotate each image about its centre and shift it."""

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


class RandomHorizontalFlip(ImageAugmenter):
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
