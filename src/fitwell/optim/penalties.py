"""Weight penalties (L1, L2, elastic net) that add to the loss and to the gradients.

By default a penalty applies to weight *matrices* only — the arrays with two or
more dimensions — and leaves biases and normalisation gamma/beta alone, the
usual practice (and what scikit-learn's ``alpha`` does).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_number
from . import _penalty_kernels
from ._flat import FlatBufferCache, reused_array

__all__ = ["Penalty", "L1", "L2", "ElasticNet", "is_weight_matrix"]


#: models with at most this many parameters take the flat (masked) path
_FLAT_UP_TO = 2**18


def is_weight_matrix(name: str, array: np.ndarray) -> bool:
    """The default selection: arrays with at least two dimensions."""
    return array.ndim >= 2


class Penalty:
    """Base class. Call ``penalty(params, grads)`` once per step.

    Parameters
    ----------
    applies_to : callable (name, array) -> bool, default=is_weight_matrix
        Chooses the parameters the penalty acts on.
    """

    def __init__(self, applies_to=None):
        self.applies_to = applies_to or is_weight_matrix

    def __call__(self, params, grads=None, scale=1.0) -> float:
        """Return the penalty value and, when ``grads`` is given, add its gradient in place.

        ``scale`` multiplies both (scikit-learn divides its ``alpha`` by the batch
        size this way).
        """
        flat = self._flat(params, grads)
        if flat is not None and flat[0].size <= _FLAT_UP_TO:
            # One flat buffer (see fitwell.nn.Sequential): the selected entries, zeros
            # elsewhere, cost a handful of vectorised calls instead of a few per array.
            # Masking is one more pass over the parameters: it pays while the calls,
            # not the passes, dominate, i.e. for small models.
            param, grad, selected = flat
            if grad is not None:
                return self._flat_step(param, grad, selected, scale)
            masked = np.multiply(param, selected, out=self._scratch(param, "masked"))
            return scale * self._value(masked)
        total = 0.0
        for name, param in params.items():
            if self.applies_to(name, param):
                total += self._value(param)
                if grads is not None:
                    self._add_grad(param, grads[name], scale)
        return scale * total

    def _flat(self, params, grads):
        """``(flat params, flat grads or None, 0/1 selection)`` when ``params`` (and
        ``grads``) tile one buffer each, else ``None``; the detection is cached."""
        caches = self.__dict__.get("_flat_caches")
        if caches is None:
            caches = self._flat_caches = (FlatBufferCache(), FlatBufferCache(), {})
        param_cache, grad_cache, selections = caches
        base = param_cache(list(params.values()))
        if base is None:
            return None
        selected = selections.get("mask") if selections.get("base") is base else None
        if selected is None:  # a new buffer: which of its entries the penalty applies to
            selected = np.concatenate([np.full(value.size, self.applies_to(name, value),
                                               dtype=base.dtype)
                                       for name, value in params.items()])
            selections.update(base=base, mask=selected)
        if grads is None:
            return base, None, selected
        grad_base = grad_cache([grads[name] for name in params], base.shape)
        return None if grad_base is None else (base, grad_base, selected)

    def _scratch(self, like, name="term"):
        """A reused array shaped like ``like``: the gradient terms allocate nothing."""
        return reused_array(self.__dict__.setdefault("_scratch_store", {}), name, like)

    def _flat_step(self, param, grad, selected, scale):
        """Add the gradient of the selected entries of a flat buffer; return the value."""
        masked = np.multiply(param, selected, out=self._scratch(param, "masked"))
        self._add_grad(masked, grad, scale)
        return scale * self._value(masked)

    def _value(self, param):
        raise NotImplementedError

    def _add_grad(self, param, grad, scale):
        raise NotImplementedError


class L2(Penalty):
    """``0.5 * strength * sum(w ** 2)``, gradient ``strength * w``.

    With the one-half, ``L2(s)`` under plain SGD is exactly ``SGD(weight_decay=s)``
    on the selected weights. scikit-learn's ``alpha`` is ``L2(alpha / n_samples)``.
    """

    def __init__(self, strength, applies_to=None):
        super().__init__(applies_to)
        self.strength = check_number(strength, "strength", "L2")

    def _value(self, param):
        flat = param.ravel()
        return 0.5 * self.strength * float(np.dot(flat, flat))

    def _flat_step(self, param, grad, selected, scale):
        # one compiled pass: the same gradient as _add_grad, the value summed in float64
        coefficient = param.dtype.type(scale * self.strength)
        return scale * 0.5 * self.strength * _penalty_kernels.l2(param, grad, selected, coefficient)

    def _add_grad(self, param, grad, scale=1.0):
        if self.strength:
            grad += np.multiply(param, scale * self.strength, out=self._scratch(param))

    def __repr__(self):
        return f"L2({self.strength})"


class L1(Penalty):
    """``strength * sum(|w|)``, gradient ``strength * sign(w)`` (0 at exactly 0)."""

    def __init__(self, strength, applies_to=None):
        super().__init__(applies_to)
        self.strength = check_number(strength, "strength", "L1")

    def _value(self, param):
        return self.strength * float(np.abs(param, out=self._scratch(param)).sum())

    def _flat_step(self, param, grad, selected, scale):
        coefficient = param.dtype.type(scale * self.strength)
        return scale * self.strength * _penalty_kernels.l1(param, grad, selected, coefficient)

    def _add_grad(self, param, grad, scale=1.0):
        if self.strength:
            term = np.sign(param, out=self._scratch(param))
            term *= scale * self.strength
            grad += term

    def __repr__(self):
        return f"L1({self.strength})"


class ElasticNet(Penalty):
    """``L1(l1) + L2(l2)``: ``l1 * sum|w| + 0.5 * l2 * sum w^2``."""

    def __init__(self, l1, l2, applies_to=None):
        super().__init__(applies_to)
        self._parts = (L1(l1, applies_to), L2(l2, applies_to))
        self.l1, self.l2 = self._parts[0].strength, self._parts[1].strength

    def _value(self, param):
        return sum(part._value(param) for part in self._parts)

    def _flat_step(self, param, grad, selected, scale):
        return sum(part._flat_step(param, grad, selected, scale) for part in self._parts)

    def _add_grad(self, param, grad, scale=1.0):
        for part in self._parts:
            part._add_grad(param, grad, scale)

    def __repr__(self):
        return f"ElasticNet(l1={self.l1}, l2={self.l2})"
