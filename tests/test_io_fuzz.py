"""Loader fuzz test: random mutations of a valid model file — bit flips, truncations,
edits of the JSON header (sealed with a fresh checksum or not), huge or foreign shapes
and dtypes in the ``.npy`` headers inside the archive — are refused with a
ModelFileError (or, for a flip in zip bookkeeping, load the very same model), each
within a small time and memory bound: nothing is sized from the file before it is
checked."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier, ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: the most memory one load of a mutated (small) model file may take at its peak
PEAK_BYTES = 4 * 2**20
FUZZ = settings(max_examples=60, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


class _ModelFile(tuple):
    """``(bytes of a valid model file, a scratch path, the model's first weights)``,
    shown briefly in Hypothesis' reports."""

    def __repr__(self):
        return f"<model file of {len(self[0])} bytes>"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A valid model file (a scaler and a batch-normalised classifier) to mutate."""
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), FitwellClassifier(
        hidden_layer_sizes=(8, 4), normalization="batch", max_iter=3, random_state=0))
    folder = tmp_path_factory.mktemp("fuzz")
    with threadpool_limits(limits=1):
        fitwell.save(model.fit(X, y), folder / "valid.npz")
        reference = fitwell.load(folder / "valid.npz")  # also imports what load needs
    return _ModelFile(((folder / "valid.npz").read_bytes(), folder / "mutated.npz",
                       reference[-1].coefs_[0]))


def _members(raw) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _archive(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _load_bounded(raw, scratch):
    """Load ``raw`` from a file: the model, or the ModelFileError; asserts the memory
    bound (anything but a ModelFileError propagates and fails the test)."""
    scratch.write_bytes(raw)
    tracemalloc.start()
    try:
        return fitwell.load(scratch)
    except ModelFileError as exc:
        assert str(exc)
        return exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < PEAK_BYTES, f"loading took {peak} bytes at its peak"


def _assert_refused(raw, scratch):
    outcome = _load_bounded(raw, scratch)
    assert isinstance(outcome, ModelFileError), "a damaged model file was loaded"


@FUZZ
@given(data=st.data())
def test_bit_flips_refused_or_harmless(model_file, data):
    raw, scratch, weights = model_file
    flipped = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="flips")):
        position = data.draw(st.integers(0, len(raw) - 1), label="byte")
        flipped[position] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    outcome = _load_bounded(bytes(flipped), scratch)
    if not isinstance(outcome, ModelFileError):  # zip bookkeeping (a timestamp, say)
        assert np.array_equal(outcome[-1].coefs_[0], weights)


@FUZZ
@given(data=st.data())
def test_truncations_refused(model_file, data):
    raw, scratch, _ = model_file
    _assert_refused(raw[:data.draw(st.integers(0, len(raw) - 1), label="length")], scratch)


def _leaves(value, path=()):
    """Every place in a JSON document: ``(path, value)`` pairs, containers included."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*path, index))


_HUGE = [10**11, 2**40, 2**63, 10**10, -1, 0, 1e11, 1e300]
_JSON_VALUES = st.one_of(
    st.sampled_from(_HUGE), st.integers(), st.floats(allow_nan=False), st.booleans(),
    st.none(), st.text(max_size=4), st.just([10**10]), st.just([2**40, 8]), st.just({}),
    st.lists(st.integers(-3, 3), max_size=3))


def _with_header(members, header, seal) -> bytes:
    """The archive with ``header`` as its JSON header; ``seal`` recomputes its checksum,
    as a deliberate hand-edit would."""
    text = json.dumps(header).encode("utf-8")
    members = {**members, "header.npy": _npy(np.frombuffer(text, dtype=np.uint8))}
    if seal and "header_sha256.npy" in members:
        digest = hashlib.sha256(text).hexdigest().encode("ascii")
        members["header_sha256.npy"] = _npy(np.frombuffer(digest, dtype=np.uint8))
    return _archive(members)


@settings(FUZZ, max_examples=150)
@given(data=st.data(), seal=st.booleans())
def test_header_edits_refused(model_file, data, seal):
    """An unsealed edit fails the checksum; a sealed one (checksum recomputed) is either
    refused by the checks behind it or is a model that loads and predicts."""
    raw, scratch, _ = model_file
    members = _members(raw)
    original = json.loads(np.load(io.BytesIO(members["header.npy"])).tobytes())
    header = json.loads(json.dumps(original))
    places = [path for path, _ in _leaves(header) if path]
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        path = data.draw(st.sampled_from(places), label="place")
        parent = header
        for key in path[:-1]:
            parent = parent[key] if isinstance(parent, dict) or (
                isinstance(parent, list) and isinstance(key, int) and key < len(parent)) else None
            if parent is None:
                break
        if parent is None or not isinstance(parent, dict | list):
            continue
        if isinstance(parent, list) and not (isinstance(path[-1], int) and path[-1] < len(parent)):
            continue
        if isinstance(parent, dict) and data.draw(st.booleans(), label="delete"):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = data.draw(_JSON_VALUES, label="value")
    assume(header != original)
    outcome = _load_bounded(_with_header(members, header, seal), scratch)
    if not seal:
        assert isinstance(outcome, ModelFileError), "an edited header passed its checksum"
    elif not isinstance(outcome, ModelFileError):
        X = np.zeros((2, outcome[-1].n_features_in_))
        outcome.predict(X)


@pytest.mark.parametrize("target", [("fitted", "n_features_in_"), ("fitted", "n_outputs_"),
                                    ("params", "hidden_layer_sizes")])
@pytest.mark.parametrize("value", [10**11, 10**10, [10**10], 2**40, 4096])
def test_sealed_huge_widths_refused_before_allocation(model_file, target, value):
    """The header's widths, even behind a valid checksum, are checked against the stored
    network before a network of that size is built."""
    raw, scratch, _ = model_file
    members = _members(raw)
    header = json.loads(np.load(io.BytesIO(members["header.npy"])).tobytes())
    header[target[0]][target[1]] = value
    _assert_refused(_with_header(members, header, seal=True), scratch)


_SHAPES = st.one_of(
    st.sampled_from([(2**40, 8), (2**62,), (10**10, 10**10), (0,), (3, 2**31), (2**63 - 1,)]),
    st.lists(st.integers(0, 2**63 - 1), min_size=0, max_size=4).map(tuple))
_DESCRS = st.sampled_from(["<f8", "<f4", "|u1", "<i8", "|O", "<U1000000000", "|V8", "<c16",
                           "|b1", ">f8"])


@settings(FUZZ, max_examples=100)
@given(data=st.data(), shape=_SHAPES, descr=_DESCRS, fortran=st.booleans())
def test_npy_headers_inside_the_archive_refused(model_file, data, shape, descr, fortran):
    """A member whose ``.npy`` header declares another shape or dtype than it was saved
    with (huge ones included), its data left as it is."""
    raw, scratch, _ = model_file
    members = _members(raw)
    name = data.draw(st.sampled_from(sorted(members)), label="member")
    stream = io.BytesIO(members[name])
    version = np.lib.format.read_magic(stream)
    old = (np.lib.format.read_array_header_1_0 if version == (1, 0)
           else np.lib.format.read_array_header_2_0)(stream)
    assume((shape, descr) != (old[0], old[2].str))  # the order alone may not matter
    body = members[name][stream.tell():]
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        header, {"descr": descr, "fortran_order": fortran, "shape": shape})
    _assert_refused(_archive({**members, name: header.getvalue() + body}), scratch)
