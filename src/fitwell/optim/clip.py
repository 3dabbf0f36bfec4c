"""Gradient clipping, in place, with PyTorch's semantics."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_number, is_number

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
    max_norm = check_number(max_norm, "max_norm", "clip_grad_norm", low_open=True)
    if not (is_number(norm_type) and norm_type == math.inf):  # inf: the largest |value|
        norm_type = check_number(norm_type, "norm_type", "clip_grad_norm", low_open=True)
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
    clip_value = check_number(clip_value, "clip_value", "clip_grad_value", low_open=True)
    for g in grads.values():
        np.clip(g, -clip_value, clip_value, out=g)
