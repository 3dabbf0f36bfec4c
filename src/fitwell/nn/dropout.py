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
        # Uniform draws straight into a reused buffer in the layer's dtype: no new
        # arrays per step. The mask then holds 0 or 1/(1-p) so forward and backward
        # are each one multiplication.
        mask = self._workspace("mask", x.shape, x.dtype)
        self.rng.random(out=mask, dtype=x.dtype)
        keep = self._workspace("keep", x.shape, np.bool_)
        np.greater_equal(mask, self.p, out=keep)
        np.multiply(keep, 1.0 / (1.0 - self.p), out=mask)
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
