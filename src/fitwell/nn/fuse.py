"""An inference-only copy of a network, with batch norm folded into dense layers."""

from __future__ import annotations

import copy

import numpy as np

from .dropout import Dropout
from .linear import Linear
from .norm import BatchNorm

__all__ = ["fuse_for_inference"]


def _folded(linear: Linear, norm: BatchNorm) -> Linear:
    """``norm(linear(x))`` at inference as one :class:`Linear`.

    With ``s = gamma / sqrt(running_var + eps)`` the pair computes
    ``(x W + b - running_mean) s + beta = x (W s) + ((b - running_mean) s + beta)``;
    the new weight and bias are formed in float64, then cast back.
    """
    weight, dtype = linear._params["weight"], linear._params["weight"].dtype
    gamma, beta = norm._params["weight"], norm._params["bias"]
    mean, var = norm._buffers["running_mean"], norm._buffers["running_var"]
    scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + norm.eps)
    bias = linear._params["bias"].astype(np.float64) if linear.use_bias else 0.0
    fused = copy.deepcopy(linear)
    fused._params["weight"] = (weight * scale).astype(dtype)
    fused._params["bias"] = ((bias - mean) * scale + beta).astype(dtype)
    fused._grads = {name: np.zeros_like(value) for name, value in fused._params.items()}
    fused.use_bias = True
    return fused


def fuse_for_inference(model):
    """Return a copy of ``model`` for inference only; ``model`` is left untouched.

    Every :class:`BatchNorm` directly after a :class:`Linear` is folded into that
    layer's weight and bias, and :class:`Dropout` layers (the identity at
    inference) are left out, so the copy makes two fewer passes over the data per
    normalised layer. Its ``forward(x, training=False)`` equals the model's up to
    rounding. Build it again after the model changes: it holds copies.

    ``model`` is a :class:`~fitwell.nn.Sequential`; the copy, and the copy of each
    container nested in it, is of the same class. (This module does not import
    ``Sequential``: ``Sequential.predict`` calls this function.)
    """
    container = type(model)
    layers, source = [], list(model.layers)
    index = 0
    while index < len(source):
        layer = source[index]
        following = source[index + 1] if index + 1 < len(source) else None
        if isinstance(layer, Linear) and isinstance(following, BatchNorm) \
                and following.num_features == layer.out_features:
            layers.append(_folded(layer, following))
            index += 2
            continue
        if isinstance(layer, container):
            layers.append(fuse_for_inference(layer))
        elif not isinstance(layer, Dropout):
            layers.append(copy.deepcopy(layer))
        index += 1
    return container(*layers)
