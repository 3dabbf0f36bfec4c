"""Inverted dropout, and the mask draw it shares with the compiled training path."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_number
from .module import Module, as_generator

__all__ = ["Dropout", "draw_keep_bits"]


def draw_keep_bits(rng, shape, p):
    """Random 16-bit integers of ``shape`` and the threshold at or above which an
    entry is kept: ``(bits, threshold)``, kept where ``bits >= threshold``.

    Cheap masks: the generator's raw 64-bit output read as four 16-bit integers per
    word (a third of the cost of float uniforms), so ``p`` is rounded to a multiple
    of ``2**-16`` (at most 8e-6 off). :class:`Dropout` and the compiled
    :class:`~fitwell.nn.dense_block.DenseBlock` both draw here, which is why a
    fused and an unfused network given the same seeds see the same masks.
    """
    size = math.prod(shape)
    bits = rng.bit_generator.random_raw(-(-size // 4)).view(np.uint16)[:size]
    return bits.reshape(shape), min(round(p * 65536), 65535)


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
        self.p = check_number(p, "p", "Dropout", high=1.0, high_open=True)
        self.rng = as_generator(rng, "Dropout")

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training or self.p == 0.0:
            self._cache = (x.shape, None)
            return x
        # The mask, reused across steps, holds 0 or 1/(1-p): forward and backward are
        # one product each.
        bits, threshold = draw_keep_bits(self.rng, x.shape, self.p)
        mask = self._workspace("mask", x.shape, x.dtype)
        np.greater_equal(bits, threshold, out=mask)
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
