"""Normalisation layers: batch, layer and group normalisation for ``(N, F)`` input.

All three follow PyTorch's conventions: the affine parameters start at
``gamma = 1`` (key ``"weight"``) and ``beta = 0`` (key ``"bias"``), the forward pass
normalises with the *biased* variance, and ``eps`` is added to the variance
inside the square root.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_number, check_positive_int
from ..errors import ParameterError
from .module import Module, check_dtype

__all__ = ["BatchNorm", "LayerNorm", "GroupNorm"]


class _AffineNorm(Module):
    """Holds gamma/beta and the shared affine part of the forward and backward."""

    def __init__(self, num_features, eps, dtype):
        super().__init__()
        owner = type(self).__name__
        self.num_features = check_positive_int(num_features, "num_features", owner)
        self.eps = check_number(eps, "eps", owner, low_open=True)
        dtype = check_dtype(dtype)
        self._params["weight"] = np.ones(self.num_features, dtype=dtype)
        self._params["bias"] = np.zeros(self.num_features, dtype=dtype)
        self._grads["weight"] = np.zeros(self.num_features, dtype=dtype)
        self._grads["bias"] = np.zeros(self.num_features, dtype=dtype)

    def _affine(self, xhat, training):
        out = self._workspace("out", xhat.shape, xhat.dtype) if training else None
        out = np.multiply(xhat, self._params["weight"], out=out)
        out += self._params["bias"]
        return out

    def _param_grads(self, grad, xhat):
        """Fill dgamma = sum(grad * xhat) and dbeta = sum(grad) over the batch."""
        self._column_sum(grad, out=self._grads["bias"])
        # The dx workspace holds grad * xhat until the caller computes dx into it.
        products = np.multiply(grad, xhat, out=self._workspace("dx", grad.shape, grad.dtype))
        self._column_sum(products, out=self._grads["weight"])

    def _affine_backward(self, grad, xhat):
        """Fill dgamma and dbeta; return dL/dxhat in a workspace."""
        self._param_grads(grad, xhat)
        dxhat = self._workspace("dxhat", grad.shape, grad.dtype)
        return np.multiply(grad, self._params["weight"], out=dxhat)

    def _input(self, x):
        x = self._check_input(x, self.num_features)
        dtype = self._params["weight"].dtype
        return x if x.dtype == dtype else x.astype(dtype)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}"


class BatchNorm(_AffineNorm):
    """Batch normalisation over the batch axis of ``(N, F)`` input.

    Training normalises each feature with the mean and *biased* variance of the
    batch and updates the running statistics with PyTorch's convention::

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * batch_var_unbiased

    (Keras' ``momentum`` is the weight of the *old* value, i.e. ``1 - momentum``
    here.) Inference normalises with the running statistics. The backward pass is
    exact through the batch mean and variance.

    Parameters
    ----------
    num_features : int
    eps : float, default=1e-5
    momentum : float, default=0.1
        Weight of the new batch statistic, in ``(0, 1]``.
    dtype : float32 or float64, default=float32

    Ioffe & Szegedy, https://arxiv.org/abs/1502.03167
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=np.float32):
        super().__init__(num_features, eps, dtype)
        self.momentum = check_number(momentum, "momentum", "BatchNorm", low_open=True, high=1.0)
        dtype = self._params["weight"].dtype
        self._buffers["running_mean"] = np.zeros(self.num_features, dtype=dtype)
        self._buffers["running_var"] = np.ones(self.num_features, dtype=dtype)

    def forward(self, x, training=False):
        x = self._input(x)
        if not training:
            running_mean, running_var = self._buffers["running_mean"], self._buffers["running_var"]
            inv_std = 1.0 / np.sqrt(running_var + self.eps)
            xhat = np.subtract(x, running_mean)
            xhat *= inv_std
            self._cache = (xhat, inv_std, False)
            return self._affine(xhat, training)
        n = self._check_training_batch(x.shape)
        # Every statistic goes into a workspace of the layer, so a training step
        # allocates nothing; the cached xhat and inv_std are valid until the next call.
        f, dtype = x.shape[1], x.dtype
        mean, var, inv_std, scratch = self._workspace("stats", (4, f), dtype)
        eps, keep, new, new_unbiased, _ = self._constants(n, dtype)
        self._column_sum(x, out=mean, mean=True)
        xhat = np.subtract(x, mean, out=self._workspace("xhat", x.shape, dtype))
        # The squares borrow the output workspace, which _affine overwrites below.
        squares = np.multiply(xhat, xhat, out=self._workspace("out", x.shape, dtype))
        self._column_sum(squares, out=var, mean=True)
        np.add(var, eps, out=inv_std)
        np.sqrt(inv_std, out=inv_std)
        np.reciprocal(inv_std, out=inv_std)
        xhat *= inv_std
        running_mean, running_var = self._buffers["running_mean"], self._buffers["running_var"]
        running_mean *= keep
        running_mean += np.multiply(mean, new, out=scratch)
        running_var *= keep
        running_var += np.multiply(var, new_unbiased, out=scratch)
        self._cache = (xhat, inv_std, True)
        return self._affine(xhat, training)

    @staticmethod
    def _check_training_batch(shape):
        """Return the batch size ``shape[0]`` if training can estimate a variance from it
        (two rows or more); the compiled path (:class:`~fitwell.nn.dense_block.DenseBlock`)
        asks here too."""
        if shape[0] < 2:
            raise ParameterError(
                "BatchNorm needs at least 2 samples per batch in training mode to estimate a "
                f"variance, got input of shape {shape}; use a larger batch_size"
            )
        return shape[0]

    def _constants(self, n, dtype):
        """``eps, 1 - momentum, momentum, momentum * n / (n - 1), 1 / n`` as 0-d arrays of
        ``dtype``, cached: NumPy converts a Python float operand on every call, which
        costs as much as the arithmetic on these short vectors."""
        key = ("constants", n, dtype)
        constants = self._workspaces.get(key)
        if constants is None:
            m = self.momentum
            values = (self.eps, 1.0 - m, m, m * n / (n - 1), 1.0 / n)
            constants = self._workspaces[key] = tuple(np.array(v, dtype) for v in values)
        return constants

    def _kernel_constants(self, n, dtype):
        """``eps, momentum, momentum * n / (n - 1)`` as scalars of ``dtype``, cached,
        for the compiled training pass (:class:`fitwell.nn.dense_block.DenseBlock`)."""
        key = ("kernel constants", n, dtype)
        constants = self._workspaces.get(key)
        if constants is None:
            m = self.momentum
            constants = self._workspaces[key] = (dtype.type(self.eps), dtype.type(m),
                                                 dtype.type(m * n / (n - 1)))
        return constants

    def backward(self, grad):
        xhat, inv_std, batch_stats = self._require_cache()
        grad = self._check_grad(grad, xhat.shape)
        if not batch_stats:
            dxhat = self._affine_backward(grad, xhat)
            return np.multiply(dxhat, inv_std, out=dxhat)
        # With dxhat = gamma * grad, sum(grad) = dbeta and sum(grad * xhat) = dgamma:
        # dx = gamma * inv_std * (grad - dbeta / N - xhat * dgamma / N).
        self._param_grads(grad, xhat)
        inv_n = self._constants(grad.shape[0], grad.dtype)[4]
        dgamma, dbeta = self._grads["weight"], self._grads["bias"]
        scratch = self._workspace("stats", (4, dgamma.shape[0]), grad.dtype)[3]
        dx = self._workspace("dx", grad.shape, grad.dtype)
        np.multiply(xhat, np.multiply(dgamma, inv_n, out=scratch), out=dx)
        dx += np.multiply(dbeta, inv_n, out=scratch)
        np.subtract(grad, dx, out=dx)
        dx *= np.multiply(self._params["weight"], inv_std, out=scratch)
        return dx

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class GroupNorm(_AffineNorm):
    """Group normalisation of each sample over groups of consecutive features.

    For ``(N, F)`` input the ``F`` features are split into ``num_groups`` groups
    of ``F / num_groups`` consecutive features; each sample is normalised within
    each group, then scaled and shifted per feature. Statistics never cross
    samples, so training and inference compute the same thing and there is no
    running state.

    * ``num_groups == 1``: the whole row is one group — exactly :class:`LayerNorm`.
    * ``num_groups == num_features``: every group holds a single value, whose
      normalised value is always 0, so the output is ``beta`` whatever the input
      and no gradient reaches earlier layers. This is what PyTorch's
      ``GroupNorm`` does on ``(N, C)`` input too; it only makes sense for inputs
      with spatial axes, which this layer does not take.

    Parameters
    ----------
    num_groups : int
        Must divide ``num_features``.
    num_features : int
    eps : float, default=1e-5
    dtype : float32 or float64, default=float32

    Wu & He, https://arxiv.org/abs/1803.08494
    """

    def __init__(self, num_groups, num_features, eps=1e-5, dtype=np.float32):
        super().__init__(num_features, eps, dtype)
        self.num_groups = check_positive_int(num_groups, "num_groups", type(self).__name__)
        if self.num_features % self.num_groups:
            raise ParameterError(
                f"{type(self).__name__}: num_features ({self.num_features}) must be divisible "
                f"by num_groups ({self.num_groups}); choose num_groups among the divisors of "
                f"{self.num_features}"
            )

    def forward(self, x, training=False):
        x = self._input(x)
        n, f = x.shape
        grouped = x.reshape(n, self.num_groups, f // self.num_groups)
        xhat = self._workspace("xhat", x.shape, x.dtype) if training else np.empty_like(x)
        xhat_grouped = xhat.reshape(grouped.shape)
        mean = grouped.mean(axis=2, keepdims=True)
        np.subtract(grouped, mean, out=xhat_grouped)
        var = np.einsum("ngk,ngk->ng", xhat_grouped, xhat_grouped)[..., None]
        var /= grouped.shape[2]
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat_grouped *= inv_std
        self._cache = (xhat, inv_std)
        return self._affine(xhat, training)

    def backward(self, grad):
        xhat, inv_std = self._require_cache()
        grad = self._check_grad(grad, xhat.shape)
        dxhat = self._affine_backward(grad, xhat)
        n, f = grad.shape
        size = f // self.num_groups
        shape = (n, self.num_groups, size)
        dxhat_g, xhat_g = dxhat.reshape(shape), xhat.reshape(shape)
        sum_dxhat = dxhat_g.sum(axis=2, keepdims=True)
        sum_dxhat_xhat = np.einsum("ngk,ngk->ng", dxhat_g, xhat_g)[..., None]
        dx = self._workspace("dx", grad.shape, grad.dtype)
        dx_g = dx.reshape(shape)
        np.multiply(xhat_g, sum_dxhat_xhat / size, out=dx_g)
        np.subtract(dxhat_g, dx_g, out=dx_g)
        dx_g -= sum_dxhat / size
        dx_g *= inv_std
        return dx

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_features}, eps={self.eps}"


class LayerNorm(GroupNorm):
    """Layer normalisation: each sample normalised over all its features.

    Equal to ``GroupNorm(1, num_features)`` and to PyTorch's
    ``nn.LayerNorm(num_features)`` with its elementwise affine.

    Parameters
    ----------
    num_features : int
    eps : float, default=1e-5
    dtype : float32 or float64, default=float32

    Ba, Kiros & Hinton, https://arxiv.org/abs/1607.06450
    """

    def __init__(self, num_features, eps=1e-5, dtype=np.float32):
        super().__init__(1, num_features, eps=eps, dtype=dtype)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}"
