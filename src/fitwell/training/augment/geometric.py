"""Geometric image augmentations: shift (translation), rotation and horizontal flip.

Shift and rotation warp every image of the batch in one compiled pass, each by its own
random transform, with bilinear interpolation (:func:`_warp_kernel`).
"""

from __future__ import annotations

import numpy as np

from ..._jit import jit
from ..._validation import check_number
from .base import ImageAugmenter

__all__ = ["RandomShift", "RandomRotation", "RandomHorizontalFlip"]


@jit
def _warp_kernel(images, cos, sin, shift_rows, shift_cols, out):
    r"""Rotate image ``i`` of ``images`` (n, height, width, channels) by the angle whose
    cosine and sine are ``cos[i]``, ``sin[i]`` about its centre, then shift it by
    ``(shift_rows[i], shift_cols[i])``, into ``out``.

    Each output pixel :math:`(r, c)` samples the input at the inverse transform
    :math:`(r_s, c_s)`, with :math:`d_r = r - c_y - s_r`, :math:`d_c = c - c_x - s_c`,
    :math:`r_s = \cos\theta\, d_r - \sin\theta\, d_c + c_y` and
    :math:`c_s = \sin\theta\, d_r + \cos\theta\, d_c + c_x`, by bilinear
    interpolation: with :math:`r_0 = \lfloor r_s \rfloor`, :math:`f = r_s - r_0` (and
    :math:`c_0`, :math:`g` likewise) it is
    :math:`(1-f)(1-g) I_{r_0 c_0} + (1-f) g I_{r_0, c_0+1} + f (1-g) I_{r_0+1, c_0}
    + f g I_{r_0+1, c_0+1}`, where pixels outside the image read 0.
    """
    n, height, width, channels = images.shape
    centre_row, centre_col = (height - 1) / 2.0, (width - 1) / 2.0
    for i in range(n):
        for r in range(height):
            for c in range(width):
                dr = r - centre_row - shift_rows[i]
                dc = c - centre_col - shift_cols[i]
                src_r = cos[i] * dr - sin[i] * dc + centre_row
                src_c = sin[i] * dr + cos[i] * dc + centre_col
                r0, c0 = int(np.floor(src_r)), int(np.floor(src_c))
                f, g = src_r - r0, src_c - c0
                for k in range(channels):
                    value = 0.0
                    if 0 <= r0 < height and 0 <= c0 < width:
                        value += (1 - f) * (1 - g) * images[i, r0, c0, k]
                    if 0 <= r0 < height and 0 <= c0 + 1 < width:
                        value += (1 - f) * g * images[i, r0, c0 + 1, k]
                    if 0 <= r0 + 1 < height and 0 <= c0 < width:
                        value += f * (1 - g) * images[i, r0 + 1, c0, k]
                    if 0 <= r0 + 1 < height and 0 <= c0 + 1 < width:
                        value += f * g * images[i, r0 + 1, c0 + 1, k]
                    out[i, r, c, k] = value


class _ImageWarp(ImageAugmenter):
    """Shared geometry: rotate each image about its centre and shift it."""

    def _warp(self, X, angles_deg, shifts):
        """Bilinear warp of every image by its own angle (degrees) and (dy, dx) shift."""
        images = self._as_images(X)
        if images.ndim == 3:
            images = images[..., None]
        images = np.ascontiguousarray(images)
        theta = np.deg2rad(angles_deg)
        out = np.empty_like(images)
        _warp_kernel(images, np.cos(theta), np.sin(theta),
                     np.ascontiguousarray(shifts[:, 0], dtype=np.float64),
                     np.ascontiguousarray(shifts[:, 1], dtype=np.float64), out)
        return out.reshape(X.shape)


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
