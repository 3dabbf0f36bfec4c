"""Gradient clipping, in place, with PyTorch's semantics."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["clip_grad_norm", "clip_grad_value"]


def clip_grad_norm(grads, max_norm, norm_type=2.0) -> float:
    """Rescale all gradients together so their global norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the total norm is taken over every array
    at once; when it exceeds ``max_norm`` every gradient is multiplied by
    ``max_norm / (total_norm + 1e-6)``.

    Parameters
    ----------
    grads : dict of str to ndarray
        Modified in place.
    max_norm : float
        Positive.
    norm_type : float, default=2.0
        ``p`` of the p-norm; ``inf`` for the largest absolute value.

    Returns
    -------
    total_norm : float
        The norm before clipping.
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, int | float) or not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm must be a positive number, got {max_norm!r}")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be positive, got {norm_type!r}")
    arrays = list(grads.values())
    if not arrays:
        return 0.0
    if math.isinf(norm_type):
        total = max(float(np.abs(g).max()) for g in arrays)
    elif norm_type == 2.0:
        total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in arrays))
    else:
        total = sum(float((np.abs(g) ** norm_type).sum()) for g in arrays) ** (1.0 / norm_type)
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for g in arrays:
            g *= coefficient
    return total


def clip_grad_value(grads, clip_value) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]``, in place."""
    if isinstance(clip_value, bool) or not isinstance(clip_value, int | float) \
            or not clip_value > 0:
        raise ValueError(
            f"clip_grad_value: clip_value must be a positive number, got {clip_value!r}"
        )
    for g in grads.values():
        np.clip(g, -clip_value, clip_value, out=g)
