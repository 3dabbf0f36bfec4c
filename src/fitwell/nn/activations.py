"""Element-wise activation functions; each keeps the dtype of its input."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .._validation import check_number, check_option
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "Identity"]


class _Activation(Module):
    """Shared plumbing: output workspaces in training, fresh arrays at inference."""

    def _out(self, x, training, name="out"):
        return self._workspace(name, x.shape, x.dtype) if training else np.empty_like(x)

    def _check_backward(self, grad):
        shape = self._require_cache()[0].shape
        return self._check_grad(grad, shape)


class Identity(_Activation):
    """``f(x) = x``: the output activation of a regressor."""

    def forward(self, x, training=False):
        x = self._check_input(x)
        self._cache = (x,)
        return x

    def backward(self, grad):
        return self._check_backward(grad)


class ReLU(_Activation):
    """``f(x) = max(x, 0)``; the gradient at exactly 0 is taken as 0, as in PyTorch."""

    def forward(self, x, training=False):
        x = self._check_input(x)
        if not training:
            # Inference needs no mask (a backward after it makes one): the maximum with
            # a row of zeros is one pass, where NumPy's maximum with a scalar 0 is slow.
            self._cache = (x, None)
            zeros = self._workspace("zeros", (x.shape[1],), x.dtype)
            zeros.fill(0)
            return np.maximum(x, zeros)
        # The 0/1 mask, kept for the backward pass, is stored in x's dtype: same-dtype
        # products are twice as fast. The output is a maximum, not x * mask, so that
        # ReLU(-inf) is 0 (not -inf * 0 = NaN), as at inference and in the compiled blocks.
        mask = np.greater(x, 0, out=self._workspace("mask", x.shape, x.dtype))
        self._cache = (x, mask)
        zeros = self._workspace("zeros", (x.shape[1],), x.dtype)
        zeros.fill(0)
        return np.maximum(x, zeros, out=self._out(x, training))

    def backward(self, grad):
        grad = self._check_backward(grad)
        x, mask = self._cache
        dx = self._workspace("dx", grad.shape, grad.dtype)
        if mask is None:
            mask = np.greater(x, 0, out=dx)
        return np.multiply(grad, mask, out=dx)


class LeakyReLU(_Activation):
    """``f(x) = x`` for ``x > 0`` and ``negative_slope * x`` otherwise.

    Parameters
    ----------
    negative_slope : float, default=0.01
        Slope for negative inputs, in ``[0, 1)``.
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope", "LeakyReLU",
                                           high=1.0, high_open=True)

    def forward(self, x, training=False):
        x = self._check_input(x)
        slope = self._workspace("slope", x.shape, x.dtype) if training else np.empty_like(x)
        # slope holds the local derivative: 1 where x > 0, negative_slope elsewhere.
        np.copyto(slope, self.negative_slope)
        np.copyto(slope, 1.0, where=x > 0)
        self._cache = (x, slope)
        return np.multiply(x, slope, out=self._out(x, training))

    def backward(self, grad):
        grad = self._check_backward(grad)
        slope = self._cache[1]
        return np.multiply(grad, slope, out=self._workspace("dx", grad.shape, grad.dtype))

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class GELU(_Activation):
    """Gaussian error linear unit ``f(x) = x * Phi(x)``.

    Parameters
    ----------
    approximate : {"none", "tanh"}, default="none"
        ``"none"`` uses the exact normal CDF (PyTorch's default); ``"tanh"`` the
        approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Hendrycks & Gimpel, https://arxiv.org/abs/1606.08415
    """

    _SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = check_option(approximate, "approximate", "GELU", ("none", "tanh"))

    def forward(self, x, training=False):
        x = self._check_input(x)
        if self.approximate == "none":
            cdf = special.ndtr(x)
            self._cache = (x, cdf, None)
            return np.multiply(x, cdf, out=self._out(x, training))
        inner = self._SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        tanh = np.tanh(inner)
        self._cache = (x, None, tanh)
        return np.multiply(0.5 * x, 1.0 + tanh, out=self._out(x, training))

    def backward(self, grad):
        grad = self._check_backward(grad)
        x, cdf, tanh = self._cache
        if self.approximate == "none":
            pdf = np.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
            local = cdf + x * pdf
        else:
            dinner = self._SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
            local = 0.5 * (1.0 + tanh) + 0.5 * x * (1.0 - tanh * tanh) * dinner
        return np.multiply(grad, local.astype(grad.dtype, copy=False),
                           out=self._workspace("dx", grad.shape, grad.dtype))

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Tanh(_Activation):
    """``f(x) = tanh(x)``; the backward uses the stored output: ``1 - f(x)^2``."""

    def forward(self, x, training=False):
        x = self._check_input(x)
        out = np.tanh(x, out=self._out(x, training))
        self._cache = (x, out)
        return out

    def backward(self, grad):
        grad = self._check_backward(grad)
        out = self._cache[1]
        dx = self._workspace("dx", grad.shape, grad.dtype)
        np.multiply(out, out, out=dx)
        np.subtract(1.0, dx, out=dx)
        return np.multiply(dx, grad, out=dx)


class Sigmoid(_Activation):
    """``f(x) = 1 / (1 + exp(-x))``, computed stably by ``scipy.special.expit``."""

    def forward(self, x, training=False):
        x = self._check_input(x)
        out = special.expit(x, out=self._out(x, training))
        self._cache = (x, out)
        return out

    def backward(self, grad):
        grad = self._check_backward(grad)
        out = self._cache[1]
        dx = self._workspace("dx", grad.shape, grad.dtype)
        np.subtract(1.0, out, out=dx)
        np.multiply(dx, out, out=dx)
        return np.multiply(dx, grad, out=dx)
