"""Compiled loops for the flat-buffer paths of the optimisers and penalties.

A network from :class:`fitwell.nn.Sequential` keeps every parameter in one flat
array, so an update is a handful of element-wise passes over it; compiled, it is
one pass. Each kernel performs the same float operations, in the same order and
in the array's dtype (scalars arrive cast to it), as the NumPy code of the
per-array path, so both paths give bit-identical parameters (tested).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["sgd", "adam", "l2", "l1"]

_jit = njit(cache=True, nogil=True, error_model="numpy")
# The penalties' sums may be reassociated, so that they vectorise (a strict serial sum
# is latency-bound and slower than NumPy); the result is still the same on every run.
_jit_sum = njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc"})


@_jit
def sgd(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay, dampened,
        nesterov, first):
    """:class:`fitwell.optim.SGD`'s update; ``buf`` is ignored when ``momentum`` is 0."""
    for i in range(param.size):
        d_p = param[i] * weight_decay + grad[i] if weight_decay else grad[i]
        if momentum:
            if first:
                b = d_p
            elif dampened:
                b = buf[i] * momentum + d_p * one_minus_dampening
            else:
                b = buf[i] * momentum + d_p
            buf[i] = b
            d_p = b * momentum + d_p if nesterov else b
        param[i] = param[i] - d_p * lr


@_jit
def adam(param, grad, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, sqrt_correction2,
         eps, step, weight_decay, decay_factor, decoupled):
    """:class:`fitwell.optim.Adam` / :class:`~fitwell.optim.AdamW`'s update with
    ``step = lr / (1 - beta1 ** t)`` and ``decay_factor = 1 - lr * weight_decay``."""
    for i in range(param.size):
        p = param[i]
        g = grad[i]
        if decoupled:
            p = p * decay_factor
        elif weight_decay:
            g = p * weight_decay + g
        mi = m[i] * beta1 + g * one_minus_beta1
        vi = v[i] * beta2 + (g * g) * one_minus_beta2
        m[i] = mi
        v[i] = vi
        denom = np.sqrt(vi) / sqrt_correction2 + eps
        param[i] = p - (mi / denom) * step


@_jit_sum
def l2(param, grad, selected, coefficient):
    """Add ``coefficient * w`` to the gradient of the selected entries (``selected``
    is 1 there, 0 elsewhere); return ``sum(w ** 2)`` over them, in float64."""
    total = 0.0
    for i in range(param.size):
        w = param[i] * selected[i]  # selected is 0 or 1
        grad[i] = grad[i] + w * coefficient
        total += float(w) * float(w)
    return total


@_jit_sum
def l1(param, grad, selected, coefficient):
    """Add ``coefficient * sign(w)`` to the gradient of the selected entries; return
    ``sum(|w|)`` over them, in float64."""
    total = 0.0
    for i in range(param.size):
        w = param[i] * selected[i]  # selected is 0 or 1
        grad[i] = grad[i] + np.sign(w) * coefficient
        total += abs(float(w))
    return total
