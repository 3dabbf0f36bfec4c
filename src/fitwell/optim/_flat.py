"""Detect when a dict of arrays is really one contiguous buffer cut into views."""

from __future__ import annotations

import numpy as np


def flat_buffer(arrays) -> np.ndarray | None:
    """Return the 1-D array that ``arrays`` tile exactly, in order, or ``None``.

    :class:`fitwell.nn.Sequential` keeps every parameter (and gradient) as a view
    into one buffer; an optimiser that sees this updates the buffer with a few
    vectorised calls instead of a few calls per parameter.
    """
    arrays = list(arrays)
    if not arrays:
        return None
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    start = base.__array_interface__["data"][0]
    position = start
    for array in arrays:
        if array.base is not base or not array.flags.c_contiguous:
            return None
        if array.__array_interface__["data"][0] != position:
            return None
        position += array.nbytes
    if position - start != base.nbytes:
        return None
    return base
