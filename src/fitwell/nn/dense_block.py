"""``Linear → [BatchNorm] → ReLU → [Dropout]`` trained in two compiled passes.

:class:`~fitwell.nn.Sequential` recognises this run of layers — the hidden layer
of almost every MLP — and trains it through a :class:`DenseBlock`: the matrix
products stay NumPy's (BLAS), and everything element-wise between them runs in
one compiled loop forward and one backward (:mod:`fitwell.nn._dense_kernels`,
compiled by numba on first use and cached) instead of about thirty NumPy calls.

The block owns no parameters: it reads and writes the layers' own arrays
(weights, gamma/beta, running statistics, gradients), and it draws dropout masks
from the Dropout layer's generator with :func:`~fitwell.nn.dropout.draw_keep_bits`,
as :class:`~fitwell.nn.Dropout` does, so a fused and an unfused network given the
same seeds see the same masks and agree to rounding.
"""

from __future__ import annotations

import numpy as np

from . import _dense_kernels
from ._sparse import check_sparse_input, is_sparse, sparse_matmul, sparse_weight_grad
from .activations import ReLU
from .dropout import Dropout, draw_keep_bits
from .linear import Linear
from .module import _Container
from .norm import BatchNorm

__all__ = ["DenseBlock"]

class DenseBlock(_Container):
    """A hidden layer's run of layers, trained as one.

    Parameters
    ----------
    linear : Linear
    norm : BatchNorm or None
    dropout : Dropout or None
        ``None`` for no dropout; its ``p`` is read at every step, so it may change.
    relu : ReLU or None
        The network's ReLU layer, when the block replaces one; a new one otherwise.

    Training goes through the compiled kernels; inference (and a backward after
    it) runs the layers themselves. :attr:`params`, :attr:`grads` and
    :attr:`buffers` are the layers' live arrays with :class:`Sequential`'s dotted
    names (``"0.weight"`` is the Linear's weight).
    """

    def __init__(self, linear, norm=None, dropout=None, relu=None):
        super().__init__()
        self.linear, self.norm, self.dropout = linear, norm, dropout
        relu = ReLU() if relu is None else relu
        self.layers = [layer for layer in (linear, norm, relu, dropout) if layer is not None]

    @classmethod
    def match(cls, layers, start):
        """``(block, number of layers it covers)`` for the run at ``layers[start]``, or None.

        Exact classes only: a subclass may change forward or backward, so it keeps
        its own.
        """
        if type(layers[start]) is not Linear:
            return None
        position = start + 1
        norm = None
        if position < len(layers) and type(layers[position]) is BatchNorm:
            norm = layers[position]
            position += 1
        if position >= len(layers) or type(layers[position]) is not ReLU:
            return None
        relu = layers[position]
        position += 1
        dropout = None
        if position < len(layers) and type(layers[position]) is Dropout:
            dropout = layers[position]
            position += 1
        return cls(layers[start], norm, dropout, relu), position - start

    def _arrays(self, n, dtype):
        """The block's workspaces for a batch of ``n`` rows, created once per shape."""
        key = (n, dtype)
        arrays = self._workspaces.get(key)
        if arrays is None:
            if len(self._workspaces) > 8:  # many batch sizes seen: keep memory bounded
                self._workspaces.clear()
            shape, f = (n, self.linear.out_features), self.linear.out_features
            normalize = self.norm is not None
            z = np.empty(shape, dtype)
            arrays = self._workspaces[key] = {
                "z": z,
                "out": np.empty(shape, dtype),
                "xhat": np.empty(shape if normalize else (0, 0), dtype),
                "inv_std": np.empty(f if normalize else 0, dtype),
                "acc": np.empty((3, f)),
                "dz": z,  # z is dead once the forward kernel has read it
                "dx": np.empty((n, self.linear.in_features), dtype),
                "nothing": np.empty(0, dtype),
                "no bits": np.empty((0, 0), np.uint16),
            }
        return arrays

    def forward(self, x, training=False):
        if not training:
            for layer in self.layers:
                x = layer.forward(x, training=False)
            self._cache = "layers"
            return x
        linear, norm, dropout = self.linear, self.norm, self.dropout
        weight = linear._params["weight"]
        dtype = weight.dtype
        sparse = is_sparse(x)
        if sparse:
            x = check_sparse_input(linear, x, linear.in_features, dtype)
        else:
            x = linear._check_input(x, linear.in_features)
            if x.dtype != dtype:
                x = x.astype(dtype)
        n = x.shape[0]
        arrays = self._arrays(n, dtype)
        z, out, nothing = arrays["z"], arrays["out"], arrays["nothing"]
        if sparse:
            sparse_matmul(x, weight, z)
        else:
            np.matmul(x, weight, out=z)
        bias = linear._params["bias"] if linear.use_bias else nothing
        if norm is not None:
            norm._check_training_batch(z.shape)
            gamma, beta = norm._params["weight"], norm._params["bias"]
            running_mean, running_var = norm._buffers["running_mean"], norm._buffers["running_var"]
            eps, momentum, unbiased = norm._kernel_constants(n, dtype)
        else:
            gamma = beta = running_mean = running_var = nothing
            eps = momentum = unbiased = dtype.type(0)
        use_dropout = dropout is not None and dropout.p > 0
        if use_dropout:
            bits, threshold = draw_keep_bits(dropout.rng, z.shape, dropout.p)
            scale = dtype.type(1.0 / (1.0 - dropout.p))
        else:
            bits, threshold, scale = arrays["no bits"], 0, dtype.type(1)
        _dense_kernels.dense_forward(
            z=z, bias=bias, gamma=gamma, beta=beta, eps=eps, momentum=momentum,
            unbiased=unbiased, running_mean=running_mean, running_var=running_var, bits=bits,
            threshold=threshold, scale=scale, acc=arrays["acc"], xhat=arrays["xhat"],
            inv_std=arrays["inv_std"], out=out)
        self._cache = (x, arrays, scale)
        return out

    def backward(self, grad, need_input_grad=True):
        """Fill the layers' gradients; return the gradient with respect to the input
        (``None`` with ``need_input_grad=False``)."""
        if self._cache == "layers":  # after an inference forward
            for layer in self.layers[:0:-1]:
                grad = layer.backward(grad)
            return self.linear.backward(grad, need_input_grad=need_input_grad)
        x, arrays, scale = self._require_cache()
        out, dz, nothing = arrays["out"], arrays["dz"], arrays["nothing"]
        if not isinstance(grad, np.ndarray) or grad.shape != out.shape:
            grad = self._check_grad(grad, out.shape)
        if grad.dtype != out.dtype or not grad.flags.c_contiguous:
            grad = np.ascontiguousarray(grad, dtype=out.dtype)
        linear, norm = self.linear, self.norm
        if norm is not None:
            gamma = norm._params["weight"]
            dgamma, dbeta = norm._grads["weight"], norm._grads["bias"]
        else:
            gamma = dgamma = dbeta = nothing
        dbias = linear._grads["bias"] if linear.use_bias else nothing
        _dense_kernels.dense_backward(
            grad=grad, out=out, scale=scale, xhat=arrays["xhat"], inv_std=arrays["inv_std"],
            gamma=gamma, acc=arrays["acc"], dz=dz, dgamma=dgamma, dbeta=dbeta, dbias=dbias)
        if is_sparse(x):
            sparse_weight_grad(x, dz, linear._grads["weight"])
        else:
            np.matmul(x.T, dz, out=linear._grads["weight"])
        if not need_input_grad:
            return None
        return np.matmul(dz, linear._params["weight"].T, out=arrays["dx"])

    def extra_repr(self):
        return " → ".join(type(layer).__name__ for layer in self.layers)
