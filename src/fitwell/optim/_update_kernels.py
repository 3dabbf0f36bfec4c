"""Compiled updates of the optimisers on the flat parameter buffer.

A network from :class:`fitwell.nn.Sequential` keeps every parameter in one flat
array, so an update is a handful of element-wise passes over it; compiled, it is
one pass. Each kernel performs the same float operations, in the same order and
in the array's dtype (scalars arrive cast to it), as the NumPy code of the
per-array path, so both paths give bit-identical parameters (tested). The kernels
keep positional parameters (what numba compiles); callers pass them by keyword.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

__all__ = ["sgd", "adam"]


@jit
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


@jit
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
