"""The numba decorators of fitwell's compiled kernels, in one place.

Every kernel is compiled on first use and cached on disk next to its module
(``cache=True``), releases the GIL, and follows NumPy's error model (a division
by zero gives inf or NaN, never an exception). :data:`jit` allows no fast-math, so
a kernel performs exactly the float operations it spells out, in order, and its
results are bit-for-bit reproducible and equal to the NumPy code it replaces.
"""

from __future__ import annotations

from numba import njit

__all__ = ["jit", "jit_reassociating"]

#: the decorator of every kernel whose arithmetic must match NumPy's bit for bit
jit = njit(cache=True, nogil=True, error_model="numpy")

#: for a kernel that returns a sum which may be reassociated so that it vectorises
#: (a strict serial sum is latency-bound, slower than NumPy); the sum is still the
#: same on every run, and every other operation stays exact
jit_reassociating = njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc"})
