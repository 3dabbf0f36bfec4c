"""The first dense layer on a ``scipy.sparse`` batch: products that never densify it.

A sparse input row ``x`` (CSR/CSC, scipy's matrices and arrays) enters a
network only through its first :class:`~fitwell.nn.Linear`, so the whole sparse
path is three products:

* forward ``z = x W`` (sparse × dense, ``O(nnz · width)``),
* the weight gradient ``dW = xᵀ dZ`` (sparse × dense, written into the gradient),
* the input gradient ``dx = dZ Wᵀ`` (dense; only a gradient check asks for it).

Every layer after the first sees the dense ``(batch, width)`` activations, so
batch norm, dropout and the fused blocks work unchanged; memory beyond the data
is the batch's activations, ``O(batch × width)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ..errors import DataError

__all__ = ["is_sparse", "check_sparse_input", "sparse_matmul", "sparse_weight_grad"]


def is_sparse(x) -> bool:
    """Whether ``x`` is a ``scipy.sparse`` matrix or array."""
    return scipy.sparse.issparse(x)


def check_sparse_input(layer, x, n_features, dtype):
    """``x`` as a 2-D CSR batch of ``dtype`` with ``n_features`` columns (a copy only
    when the format or dtype differs)."""
    if x.ndim != 2 or x.shape[1] != n_features:
        raise DataError(f"{type(layer).__name__} expects input of shape (n_samples, "
                        f"{n_features}), got a sparse input of shape {x.shape}")
    if x.format != "csr":
        x = x.tocsr()
    if x.dtype != dtype:
        x = x.astype(dtype)
    return x


def sparse_matmul(x, weight, out=None):
    """``x @ weight`` for a sparse ``x``, into ``out`` when given (dense result)."""
    product = np.asarray(x @ weight)
    if out is None:
        return product
    np.copyto(out, product)
    return out


def sparse_weight_grad(x, grad, out):
    """``x.T @ grad`` into ``out`` (the weight's gradient); ``x`` sparse, ``grad`` dense."""
    np.copyto(out, np.asarray(x.T @ grad))
    return out
