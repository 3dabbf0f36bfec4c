"""Compiled L1 and L2 penalties on the flat parameter buffer.

Each kernel adds the penalty's gradient to the selected entries in one pass, with
the same float operations as the per-array NumPy path (so the gradients are
bit-identical), and returns the penalty's sum in float64. The sum may be
reassociated so that it vectorises (:data:`fitwell._jit.jit_reassociating`); it is
still the same on every run.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit_reassociating

__all__ = ["l2", "l1"]


@jit_reassociating
def l2(param, grad, selected, coefficient):
    """Add ``coefficient * w`` to the gradient of the selected entries (``selected``
    is 1 there, 0 elsewhere); return ``sum(w ** 2)`` over them, in float64."""
    total = 0.0
    for i in range(param.size):
        w = param[i] * selected[i]  # selected is 0 or 1
        grad[i] = grad[i] + w * coefficient
        total += float(w) * float(w)
    return total


@jit_reassociating
def l1(param, grad, selected, coefficient):
    """Add ``coefficient * sign(w)`` to the gradient of the selected entries; return
    ``sum(|w|)`` over them, in float64."""
    total = 0.0
    for i in range(param.size):
        w = param[i] * selected[i]  # selected is 0 or 1
        grad[i] = grad[i] + np.sign(w) * coefficient
        total += abs(float(w))
    return total
