"""The compiled cross-entropy of class ids, the loss of almost every classifier's step.

One pass per row computes the stable log-softmax, the loss and its gradient, where
:class:`fitwell.nn.CrossEntropyLoss`'s NumPy path needs about ten calls. No
fast-math (:data:`fitwell._jit.jit`): results are bit-for-bit reproducible.
"""

from __future__ import annotations

import math

from .._jit import jit

__all__ = ["cross_entropy"]


@jit
def cross_entropy(logits, target, smoothing, grad):
    """Mean cross-entropy of class ids (with label smoothing) and its gradient.

    Fills ``grad`` with ``(softmax(logits) - q) / n``, ``q = smoothing / C +
    (1 - smoothing) onehot(target)``, and returns the mean loss, or -1.0 without
    touching anything else when a class id is outside ``[0, C)``.
    """
    n, c = logits.shape
    for i in range(n):
        if target[i] < 0 or target[i] >= c:
            return -1.0
    off = smoothing / c
    on = 1.0 - smoothing
    total = 0.0
    for i in range(n):
        top = logits[i, 0]
        for k in range(1, c):
            if logits[i, k] > top:
                top = logits[i, k]
        sum_exp = 0.0
        sum_shifted = 0.0
        for k in range(c):
            shifted = logits[i, k] - top
            sum_exp += math.exp(shifted)
            sum_shifted += shifted
        y = target[i]
        total += math.log(sum_exp) - on * (logits[i, y] - top) - off * sum_shifted
        for k in range(c):
            q = off + on if k == y else off
            grad[i, k] = (math.exp(logits[i, k] - top) / sum_exp - q) / n
    return total / n
