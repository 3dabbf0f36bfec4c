"""A chain of layers with dotted parameter names and one flat parameter buffer."""

from __future__ import annotations

import numpy as np

from .linear import Linear
from .module import Module, check_dtype

__all__ = ["Sequential"]


class Sequential(Module):
    """Apply layers one after the other.

    Names are dotted: the parameter ``"weight"`` of the layer at index 1 is
    ``"1.weight"``; nested containers give ``"2.0.weight"``.

    All parameters live in one contiguous array (and all gradients in another),
    each layer's arrays being views into it. Optimisers notice this and update
    the whole model in a handful of vectorised calls instead of one per array.
    The views are the live arrays the layers use, so ``model.params[k]`` can be
    modified in place and the model sees the change.

    Parameters
    ----------
    *layers : Module
        The layers, applied in order. They must share one parameter dtype.
    """

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], list | tuple):
            layers = tuple(layers[0])
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise ValueError(
                    f"Sequential: every layer must be a fitwell.nn.Module, got "
                    f"{type(layer).__name__} at position {index}"
                )
        self.layers = list(layers)
        dtypes = {layer.dtype for layer in self._leaves() if layer.dtype is not None}
        if len(dtypes) > 1:
            raise ValueError(
                f"Sequential: layers have different dtypes {sorted(map(str, dtypes))}; "
                "build them with one dtype or call .astype(dtype) on the model"
            )
        self._flatten()

    # -- structure -----------------------------------------------------------------------
    def _leaves(self):
        for layer in self.layers:
            if isinstance(layer, Sequential):
                yield from layer._leaves()
            else:
                yield layer

    def _named(self, attribute):
        named = {}
        for index, layer in enumerate(self.layers):
            for name, value in getattr(layer, attribute).items():
                named[f"{index}.{name}"] = value
        return named

    def _flatten(self):
        """Move every parameter and gradient into one contiguous buffer each."""
        leaves = [layer for layer in self._leaves() if layer._params]
        if not leaves:
            self._flat_params = self._flat_grads = None
            return
        dtype = leaves[0]._params[next(iter(leaves[0]._params))].dtype
        total = sum(value.size for layer in leaves for value in layer._params.values())
        self._flat_params = np.empty(total, dtype=dtype)
        self._flat_grads = np.zeros(total, dtype=dtype)
        offset = 0
        for layer in leaves:
            for name, value in layer._params.items():
                end = offset + value.size
                view = self._flat_params[offset:end].reshape(value.shape)
                view[...] = value
                layer._params[name] = view
                layer._grads[name] = self._flat_grads[offset:end].reshape(value.shape)
                offset = end

    def __setstate__(self, state):
        # Pickle stores every view as an independent copy; gather them into one
        # flat buffer again.
        super().__setstate__(state)
        self._flatten()

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    # -- computation ---------------------------------------------------------------------
    def forward(self, x, training=False):
        if not isinstance(x, np.ndarray) or x.ndim != 2:
            x = np.asarray(x)
            if x.ndim != 2:
                raise ValueError(
                    f"Sequential expects a 2-D array of shape (n_samples, n_features), got "
                    f"an array of shape {x.shape}"
                )
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad, need_input_grad=True):
        """Back-propagate ``grad`` through every layer, filling :attr:`grads`.

        With ``need_input_grad=False`` the first layer skips its input gradient
        (a training step never needs it) when it can, and ``None`` is returned.
        """
        last = len(self.layers) - 1
        for index in range(last, -1, -1):
            layer = self.layers[index]
            if index == 0 and not need_input_grad and isinstance(layer, Linear):
                return layer.backward(grad, need_input_grad=False)
            grad = layer.backward(grad)
        return grad

    # -- dictionaries ----------------------------------------------------------------------
    @property
    def params(self):
        return self._named("params")

    @property
    def grads(self):
        return self._named("grads")

    @property
    def buffers(self):
        return self._named("buffers")

    @property
    def dtype(self):
        for layer in self._leaves():
            if layer.dtype is not None:
                return layer.dtype
        return None

    def astype(self, dtype):
        """Convert every layer to ``dtype`` and rebuild the flat buffers; return self.

        Optimisers created before the conversion hold the old arrays: create them after.
        """
        dtype = check_dtype(dtype)
        for layer in self.layers:
            layer.astype(dtype)
        self._flatten()
        return self

    def __repr__(self):
        lines = [f"  ({index}): {layer!r}" for index, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
