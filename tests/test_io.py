"""Model files: ``fitwell.save`` / ``fitwell.load`` round trips, and every damaged or
foreign file refused with a ModelFileError."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

import fitwell
from fitwell import FitwellClassifier, FitwellRegressor, ModelFileError

pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


def _small(cls, **params):
    """A small, fast network; all other settings at their defaults."""
    return cls(**{"hidden_layer_sizes": (16,), "max_iter": 30, "learning_rate_init": 0.01,
                  "random_state": 0, **params})


# -- model files ---------------------------------------------------------------------------------

_ATTRIBUTES = ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_", "n_iter_", "t_",
               "loss_", "best_loss_", "loss_curve_", "validation_scores_",
               "best_validation_score_", "best_epoch_")


def _file_cases(iris_str, multilabel, regression):
    X, y = iris_str
    Xm, Ym = multilabel
    Xr, Yr = regression
    return {
        "string-labels": (_small(FitwellClassifier), X, y),
        "binary-strings": (_small(FitwellClassifier), X[:100], y[:100]),
        "multilabel": (_small(FitwellClassifier), Xm, Ym),
        "regressor-1d": (_small(FitwellRegressor), Xr, Yr[:, 0]),
        "regressor-2d": (_small(FitwellRegressor), Xr, Yr),
        "batchnorm": (_small(FitwellClassifier, normalization="batch", dropout=0.1), X, y),
        "early-stopping": (_small(FitwellClassifier, early_stopping=True), X, y),
        "lbfgs-float64": (_small(FitwellRegressor, solver="lbfgs", dtype="float64"), Xr, Yr),
    }


_FILE_CASES = ["string-labels", "binary-strings", "multilabel", "regressor-1d", "regressor-2d",
               "batchnorm", "early-stopping", "lbfgs-float64"]


def _assert_same_model(a, b, X):
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    assert np.array_equal(a.predict(X), b.predict(X))
    if hasattr(a, "predict_proba"):
        assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
        assert np.array_equal(a.classes_, b.classes_) and a.classes_.dtype == b.classes_.dtype
    for x, z in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert x.dtype == z.dtype and np.array_equal(x, z)
    for name, value in a.model_.buffers.items():
        assert np.array_equal(value, b.model_.buffers[name]), name
    for name in _ATTRIBUTES:
        assert hasattr(a, name) == hasattr(b, name), name
        if hasattr(a, name):
            assert getattr(a, name) == getattr(b, name), name
    history_a, history_b = a.history_.to_dict(), b.history_.to_dict()
    assert history_a.keys() == history_b.keys()
    for column, values in history_a.items():
        assert np.array_equal(values, history_b[column], equal_nan=True), column


@pytest.mark.parametrize("case", _FILE_CASES)
def test_save_load_roundtrip(case, tmp_path, iris_str, multilabel, regression):
    model, X, y = _file_cases(iris_str, multilabel, regression)[case]
    model.fit(X, y)
    path = tmp_path / "model.npz"
    fitwell.save(model, path)
    loaded = fitwell.load(path)
    _assert_same_model(model, loaded, X)
    with np.load(path, allow_pickle=False) as archive:  # plain arrays only: no pickles
        assert all(archive[name].dtype != object for name in archive.files)


def test_save_load_keeps_feature_names(tmp_path, iris):
    model = _small(FitwellClassifier, max_iter=5).fit(*iris)
    # what fitting on a DataFrame sets (no DataFrame library is a test dependency)
    model.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)
    fitwell.save(model, tmp_path / "m.npz")
    loaded = fitwell.load(tmp_path / "m.npz")
    assert loaded.feature_names_in_.dtype == object
    assert loaded.feature_names_in_.tolist() == ["a", "b", "c", "d"]


@pytest.fixture
def saved(tmp_path, iris_str):
    path = tmp_path / "model.npz"
    fitwell.save(_small(FitwellClassifier, max_iter=5).fit(*iris_str), path)
    return path


def _rewrite(path, target, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(target, **arrays)
    return target


def _set_header(arrays, **fields):
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    header.update(fields)
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)


def test_truncated_file_refused(saved, tmp_path):
    raw = saved.read_bytes()
    for size in (0, 10, len(raw) // 2, len(raw) - 1):
        bad = tmp_path / f"truncated{size}.npz"
        bad.write_bytes(raw[:size])
        with pytest.raises(ModelFileError, match="not a readable fitwell model file"):
            fitwell.load(bad)


def test_corrupted_bytes_refused(saved, tmp_path):
    """Flipped bits anywhere either leave the model intact (zip metadata) or are refused."""
    raw = saved.read_bytes()
    reference = fitwell.load(saved).coefs_
    rng = np.random.default_rng(0)
    bad = tmp_path / "flipped.npz"
    for _ in range(60):
        data = bytearray(raw)
        data[rng.integers(len(data))] ^= 1 << rng.integers(8)
        bad.write_bytes(bytes(data))
        try:
            loaded = fitwell.load(bad)
        except ModelFileError:
            continue
        assert all(np.array_equal(a, b) for a, b in zip(loaded.coefs_, reference, strict=True))


def test_tampered_array_refused(saved, tmp_path):
    def change(arrays):
        arrays["state/0.weight"] = arrays["state/0.weight"] * 1.01

    bad = _rewrite(saved, tmp_path / "tampered.npz", change)
    with pytest.raises(ModelFileError, match="was modified: array 'state/0.weight' fails its "
                                             "checksum"):
        fitwell.load(bad)


def test_added_or_removed_array_refused(saved, tmp_path):
    def add(arrays):
        arrays["state/extra"] = np.zeros(3)

    def remove(arrays):
        del arrays["state/0.bias"]

    for change in (add, remove):
        bad = _rewrite(saved, tmp_path / f"{change.__name__}.npz", change)
        with pytest.raises(ModelFileError, match="arrays do not match its header"):
            fitwell.load(bad)


def test_wrong_format_version_refused(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "v99.npz", lambda arrays: _set_header(arrays,
                                                                            format_version=99))
    with pytest.raises(ModelFileError, match="format version 99.*reads version 2 only"):
        fitwell.load(bad)
    old = _rewrite(saved, tmp_path / "v1.npz", lambda arrays: _set_header(arrays,
                                                                           format_version=1))
    with pytest.raises(ModelFileError, match="format version 1,.*version 1 files have no header "
                                             "checksum"):
        fitwell.load(old)


def test_foreign_npz_and_other_files_refused(saved, tmp_path):
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones((3, 3)))
    with pytest.raises(ModelFileError, match="not a fitwell model \\(no header\\)"):
        fitwell.load(foreign)
    other_format = _rewrite(saved, tmp_path / "other.npz",
                            lambda arrays: _set_header(arrays, format="someone-else"))
    with pytest.raises(ModelFileError, match="is not a fitwell model file"):
        fitwell.load(other_format)
    text = tmp_path / "notes.npz"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="not a readable fitwell model file"):
        fitwell.load(text)
    with pytest.raises(ModelFileError, match="does not exist"):
        fitwell.load(tmp_path / "missing.npz")
    corrupt_header = tmp_path / "header.npz"
    with zipfile.ZipFile(corrupt_header, "w") as archive:
        archive.writestr("header.npy", b"garbage")
    with pytest.raises(ModelFileError, match="members \\['header'\\] are not .npy arrays"):
        fitwell.load(corrupt_header)
    not_json = _rewrite(saved, tmp_path / "not_json.npz", lambda arrays: arrays.update(
        header=np.frombuffer(b"\xff{not json", dtype=np.uint8)))
    with pytest.raises(ModelFileError, match="the model header is corrupt"):
        fitwell.load(not_json)


def test_a_consistent_hand_edit_of_the_header_is_detected(saved, tmp_path):
    """Parameters edited in the header (nothing else touched) fail the header checksum."""
    bad = _rewrite(saved, tmp_path / "edited.npz", lambda arrays: _set_header(
        arrays, params={**_header(arrays)["params"], "alpha": 0.5}))
    with pytest.raises(ModelFileError, match="was modified: its header fails its checksum"):
        fitwell.load(bad)
    unsealed = _rewrite(saved, tmp_path / "unsealed.npz",
                        lambda arrays: arrays.pop("header_sha256"))
    with pytest.raises(ModelFileError, match="its header fails its checksum"):
        fitwell.load(unsealed)


def _header(arrays):
    return json.loads(arrays["header"].tobytes().decode("utf-8"))


def _sealed(arrays, **fields):
    """Edit the header and recompute its checksum, as a deliberate edit would."""
    _set_header(arrays, **fields)
    digest = hashlib.sha256(arrays["header"].tobytes()).hexdigest().encode("ascii")
    arrays["header_sha256"] = np.frombuffer(digest, dtype=np.uint8)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h: {"fitted": {**h["fitted"], "n_features_in_": int(1e11)}},
     "declares layer widths \\[100000000000, 16, 3\\]"),
    (lambda h: {"params": {**h["params"], "hidden_layer_sizes": [int(1e10)]}},
     "declares layer widths \\[4, 10000000000, 3\\]"),
    (lambda h: {"params": {**h["params"], "hidden_layer_sizes": [4096]}},
     "declares a 4 x 4096 layer, but the stored network holds only"),
    (lambda h: {"params": {**h["params"], "hidden_layer_sizes": [1] * 100}},
     "declares 101 layers, but the stored network holds only"),
    (lambda h: {"shapes": {**h["shapes"], "classes": [2**40, 8]}},
     "array 'classes' has shape \\(3,\\), its header declares \\[1099511627776, 8\\]"),
], ids=["n_features_in_", "hidden_layer_sizes", "wide-layer", "many-layers", "shapes"])
def test_huge_declared_widths_are_refused_before_anything_is_built(saved, tmp_path, edit,
                                                                   message):
    """Even behind a valid checksum, the header's sizes are checked against what is stored
    before anything of that size is allocated."""
    bad = _rewrite(saved, tmp_path / "huge.npz",
                   lambda arrays: _sealed(arrays, **edit(_header(arrays))))
    with pytest.raises(ModelFileError, match=message):
        fitwell.load(bad)


def test_a_huge_npy_shape_inside_the_archive_is_refused_unallocated(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    stream = io.BytesIO(members["state/0.weight.npy"])
    np.lib.format.read_magic(stream)
    np.lib.format.read_array_header_1_0(stream)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (2**40, 8)})
    members["state/0.weight.npy"] = header.getvalue() + members["state/0.weight.npy"][
        stream.tell():]
    bad = tmp_path / "huge_npy.npz"
    with zipfile.ZipFile(bad, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match="array 'state/0.weight' declares shape "
                                             "\\(1099511627776, 8\\) of float32"):
        fitwell.load(bad)


def test_save_refuses_unfitted_and_foreign_estimators(tmp_path):
    with pytest.raises(ModelFileError, match="not fitted"):
        fitwell.save(FitwellClassifier(), tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="save expects a FitwellClassifier"):
        fitwell.save(MLPClassifier(), tmp_path / "m.npz")


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)
