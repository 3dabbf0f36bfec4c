"""``scipy.sparse`` inputs to the estimators: which formats are taken, how they are
stored for training, and which options need dense rows.

A sparse ``X`` (CSR or CSC, scipy's matrices and arrays) is kept sparse: it is
stored as CSR (cheap row batches) in the training dtype, and only the first dense
layer ever touches it (see :mod:`fitwell.nn._sparse`). Of the named augmentations
only ``"mixup"`` keeps rows sparse (it adds two sparse rows); ``"noise"`` would fill
every entry and the image augmentations move pixels of a dense image, so they are
refused. A user's own augmenter callable receives the CSR batch.
"""

from __future__ import annotations

import scipy.sparse

from ..errors import ParameterError
from ..training.augment import (
    Compose,
    GaussianNoise,
    RandomHorizontalFlip,
    RandomRotation,
    RandomShift,
)

__all__ = ["ACCEPT_SPARSE", "as_training_matrix", "check_sparse_augment"]

ACCEPT_SPARSE = ("csr", "csc")
"""The sparse formats ``validate_data`` passes through; others are converted to CSR."""

_DENSE_ONLY = {GaussianNoise: "noise", RandomShift: "shift", RandomRotation: "rotation",
               RandomHorizontalFlip: "flip"}


def as_training_matrix(X, dtype):
    """``X`` in ``dtype``; a sparse ``X`` as CSR (a copy only when needed)."""
    X = X.astype(dtype, copy=False)
    if scipy.sparse.issparse(X) and X.format != "csr":
        X = X.tocsr()
    return X


def _parts(augmenter):
    if isinstance(augmenter, Compose):
        for part in augmenter.augmenters:
            yield from _parts(part)
    else:
        yield augmenter


def check_sparse_augment(augmenter) -> None:
    """Refuse the augmentations that need dense rows, for a sparse ``X``."""
    dense_only = sorted({name for part in _parts(augmenter)
                         for cls, name in _DENSE_ONLY.items() if isinstance(part, cls)})
    if dense_only:
        raise ParameterError(
            f"augment {dense_only} needs dense rows, but X is a scipy.sparse matrix; with "
            "sparse X use augment='mixup' (it keeps rows sparse) or augment=None, or pass a "
            "dense X (X.toarray()) if it fits in memory")
