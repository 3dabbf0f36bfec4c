"""Compiled loops of a hidden block ``Linear → [BatchNorm] → ReLU → [Dropout]`` in training.

:func:`dense_forward` and :func:`dense_backward` do in one or two passes over a
batch what the layers of :mod:`fitwell.nn` do in a dozen NumPy calls. At the batch
sizes of small networks (64 rows of 128 features) a NumPy call costs more in
dispatch than in arithmetic, so fusing the element-wise work is where the time is.
The layers stay the reference: :class:`fitwell.nn.dense_block.DenseBlock` uses these
kernels and is tested against them (same masks, same formulas) and against
numerical gradients.

The arithmetic follows the layers': statistics are accumulated in float64 (the
layers accumulate in the array's dtype, so float32 results differ by rounding
only), scalars arrive already cast to the arrays' dtype so that float32 stays
float32, and no fast-math is used, so results are bit-for-bit reproducible
(:data:`fitwell._jit.jit`).

The kernels keep positional parameters (what numba compiles); callers pass them by
keyword, so every call site reads as the list of what goes in.
"""

from __future__ import annotations

import math

from .._jit import jit

__all__ = ["dense_forward", "dense_backward"]


@jit
def _relu_dropout(h, kept, scale):
    """ReLU then inverted dropout of one value. Written as selects, not branches, so
    that the loops vectorise; NaN passes through (``NaN <= 0`` is false), as in the
    layers, so a diverging run is never hidden."""
    zero = scale - scale
    relu = zero if h <= 0 else h
    return relu * (scale if kept else zero)


@jit
def dense_forward(z, bias, gamma, beta, eps, momentum, unbiased, running_mean, running_var,
                  bits, threshold, scale, acc, xhat, inv_std, out):
    """``out = dropout(relu(batchnorm(z + bias)))`` in training mode, in place of the layers.

    A part the block does not have is given as an empty array: ``bias`` without a
    Linear bias, ``gamma`` (and the other batch-norm arrays) without a BatchNorm,
    ``bits`` without dropout.

    Parameters
    ----------
    z : (n, f) array, the input's product with the weight.
    bias : (f,) the Linear bias.
    gamma, beta, eps, momentum, unbiased, running_mean, running_var : the BatchNorm's
        affine parameters, constants (``unbiased = momentum * n / (n - 1)``) and
        running statistics, updated in place; ``xhat`` and ``inv_std`` are filled.
    bits, threshold, scale : dropout keeps the entries with ``bits >= threshold``
        and scales them by ``scale``; without dropout the scale is 1.
    acc : (3, f) float64 scratch for the column sums.
    out : (n, f) output, not overlapping ``z`` (the loops would not vectorise).
    """
    n, f = z.shape
    use_bias = bias.shape[0] > 0
    normalize = gamma.shape[0] > 0
    dropout = bits.shape[0] > 0
    if normalize:
        for j in range(f):
            acc[0, j] = 0.0
            acc[1, j] = 0.0
        for i in range(n):
            for j in range(f):
                v = z[i, j] + bias[j] if use_bias else z[i, j]
                xhat[i, j] = v
                acc[0, j] += v
        for j in range(f):
            acc[0, j] /= n
        for i in range(n):
            for j in range(f):
                d = xhat[i, j] - acc[0, j]
                xhat[i, j] = d
                acc[1, j] += d * d
        for j in range(f):
            mean = acc[0, j]
            var = acc[1, j] / n
            inv_std[j] = 1.0 / math.sqrt(var + eps)
            running_mean[j] = running_mean[j] * (1.0 - momentum) + mean * momentum
            running_var[j] = running_var[j] * (1.0 - momentum) + var * unbiased
        for i in range(n):
            for j in range(f):
                normalised = xhat[i, j] * inv_std[j]
                xhat[i, j] = normalised
                h = normalised * gamma[j] + beta[j]
                out[i, j] = _relu_dropout(h, not dropout or bits[i, j] >= threshold, scale)
    else:
        for i in range(n):
            for j in range(f):
                h = z[i, j] + bias[j] if use_bias else z[i, j]
                out[i, j] = _relu_dropout(h, not dropout or bits[i, j] >= threshold, scale)


@jit
def dense_backward(grad, out, scale, xhat, inv_std, gamma, acc, dz, dgamma, dbeta, dbias):
    """The gradient of :func:`dense_forward` with respect to ``z`` and the parameters.

    An entry passed ReLU and dropout exactly when its output is positive, so the
    output alone gives the mask: ``g = grad * scale`` there, 0 elsewhere. With batch
    norm, ``dz = gamma * inv_std * (g - mean(g) - xhat * mean(g * xhat))`` (the same
    formula as :meth:`fitwell.nn.BatchNorm.backward`). ``dbias`` is the column sum
    of ``dz``. ``acc`` is (3, f) float64 scratch. As in :func:`dense_forward`, an
    empty ``gamma`` (and ``dgamma``, ``dbeta``) means no BatchNorm, an empty
    ``dbias`` no bias.
    """
    n, f = grad.shape
    normalize = gamma.shape[0] > 0
    use_bias = dbias.shape[0] > 0
    for j in range(f):
        acc[0, j] = 0.0
        acc[1, j] = 0.0
        acc[2, j] = 0.0
    for i in range(n):
        for j in range(f):
            g = grad[i, j] * scale if out[i, j] > 0 else grad[i, j] * 0
            dz[i, j] = g
            acc[0, j] += g
            if normalize:
                acc[1, j] += g * xhat[i, j]
    if not normalize:
        if use_bias:
            for j in range(f):
                dbias[j] = acc[0, j]
        return
    for j in range(f):
        dbeta[j] = acc[0, j]
        dgamma[j] = acc[1, j]
        acc[0, j] /= n
        acc[1, j] /= n
    for i in range(n):
        for j in range(f):
            value = (dz[i, j] - acc[0, j] - xhat[i, j] * acc[1, j]) * (gamma[j] * inv_std[j])
            dz[i, j] = value
            acc[2, j] += dz[i, j]
    if use_bias:
        for j in range(f):
            dbias[j] = acc[2, j]
