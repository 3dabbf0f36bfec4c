"""A chain of layers with dotted parameter names and one flat parameter buffer."""

from __future__ import annotations

import contextlib
import copy
import operator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._threads import blas_threads, limit_blas_threads
from .._validation import check_positive_int
from .dense_block import DenseBlock
from .fuse import fuse_for_inference
from .linear import Linear
from .module import Module, _Container, check_dtype

__all__ = ["Sequential"]


class Sequential(_Container):
    """Apply layers one after the other.

    Names are dotted: the parameter ``"weight"`` of the layer at index 1 is
    ``"1.weight"``; nested containers give ``"2.0.weight"``.

    All parameters live in one contiguous array (and all gradients in another),
    each layer's arrays being views into it. Optimisers notice this and update
    the whole model in a handful of vectorised calls instead of one per array.
    The views are the live arrays the layers use, so ``model.params[k]`` can be
    modified in place and the model sees the change; :attr:`flat_params` and
    :attr:`flat_grads` are the buffers themselves.

    In training, every run ``Linear → [BatchNorm] → ReLU → [Dropout]`` goes
    through a :class:`~fitwell.nn.dense_block.DenseBlock`: the same computation
    with the element-wise work compiled into one pass forward and one backward.
    Inference, and every other layer, runs layer by layer; :meth:`predict` runs
    large inputs in chunks through a copy with batch norm folded into the dense
    layers, on every thread the BLAS may use.

    Parameters
    ----------
    *layers : Module
        The layers, applied in order. They must share one parameter dtype.
    fuse : bool, default=True
        Train recognised runs of layers through compiled blocks; ``False`` runs
        every layer's own NumPy forward and backward (the reference, slower). It
        applies to this container's own layers: a nested ``Sequential`` follows
        its own ``fuse``.
    """

    def __init__(self, *layers, fuse=True):
        super().__init__()
        self.fuse = bool(fuse)
        self._plan = None  # the training plan: layers and DenseBlocks, built on first use
        self._planned_for = None
        self._ran_plan = False
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

    @property
    def flat_params(self):
        """Every parameter in one contiguous 1-D array (``None`` without parameters).

        Each array of :attr:`params` is a view into it, in the order of the layers
        and, within a layer, of its ``params``; writing into it changes the model.
        Full-batch solvers such as L-BFGS read and write the model through it.
        """
        return self._flat_params

    @property
    def flat_grads(self):
        """Every gradient in one contiguous 1-D array laid out as :attr:`flat_params`.

        :meth:`backward` fills it (through the views of :attr:`grads`).
        """
        return self._flat_grads

    def __getstate__(self):
        state = super().__getstate__()
        state.update(_plan=None, _planned_for=None, _ran_plan=False)
        return state

    def __setstate__(self, state):
        # Pickle stores every view as an independent copy; gather them into one
        # flat buffer again.
        state.setdefault("fuse", True)
        super().__setstate__(state)
        self._flatten()

    def _training_plan(self):
        """The layers with each fusable run replaced by a DenseBlock (rebuilt if
        :attr:`layers` was changed)."""
        layers = self.layers
        planned = self._planned_for
        if planned is None or len(planned) != len(layers) \
                or not all(map(operator.is_, planned, layers)):
            plan, index = [], 0
            while index < len(layers):
                match = DenseBlock.match(layers, index) if self.fuse else None
                if match is None:
                    plan.append(layers[index])
                    index += 1
                else:
                    plan.append(match[0])
                    index += match[1]
            self._plan, self._planned_for = plan, list(layers)
        return self._plan

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    # -- computation ---------------------------------------------------------------------
    @staticmethod
    def _as_matrix(x):
        if not isinstance(x, np.ndarray) or x.ndim != 2:
            x = np.asarray(x)
            if x.ndim != 2:
                raise ValueError(
                    f"Sequential expects a 2-D array of shape (n_samples, n_features), got "
                    f"an array of shape {x.shape}"
                )
        return x

    def forward(self, x, training=False):
        if not isinstance(x, np.ndarray) or x.ndim != 2:  # no call for a training batch
            x = self._as_matrix(x)
        steps = self._training_plan() if training and self.fuse else self.layers
        self._ran_plan = steps is not self.layers
        for layer in steps:
            x = layer.forward(x, training=training)
        return x

    def predict(self, x, chunk_rows=None, fold_batch_norm=True):
        """Inference outputs for ``x``, computed ``chunk_rows`` rows at a time.

        Equals ``forward(x, training=False)`` up to rounding, with less memory
        traffic: each chunk's activations stay in the CPU cache, and with
        ``fold_batch_norm`` every batch norm after a dense layer is folded into it
        (see :func:`~fitwell.nn.fuse_for_inference`; the model is left untouched).
        Chunks whose products are large run one at a time on the BLAS's threads;
        small ones run the BLAS on one thread, and with ``fold_batch_norm`` as
        many chunks at once as the BLAS may use threads (each thread with its own
        copy of the folded model). Every chunk is computed the same way whichever
        thread runs it, so the outputs do not depend on the number of threads.

        Parameters
        ----------
        x : array-like of shape (n_samples, n_features)
            Cast to the model's dtype.
        chunk_rows : int, optional
            Rows per chunk; by default about 256k values of the widest layer,
            ``max(256, 2**18 // widest)``.
        fold_batch_norm : bool, default=True
            ``False`` runs the model's own layers: ``forward``'s values (exactly so
            when ``x`` fits in one chunk; the BLAS may round a product of fewer rows
            differently in the last bits).

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
        """
        x = self._as_matrix(x)
        if self.dtype is not None:
            x = x.astype(self.dtype, copy=False)
        if chunk_rows is None:
            widest = max([x.shape[1], *(layer.out_features for layer in self._leaves()
                                        if isinstance(layer, Linear))])
            chunk_rows = max(256, 2**18 // widest)
        chunk_rows = check_positive_int(chunk_rows, "chunk_rows", "Sequential.predict")
        model = fuse_for_inference(self) if fold_batch_norm else self
        n = x.shape[0]
        available = blas_threads()
        threads = limit_blas_threads(min(chunk_rows, n), model.params.values())
        try:
            first = model.forward(x[:chunk_rows], training=False)
            out = np.empty((n, first.shape[1]), dtype=first.dtype)
            out[:chunk_rows] = first
            starts = range(chunk_rows, n, chunk_rows)
            # A copy per thread: a layer may keep state between calls (its cache).
            workers = max(1, min(available, len(starts))) \
                if fold_batch_norm and blas_threads() == 1 else 1
            models = [model, *(copy.deepcopy(model) for _ in range(workers - 1))]

            def run(worker):
                for start in starts[worker::workers]:
                    out[start:start + chunk_rows] = models[worker].forward(
                        x[start:start + chunk_rows], training=False)

            with ThreadPoolExecutor(workers - 1, thread_name_prefix="fitwell-predict") \
                    if workers > 1 else contextlib.nullcontext() as pool:
                others = [pool.submit(run, worker) for worker in range(1, workers)]
                run(0)  # this thread takes its share
                for other in others:
                    other.result()
        finally:
            threads.restore_original_limits()
        return out

    def backward(self, grad, need_input_grad=True):
        """Back-propagate ``grad`` through every layer, filling :attr:`grads`.

        With ``need_input_grad=False`` the first layer skips its input gradient
        (a training step never needs it) when it can, and ``None`` is returned.
        """
        steps = self._plan if self._ran_plan else self.layers
        for index in range(len(steps) - 1, -1, -1):
            layer = steps[index]
            if index == 0 and not need_input_grad and isinstance(layer, Linear | DenseBlock):
                return layer.backward(grad, need_input_grad=False)
            grad = layer.backward(grad)
        return grad

    # -- dictionaries (params, grads and buffers come from _Container) ----------------------
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
        self._plan = self._planned_for = None
        return self

    def __repr__(self):
        lines = [f"  ({index}): {layer!r}" for index, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
