"""Checks of input arrays the network would otherwise get wrong without a word: values
the training dtype cannot hold, and a ``validation_data`` that is not a pair."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from ..errors import DataError

__all__ = ["check_dtype_range", "check_validation_pair"]


def check_dtype_range(values, dtype, name="X", feature_names=None) -> None:
    """Refuse ``values`` (a finite float array) that overflow ``dtype`` when cast.

    Two passes without allocation (``max`` and ``min``; of the stored entries for a
    ``scipy.sparse`` matrix); the offending entry is located only when there is one.
    """
    dtype = np.dtype(dtype)
    limit = np.finfo(dtype).max
    stored = values.data if scipy.sparse.issparse(values) else values
    if values.dtype.itemsize <= dtype.itemsize or stored.size == 0:
        return
    if stored.max() <= limit and stored.min() >= -limit:
        return
    if scipy.sparse.issparse(values):
        entries = values.tocoo()
        first = np.flatnonzero(np.abs(entries.data) > limit)[0]
        row, column = int(entries.row[first]), [int(entries.col[first])]
    else:
        row, *column = np.argwhere(np.abs(values) > limit)[0]
    where = f"row {row}"
    if column:
        label = f" ({feature_names[column[0]]!r})" if feature_names is not None else ""
        where = f"column {column[0]}{label}, {where}"
    raise DataError(
        f"{name} has the value {values[(row, *column)]:g} in {where}, beyond what {dtype.name} "
        f"holds (largest magnitude {limit:.3g}); scale the data (e.g. StandardScaler) or use "
        f"dtype='float64'")


def check_validation_pair(validation_data) -> tuple:
    """``validation_data`` as ``(X_val, y_val)``; anything else is refused clearly."""
    if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
        received = (f"a {type(validation_data).__name__} of length {len(validation_data)}"
                    if isinstance(validation_data, tuple | list)
                    else repr(type(validation_data).__name__))
        raise DataError(f"validation_data must be a pair (X_val, y_val), got {received}")
    return tuple(validation_data)
