"""The fully connected layer."""

from __future__ import annotations

import numpy as np

from .._validation import check_option, check_positive_int
from ._sparse import check_sparse_input, is_sparse, sparse_matmul, sparse_weight_grad
from .init import INITIALIZERS, initialize
from .module import Module, as_generator, check_dtype

__all__ = ["Linear"]


class Linear(Module):
    """Affine map ``y = x @ W + b``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of each input and output row.
    bias : bool, default=True
        Whether to learn an additive bias (initialised to zero).
    init : {"he", "xavier", "lecun"}, default="he"
        Weight initialisation scheme, see :mod:`fitwell.nn.init`.
    rng : numpy.random.Generator, int or None
        Source of the initial weights.
    dtype : float32 or float64, default=float32

    Notes
    -----
    The weight has shape ``(in_features, out_features)`` — the transpose of
    PyTorch's ``nn.Linear.weight`` — so the forward pass is a single ``x @ W``.
    """

    def __init__(self, in_features, out_features, bias=True, init="he", rng=None,
                 dtype=np.float32):
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features", "Linear")
        self.out_features = check_positive_int(out_features, "out_features", "Linear")
        self.init = check_option(init, "init", "Linear", sorted(INITIALIZERS))
        self.use_bias = bool(bias)
        dtype = check_dtype(dtype)
        rng = as_generator(rng, "Linear")
        self._params["weight"] = initialize(init, rng, self.in_features, self.out_features, dtype)
        self._grads["weight"] = np.zeros_like(self._params["weight"])
        if self.use_bias:
            self._params["bias"] = np.zeros(self.out_features, dtype=dtype)
            self._grads["bias"] = np.zeros(self.out_features, dtype=dtype)

    def forward(self, x, training=False):
        """``x @ W + b``; ``x`` may be a ``scipy.sparse`` batch (see :mod:`._sparse`)."""
        weight = self._params["weight"]
        sparse = is_sparse(x)
        if sparse:
            x = check_sparse_input(self, x, self.in_features, weight.dtype)
        else:
            x = self._check_input(x, self.in_features)
            if x.dtype != weight.dtype:
                x = x.astype(weight.dtype)
        shape = (x.shape[0], self.out_features)
        out = self._workspace("out", shape, weight.dtype) if training else None
        out = sparse_matmul(x, weight, out) if sparse else np.matmul(x, weight, out=out)
        if self.use_bias:
            out += self._params["bias"]
        self._cache = x
        return out

    def backward(self, grad, need_input_grad=True):
        """Fill ``grads`` and return the gradient with respect to the input.

        ``need_input_grad=False`` skips the input gradient (the first layer of a
        network needs none) and returns ``None``.
        """
        x = self._require_cache()
        grad = self._check_grad(grad, (x.shape[0], self.out_features))
        if is_sparse(x):
            sparse_weight_grad(x, grad, self._grads["weight"])
        else:
            np.matmul(x.T, grad, out=self._grads["weight"])
        if self.use_bias:
            self._column_sum(grad, out=self._grads["bias"])
        if not need_input_grad:
            return None
        dx = self._workspace("dx", x.shape, grad.dtype)
        return np.matmul(grad, self._params["weight"].T, out=dx)

    def extra_repr(self):
        return (f"{self.in_features}, {self.out_features}, bias={self.use_bias}, "
                f"init={self.init!r}")
