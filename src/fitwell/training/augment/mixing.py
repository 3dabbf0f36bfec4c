"""Mixup: each batch blended with a shuffled copy of itself, inputs and targets alike."""

from __future__ import annotations

import numpy as np

from ..._validation import check_number
from .base import Augmenter

__all__ = ["Mixup"]


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
