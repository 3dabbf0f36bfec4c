"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from .module import Module, as_generator

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each activation with probability ``p`` during training.

    Kept activations are scaled by ``1 / (1 - p)`` ("inverted" dropout), so the
    expected output equals the input and inference is the identity.

    Parameters
    ----------
    p : float, default=0.5
        Drop probability, in ``[0, 1)``.
    rng : numpy.random.Generator, int or None
        Source of the masks; the same seed gives the same masks.

    Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", JMLR 2014.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = as_generator(rng, "Dropout")

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training or self.p == 0.0:
            self._cache = (x.shape, None)
            return x
        # Cheap masks: the generator's raw 64-bit output read as four 16-bit integers
        # per word (a third of the cost of float uniforms), kept where >= p * 2**16, so
        # p is rounded to a multiple of 2**-16 (at most 8e-6 off). The mask, reused
        # across steps, holds 0 or 1/(1-p): forward and backward are one product each.
        n_words = -(-x.size // 4)
        bits = self.rng.bit_generator.random_raw(n_words).view(np.uint16)[:x.size]
        mask = self._workspace("mask", x.shape, x.dtype)
        np.greater_equal(bits.reshape(x.shape), min(round(self.p * 65536), 65535), out=mask)
        mask *= 1.0 / (1.0 - self.p)
        self._cache = (x.shape, mask)
        return np.multiply(x, mask, out=self._workspace("out", x.shape, x.dtype))

    def backward(self, grad):
        shape, mask = self._require_cache()
        grad = self._check_grad(grad, shape)
        if mask is None:
            return grad
        return np.multiply(grad, mask, out=self._workspace("dx", grad.shape, grad.dtype))

    def extra_repr(self):
        return f"p={self.p}"
