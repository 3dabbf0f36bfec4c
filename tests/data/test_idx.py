"""The IDX reader: round trips on files written here, and every malformed variant refused."""

import gzip
import struct

import numpy as np
import pytest

from fitwell.data import read_idx
from fitwell.data.idx import IDX_DTYPES
from fitwell.errors import DataError

CODES = {np.dtype(dtype.str.replace(">", "=")).name: code for code, dtype in IDX_DTYPES.items()}


def idx_bytes(array, code=None, ndim=None, magic=b"\x00\x00"):
    """The IDX encoding of ``array``, written independently of the reader."""
    array = np.asarray(array)
    code = CODES[array.dtype.name] if code is None else code
    ndim = array.ndim if ndim is None else ndim
    header = magic + bytes([code, ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_every_type_plain_and_gzip(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4).reshape(2, 3, 4) - 7).astype(dtype)
    data = idx_bytes(array)
    path = tmp_path / "values.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    read = read_idx(path)
    assert read.dtype == np.dtype(dtype) and read.dtype.isnative
    np.testing.assert_array_equal(read, array)
    read[0, 0, 0] = 1  # writable, not a view of the file's bytes


def test_one_dimensional_labels(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.array([9, 0, 3], dtype=np.uint8)))
    np.testing.assert_array_equal(read_idx(path), [9, 0, 3])


GOOD = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)


@pytest.mark.parametrize("data, message", [
    pytest.param(idx_bytes(GOOD)[:-1], "truncated", id="truncated"),
    pytest.param(idx_bytes(GOOD) + b"\x00", "longer than its header says", id="padded"),
    pytest.param(idx_bytes(GOOD, magic=b"\x1f\x00"), "not an IDX file", id="foreign-magic"),
    pytest.param(idx_bytes(GOOD, code=0x0A), "unknown IDX type code 0x0A", id="unknown-type"),
    pytest.param(idx_bytes(GOOD, ndim=0)[:4], "0 dimensions", id="no-dimensions"),
    pytest.param(idx_bytes(GOOD)[:9], "truncated header", id="short-header"),
    pytest.param(b"\x00\x00", "too short", id="too-short"),
    pytest.param(b"%PDF-1.4 not an idx file at all", "not an IDX file", id="foreign-file"),
])
def test_malformed_files_are_refused(tmp_path, data, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_a_broken_gzip_stream_is_a_data_error(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(GOOD))[:-12])
    with pytest.raises(DataError, match="cannot be read as an IDX file"):
        read_idx(path)


def test_a_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_idx(tmp_path / "absent")
