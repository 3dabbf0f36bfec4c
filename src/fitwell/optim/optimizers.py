"""Optimisers with PyTorch's exact update rules, updating parameters in place.

Each optimiser is given the model's parameter dict once (``model.params``) and, at
every step, the matching gradient dict (``model.grads``). When the arrays are views
into one flat buffer (as :class:`fitwell.nn.Sequential` arranges) the update runs
on that buffer as a whole; otherwise it runs array by array. The arithmetic is the
same either way.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_number
from ..errors import ParameterError
from . import _update_kernels
from ._flat import FlatBufferCache, flat_buffer, reused_array

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class: holds the parameters, the learning rate and the step count.

    Parameters
    ----------
    params : dict of str to ndarray
        The live parameter arrays, updated in place by :meth:`step`.
    lr : float
        Learning rate used when :meth:`step` is called with ``lr=None``.
    """

    def __init__(self, params, lr):
        if not isinstance(params, dict) or not params:
            raise ParameterError(
                f"{type(self).__name__}: params must be a non-empty dict of arrays "
                f"(e.g. model.params), got {type(params).__name__}"
            )
        self.params = params
        self.names = list(params)
        self._name_set = frozenset(self.names)
        self.lr = check_number(lr, "lr", type(self).__name__)
        self.t = 0
        self._flat = flat_buffer(params[name] for name in self.names)
        self._slices = None  # each parameter's (slice, shape) in the flat state arrays
        if self._flat is not None:
            ends = np.cumsum([params[name].size for name in self.names])
            self._slices = {
                name: (slice(int(end) - params[name].size, int(end)), params[name].shape)
                for name, end in zip(self.names, ends, strict=True)
            }
        self._flat_grads = FlatBufferCache()

    @property
    def learning_rate(self):
        """:attr:`lr` under scikit-learn's name for it (its optimisers' attribute)."""
        return self.lr

    def _state_like(self):
        """Zero state: one flat array when params are flat, else one per parameter."""
        if self._flat is not None:
            return np.zeros_like(self._flat)
        return {name: np.zeros_like(self.params[name]) for name in self.names}

    def _pairs(self, grads):
        """Yield ``(key, param, grad)``: once for a flat model, else per parameter."""
        if self._flat is not None:
            flat_grad = self._flat_grads(list(map(grads.__getitem__, self.names)),
                                         self._flat.shape)
            if flat_grad is not None:
                yield None, self._flat, flat_grad
                return
        for name in self.names:
            yield name, self.params[name], grads[name]

    def step(self, grads, lr=None):
        """Apply one update from ``grads``; ``lr`` overrides :attr:`lr` for this step."""
        if not grads.keys() >= self._name_set:
            missing = [name for name in self.names if name not in grads]
            raise ParameterError(f"{type(self).__name__}.step: gradients missing for {missing}")
        lr = self.lr if lr is None else check_number(lr, "lr", type(self).__name__)
        self.t += 1
        for key, param, grad in self._pairs(grads):
            self._update(key, param, grad, lr)

    def _update(self, key, param, grad, lr):
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def _select(self, state, key):
        """The state of parameter ``key``, or the whole flat state for ``key=None``."""
        if key is None:
            return state
        if self._slices is not None:  # flat parameters, gradients given array by array
            where, shape = self._slices[key]
            return state[where].reshape(shape)
        return state[key]

    def _scratch(self, key, like):
        """A reused array the shape of ``like`` for intermediate results."""
        return reused_array(self.__dict__.setdefault("_scratch_store", {}), key, like)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and L2 decay.

    PyTorch's rule (``torch.optim.SGD``)::

        g = grad + weight_decay * p
        b = g                                   on the first step
        b = momentum * b + (1 - dampening) * g  afterwards
        g = g + momentum * b if nesterov else b
        p = p - lr * g

    Sutskever et al., "On the importance of initialization and momentum in deep
    learning", ICML 2013.

    With ``lr_in_velocity=True`` the rate follows scikit-learn's ``SGDOptimizer``
    instead: it multiplies each gradient as it enters the velocity,
    ``v = momentum * v - lr * g`` (``p = p + v``, or ``p = p + momentum * v - lr * g``
    with Nesterov), so a change of rate acts on new gradients only. That is
    PyTorch's rule with ``b`` multiplied by ``lr_old / lr_new`` whenever the rate
    changes (both positive); while the rate is constant the two rules are the same.
    """

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False,
                 weight_decay=0.0, lr_in_velocity=False):
        super().__init__(params, lr)
        self.lr_in_velocity = bool(lr_in_velocity)
        self._velocity_lr = None  # the rate the momentum buffer is expressed in
        self.momentum = check_number(momentum, "momentum", "SGD")
        self.dampening = check_number(dampening, "dampening", "SGD", high=1.0)
        self.weight_decay = check_number(weight_decay, "weight_decay", "SGD")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ParameterError(
                "SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={self.momentum}, dampening={self.dampening}")
        self.momentum_buffer = self._state_like() if self.momentum else None

    def step(self, grads, lr=None):
        if self.lr_in_velocity and self.momentum_buffer is not None:
            rate = float(self.lr if lr is None else lr)
            if self._velocity_lr is not None and rate != self._velocity_lr \
                    and rate > 0 and self._velocity_lr > 0:
                factor = self._velocity_lr / rate
                buffers = (self.momentum_buffer.values() if isinstance(self.momentum_buffer, dict)
                           else [self.momentum_buffer])
                for buffer in buffers:
                    buffer *= buffer.dtype.type(factor)
            self._velocity_lr = rate
        super().step(grads, lr)

    def _update(self, key, param, grad, lr):
        if key is None and param.dtype.char in "fd":  # the flat buffer: one compiled pass
            cast = param.dtype.type
            _update_kernels.sgd(
                param=param, grad=grad, buf=self.momentum_buffer if self.momentum else param,
                lr=cast(lr), momentum=cast(self.momentum),
                one_minus_dampening=cast(1.0 - self.dampening),
                weight_decay=cast(self.weight_decay), dampened=bool(self.dampening),
                nesterov=self.nesterov, first=self.t == 1)
            return
        d_p = grad
        if self.weight_decay:
            d_p = np.multiply(param, self.weight_decay, out=self._scratch(("g", key), param))
            d_p += grad
        if self.momentum:
            buf = self._select(self.momentum_buffer, key)
            if self.t == 1:
                np.copyto(buf, d_p)
            elif self.dampening:
                buf *= self.momentum
                scaled = np.multiply(d_p, 1.0 - self.dampening,
                                     out=self._scratch(("s", key), param))
                buf += scaled
            else:  # the same arithmetic: multiplying by 1 - 0 is exact
                buf *= self.momentum
                buf += d_p
            if self.nesterov:
                look_ahead = np.multiply(buf, self.momentum, out=self._scratch(("s", key), param))
                d_p = np.add(look_ahead, d_p, out=look_ahead)
            else:
                d_p = buf
        step = np.multiply(d_p, lr, out=self._scratch(("s", key), param))
        param -= step


class Adam(Optimizer):
    """Adam with coupled (L2) weight decay, as ``torch.optim.Adam``::

        g = grad + weight_decay * p
        m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Kingma & Ba, https://arxiv.org/abs/1412.6980
    """

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        owner = type(self).__name__
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ParameterError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            check_number(betas[0], "betas[0]", owner, high=1.0, high_open=True),
            check_number(betas[1], "betas[1]", owner, high=1.0, high_open=True),
        )
        self.eps = check_number(eps, "eps", owner)
        self.weight_decay = check_number(weight_decay, "weight_decay", owner)
        self.m = self._state_like()
        self.v = self._state_like()

    def _update(self, key, param, grad, lr):
        beta1, beta2 = self.betas
        if key is None and param.dtype.char in "fd":  # the flat buffer: one compiled pass
            cast = param.dtype.type
            decoupled = bool(self.weight_decay and self.decoupled)
            _update_kernels.adam(
                param=param, grad=grad, m=self.m, v=self.v, beta1=cast(beta1),
                one_minus_beta1=cast(1.0 - beta1), beta2=cast(beta2),
                one_minus_beta2=cast(1.0 - beta2),
                sqrt_correction2=cast(math.sqrt(1.0 - beta2**self.t)), eps=cast(self.eps),
                step=cast(lr / (1.0 - beta1**self.t)), weight_decay=cast(self.weight_decay),
                decay_factor=cast(1.0 - lr * self.weight_decay), decoupled=decoupled)
            return
        if self.weight_decay and self.decoupled:
            param *= 1.0 - lr * self.weight_decay
        elif self.weight_decay:
            coupled = np.multiply(param, self.weight_decay, out=self._scratch(("g", key), param))
            grad = np.add(coupled, grad, out=coupled)
        m, v = self._select(self.m, key), self._select(self.v, key)
        m *= beta1
        scaled = np.multiply(grad, 1.0 - beta1, out=self._scratch(("sq", key), param))
        m += scaled
        v *= beta2
        squared = np.multiply(grad, grad, out=self._scratch(("sq", key), param))
        squared *= 1.0 - beta2
        v += squared
        bias_correction1 = 1.0 - beta1**self.t
        bias_correction2 = 1.0 - beta2**self.t
        denom = np.sqrt(v, out=self._scratch(("sq", key), param))
        denom /= math.sqrt(bias_correction2)  # a Python float keeps the arithmetic in dtype
        denom += self.eps
        np.divide(m, denom, out=denom)
        denom *= lr / bias_correction1
        param -= denom


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``: before the Adam
    update, ``p = p * (1 - lr * weight_decay)``.

    Loshchilov & Hutter, "Decoupled Weight Decay Regularization",
    https://arxiv.org/abs/1711.05101
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
