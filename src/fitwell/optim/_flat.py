"""What optimisers and penalties share: finding the one buffer a dict of arrays is cut
from, remembering it across steps, and reusing scratch arrays."""

from __future__ import annotations

import operator

import numpy as np

__all__ = ["flat_buffer", "FlatBufferCache", "reused_array"]


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


class FlatBufferCache:
    """:func:`flat_buffer` of a list of arrays, remembered while the arrays stay the same.

    A training loop passes the same live arrays at every step, so the detection runs
    once. The arrays are compared by identity, and held, so that their ids cannot be
    reused by new arrays.
    """

    def __init__(self):
        self._arrays = None
        self._base = None

    def __call__(self, arrays, shape=None):
        """The buffer ``arrays`` tile, or ``None`` (also when its shape is not ``shape``)."""
        cached = self._arrays
        if cached is None or len(cached) != len(arrays) \
                or not all(map(operator.is_, arrays, cached)):
            base = flat_buffer(arrays)
            if base is not None and shape is not None and base.shape != shape:
                base = None
            self._arrays, self._base = arrays, base
        return self._base


def reused_array(store: dict, name, like: np.ndarray) -> np.ndarray:
    """An uninitialised array shaped like ``like``, kept in ``store`` and handed out again
    for the same ``(name, shape, dtype)``, so that intermediate results allocate nothing."""
    key = (name, like.shape, like.dtype)
    array = store.get(key)
    if array is None:
        array = store[key] = np.empty_like(like)
    return array
