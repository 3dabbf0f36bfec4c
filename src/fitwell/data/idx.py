"""A strict reader of the IDX format of the MNIST family of datasets.

An IDX file is a 4-byte magic number — two zero bytes, a type code and the number of
dimensions ``d`` — then ``d`` big-endian ``uint32`` sizes, then the values in
row-major (C) order, big-endian. Files may be gzip-compressed, as they are published.
Every part is checked, so a truncated, padded or foreign file is refused with a
:class:`~fitwell.errors.DataError` instead of being read as garbage.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

import numpy as np

from ..errors import DataError

__all__ = ["read_idx", "IDX_DTYPES"]

#: type code -> big-endian NumPy dtype, as the format defines them
IDX_DTYPES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        if raw[:2] == _GZIP_MAGIC:
            return gzip.decompress(raw)
        return raw
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot be read as an IDX file ({exc}); expected a plain or "
                        "gzip-compressed IDX file such as train-images-idx3-ubyte.gz") from exc


def read_idx(path) -> np.ndarray:
    """Read one IDX file (plain or gzip-compressed) into an array of its native type.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray
        Shape as the header declares it, dtype converted to native byte order
        (``uint8`` for the image and label files of MNIST and Fashion-MNIST).

    Raises
    ------
    DataError
        When the magic number, the type code, the number of dimensions or the
        file length does not match the format.
    """
    raw = _read_bytes(path)
    name = os.path.basename(os.fspath(path))
    if len(raw) < 4:
        raise DataError(f"{name}: {len(raw)} bytes is too short for an IDX file; expected at "
                        "least the 4-byte magic number")
    zero_a, zero_b, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero_a or zero_b:
        raise DataError(f"{name}: not an IDX file (magic number starts {raw[:2].hex()}, "
                        "expected 0000); check the file is an MNIST-style IDX file")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataError(f"{name}: unknown IDX type code 0x{code:02X}; expected one of {known}")
    if ndim == 0:
        raise DataError(f"{name}: IDX header declares 0 dimensions; expected at least 1")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{name}: truncated header: {ndim} dimensions need {header_size} bytes, "
                        f"the file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header_size + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "longer than its header says"
        raise DataError(f"{name}: file is {state}: shape {shape} of {dtype.name} needs "
                        f"{expected} bytes, found {len(raw)}; fetch the file again")
    values = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))
