"""The network's layers as ONNX nodes, after batch norm is folded into the dense layers."""

from __future__ import annotations

import math

import numpy as np

from .. import nn
from ..errors import ExportError

__all__ = ["add_network"]


def _group_norm(builder, x, layer, dtype):
    """``GroupNorm`` / ``LayerNorm`` on ``(N, F)``: normalise each group of features
    (biased variance), then the per-feature affine."""
    groups, width = layer.num_groups, layer.num_features
    grouped = builder.node("Reshape", [x, builder.constant(np.array([-1, groups,
                                                                     width // groups]))])
    mean = builder.node("ReduceMean", [grouped], axes=[2], keepdims=1)
    centred = builder.node("Sub", [grouped, mean])
    var = builder.node("ReduceMean", [builder.node("Mul", [centred, centred])], axes=[2],
                       keepdims=1)
    std = builder.node("Sqrt", [builder.node("Add", [var, builder.constant(
        np.array(layer.eps, dtype=dtype))])])
    flat = builder.node("Reshape", [builder.node("Div", [centred, std]),
                                    builder.constant(np.array([-1, width]))])
    scaled = builder.node("Mul", [flat, builder.constant(layer.params["weight"])])
    return builder.node("Add", [scaled, builder.constant(layer.params["bias"])])


def _gelu(builder, x, layer, dtype):
    half = builder.node("Mul", [x, builder.constant(np.array(0.5, dtype=dtype))])
    if layer.approximate == "none":
        inner = builder.node("Erf", [builder.node("Mul", [x, builder.constant(
            np.array(1.0 / math.sqrt(2.0), dtype=dtype))])])
    else:
        cube = builder.node("Mul", [builder.node("Mul", [x, x]), x])
        poly = builder.node("Add", [x, builder.node("Mul", [cube, builder.constant(
            np.array(0.044715, dtype=dtype))])])
        inner = builder.node("Tanh", [builder.node("Mul", [poly, builder.constant(
            np.array(math.sqrt(2.0 / math.pi), dtype=dtype))])])
    one = builder.constant(np.array(1.0, dtype=dtype))
    return builder.node("Mul", [half, builder.node("Add", [inner, one])])


def _batch_norm(builder, x, layer, dtype):
    """A batch norm that no dense layer precedes: its inference affine map."""
    scale = layer.params["weight"].astype(np.float64) / np.sqrt(
        layer.buffers["running_var"].astype(np.float64) + layer.eps)
    shift = layer.params["bias"] - layer.buffers["running_mean"] * scale
    scaled = builder.node("Mul", [x, builder.constant(scale.astype(dtype))])
    return builder.node("Add", [scaled, builder.constant(shift.astype(dtype))])


def add_network(builder, x, model):
    """Append ``model``'s inference pass (a :class:`~fitwell.nn.Sequential`) to
    ``builder`` from the tensor ``x``; return the output tensor's name."""
    dtype = model.dtype
    for layer in nn.fuse_for_inference(model).layers:
        if isinstance(layer, nn.Linear):
            x = builder.node("Gemm", [x, builder.constant(layer.params["weight"]),
                                      builder.constant(layer.params["bias"])])
        elif isinstance(layer, nn.GroupNorm):  # LayerNorm is a GroupNorm of one group
            x = _group_norm(builder, x, layer, dtype)
        elif isinstance(layer, nn.BatchNorm):
            x = _batch_norm(builder, x, layer, dtype)
        elif isinstance(layer, nn.ReLU):
            x = builder.node("Relu", [x])
        elif isinstance(layer, nn.LeakyReLU):
            x = builder.node("LeakyRelu", [x], alpha=float(layer.negative_slope))
        elif isinstance(layer, nn.Tanh):
            x = builder.node("Tanh", [x])
        elif isinstance(layer, nn.Sigmoid):
            x = builder.node("Sigmoid", [x])
        elif isinstance(layer, nn.GELU):
            x = _gelu(builder, x, layer, dtype)
        elif not isinstance(layer, nn.Identity):
            raise ExportError(f"cannot export a {type(layer).__name__} layer to ONNX; "
                              "supported: Linear, BatchNorm, LayerNorm, GroupNorm, Dropout and "
                              "the activations ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Identity")
    return x
