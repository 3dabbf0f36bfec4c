"""Model files: one ``.npz`` of plain arrays plus a JSON header — never a pickle.

Layout of the archive (read with ``allow_pickle=False``, so loading a file can
never execute code):

* ``header`` — UTF-8 JSON as a ``uint8`` array: format name and version, the
  estimator class and its parameters, the fitted attributes that are not arrays,
  the layer shapes, and a SHA-256 digest of every array;
* ``state/<name>`` — the network's parameters and buffers (``"0.weight"``, ...);
* ``classes`` — the class labels of a classifier;
* ``history/<column>`` — the per-epoch history;
* ``scaler/mean``, ``scaler/scale`` — a ``StandardScaler`` saved in front of the
  estimator, when the model is such a pipeline;
* ``tabular/<name>`` plus the header's ``tabular`` entry — a fitted
  :class:`~fitwell.tabular.TablePreprocessor` in front of the estimator (columns,
  kinds, medians, scaler statistics, categories; see :mod:`fitwell.tabular.store`).

A truncated or tampered file, a file of another format version, or one that is
not a fitwell model is refused with a :class:`ModelFileError` naming the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib

import numpy as np

from ._version import __version__
from .errors import ModelFileError
from .estimator import FitwellClassifier, FitwellRegressor
from .tabular import TablePreprocessor
from .tabular.store import from_plain, to_plain
from .training.history import History

__all__ = ["save", "load", "read_metadata", "ModelFileError", "FORMAT_VERSION"]

FORMAT_NAME = "fitwell-model"
FORMAT_VERSION = 1
_FITTED_SCALARS = ("n_features_in_", "n_outputs_", "n_layers_", "out_activation_", "n_iter_",
                   "t_", "loss_", "best_loss_", "best_validation_score_", "best_epoch_",
                   "diverged_")
_FITTED_LISTS = ("loss_curve_", "validation_scores_", "feature_names_in_")


def _digest(array: np.ndarray) -> str:
    hasher = hashlib.sha256()
    hasher.update(str(array.dtype).encode())
    hasher.update(str(array.shape).encode())
    hasher.update(np.ascontiguousarray(array).tobytes())
    return hasher.hexdigest()


def _json_value(value):
    """Parameters as JSON, or raise for values a file cannot hold."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, type | np.dtype):
        return np.dtype(value).name
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ModelFileError(f"cannot save parameter value {value!r} of type {type(value).__name__} "
                         "in a model file; only numbers, strings, lists and dicts are stored")


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and not np.isfinite(value):
        return repr(value)  # JSON has no inf/nan: stored as text
    return value


def _unplain(value):
    if value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def _split_pipeline(model):
    """``(preprocessing or None, estimator)`` from an estimator or a pipeline of a
    ``StandardScaler`` or a :class:`~fitwell.tabular.TablePreprocessor` and an estimator."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        if len(steps) == 2 and isinstance(steps[0], StandardScaler | TablePreprocessor):
            return steps[0], steps[1]
        raise ModelFileError("save accepts a fitwell estimator or a Pipeline of a "
                             "StandardScaler or fitwell.tabular_pipeline's preprocessing "
                             "followed by a fitwell estimator")
    return None, model


def _check_width(path, preprocessing, n_features):
    """The preprocessing's output must be the network's input."""
    width = len(preprocessing.get_feature_names_out())
    if width != n_features:
        raise ModelFileError(f"{path!r}: the table preprocessing gives {width} features, the "
                             f"network takes {n_features}")


def _store_table_preprocessing(preprocessing, estimator, header, arrays):
    """Put a fitted TablePreprocessor into the header and arrays under ``tabular``."""
    _check_width("save", preprocessing, estimator.n_features_in_)
    spec, plain = to_plain(preprocessing)
    header["tabular"] = spec
    arrays.update({f"tabular/{name}": value for name, value in plain.items()})


def _restore_table_preprocessing(path, header, arrays, n_features):
    """The TablePreprocessor stored by :func:`_store_table_preprocessing` (its arrays
    are taken out of ``arrays``), checked against the network's input width."""
    plain = {name[len("tabular/"):]: arrays.pop(name) for name in list(arrays)
             if name.startswith("tabular/")}
    preprocessing = from_plain(header["tabular"], plain)
    _check_width(path, preprocessing, n_features)
    return preprocessing


def save(model, path, metadata=None) -> None:
    """Write a fitted :class:`~fitwell.FitwellClassifier` or
    :class:`~fitwell.FitwellRegressor` — alone or after a fitted ``StandardScaler`` or
    :class:`~fitwell.tabular.TablePreprocessor` in a ``Pipeline`` — to ``path`` (a
    ``.npz`` file).

    Parameters that cannot be stored as data (callback objects, augmenter
    objects, a ``RandomState``) are left out rather than pickled. ``metadata`` is a
    JSON-serialisable dict kept in the header (see :func:`read_metadata`).
    """
    scaler, estimator = _split_pipeline(model)
    if not isinstance(estimator, FitwellClassifier | FitwellRegressor):
        raise ModelFileError(f"save expects a FitwellClassifier or FitwellRegressor, got "
                             f"{type(estimator).__name__}")
    if not hasattr(estimator, "model_"):
        raise ModelFileError("the estimator is not fitted yet; call fit before save")
    params = estimator.get_params(deep=False)
    if params.get("callbacks"):
        params["callbacks"] = None  # callbacks steer training only; they are not model state
    if isinstance(params.get("random_state"), np.random.RandomState):
        params["random_state"] = None
    arrays = {f"state/{k}": v for k, v in estimator.model_.state_dict().items()}
    for column, values in estimator.history_.to_dict().items():
        arrays[f"history/{column}"] = np.asarray(values, dtype=np.float64)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "fitwell_version": __version__,
        "estimator": type(estimator).__name__,
        "params": _json_value(params),
        "fitted": {name: _plain(getattr(estimator, name)) for name in _FITTED_SCALARS
                   if hasattr(estimator, name)},
        "lists": {name: [_plain(v) for v in getattr(estimator, name)]
                  for name in _FITTED_LISTS if getattr(estimator, name, None) is not None},
        "layers": [repr(layer) for layer in estimator.model_.layers],
    }
    if isinstance(estimator, FitwellClassifier):
        classes = np.asarray(estimator.classes_)
        header["classes_dtype"] = classes.dtype.str if classes.dtype != object else "object"
        if classes.dtype == object:
            classes = classes.astype(str)
        arrays["classes"] = classes
        header["label_type"] = estimator._label_binarizer.y_type_
    else:
        header["y_1d"] = bool(estimator._y_1d)
    if isinstance(scaler, TablePreprocessor):
        _store_table_preprocessing(scaler, estimator, header, arrays)
    elif scaler is not None:
        arrays["scaler/mean"] = np.asarray(scaler.mean_, dtype=np.float64)
        arrays["scaler/scale"] = np.asarray(scaler.scale_, dtype=np.float64)
    header["metadata"] = _json_value(metadata or {})
    header["shapes"] = {k: list(v.shape) for k, v in arrays.items()}
    header["digests"] = {k: _digest(v) for k, v in arrays.items()}
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    path = os.fspath(path)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _read(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            NotImplementedError) as exc:  # zlib / NotImplementedError: corrupt members
        raise ModelFileError(f"{path!r} is not a readable fitwell model file (truncated or not an "
                             f".npz archive: {exc})") from exc
    if "header" not in arrays:
        raise ModelFileError(f"{path!r} is an .npz archive but not a fitwell model (no header)")
    raw = sorted(name for name, value in arrays.items() if not isinstance(value, np.ndarray))
    if raw:  # np.load hands back members that are not .npy data as bytes
        raise ModelFileError(f"{path!r} is not a fitwell model file: members {raw} are not "
                             ".npy arrays")
    try:
        header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path!r}: the model header is corrupt ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path!r} is not a fitwell model file")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{path!r} has model format version {version}, this fitwell "
                             f"({__version__}) reads version {FORMAT_VERSION}; re-save the model "
                             "with a matching fitwell")
    digests = header.get("digests", {})
    if set(digests) != set(arrays):
        raise ModelFileError(f"{path!r} was modified: its arrays do not match its header "
                             f"(expected {sorted(digests)}, found {sorted(arrays)})")
    for name, array in arrays.items():
        if _digest(array) != digests[name]:
            raise ModelFileError(f"{path!r} was modified: array {name!r} fails its checksum")
    return header, arrays


def read_metadata(path) -> dict:
    """The ``metadata`` dict stored by :func:`save` (empty if none)."""
    header, _ = _read(path)
    return header.get("metadata", {})


def load(path):
    """Read a model written by :func:`save`: the fitted estimator, or the
    ``Pipeline(StandardScaler or TablePreprocessor, estimator)`` it was saved as."""
    try:
        return _load(path)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ModelFileError(f"{os.fspath(path)!r}: the model header is incomplete or corrupt "
                             f"({type(exc).__name__}: {exc})") from exc


def _load(path):
    """Read a model written by :func:`save`: the fitted estimator, or the
    ``Pipeline(StandardScaler, estimator)`` it was saved as."""
    header, arrays = _read(path)
    scaler = None
    if "scaler/mean" in arrays:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler()
        scaler.mean_ = arrays.pop("scaler/mean")
        scaler.scale_ = arrays.pop("scaler/scale")
        scaler.var_ = scaler.scale_**2
        scaler.n_features_in_ = scaler.mean_.shape[0]
        scaler.n_samples_seen_ = 0
    kinds = {"FitwellClassifier": FitwellClassifier, "FitwellRegressor": FitwellRegressor}
    if header.get("estimator") not in kinds:
        raise ModelFileError(f"{path!r}: unknown estimator {header.get('estimator')!r}")
    params = dict(header["params"])
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    if isinstance(params.get("image_shape"), list):
        params["image_shape"] = tuple(params["image_shape"])
    try:
        estimator = kinds[header["estimator"]](**params)
    except TypeError as exc:
        raise ModelFileError(f"{path!r}: parameters do not fit this fitwell version ({exc})") \
            from exc
    fitted = {k: _unplain(v) for k, v in header["fitted"].items()}
    n_features = int(fitted["n_features_in_"])
    if "tabular" in header:
        scaler = _restore_table_preprocessing(path, header, arrays, n_features)
    n_outputs = int(fitted["n_outputs_"])
    if isinstance(estimator, FitwellClassifier):
        from sklearn.preprocessing import LabelBinarizer

        classes = arrays.pop("classes")
        if header["classes_dtype"] == "object":
            classes = classes.astype(object)
        binarizer = LabelBinarizer()
        if header["label_type"] == "multilabel-indicator":
            binarizer.fit(np.eye(max(len(classes), 2), dtype=int)[:, :len(classes)])
        else:
            binarizer.fit(classes)
        estimator._label_binarizer = binarizer
        estimator.classes_ = binarizer.classes_
    else:
        estimator._y_1d = bool(header["y_1d"])
    estimator._initialize(n_features, n_outputs, estimator._seeds())
    state = {k[len("state/"):]: v for k, v in arrays.items() if k.startswith("state/")}
    try:
        estimator.model_.load_state_dict(state)
    except ValueError as exc:
        raise ModelFileError(f"{path!r}: the stored network does not match its parameters "
                             f"({exc})") from exc
    for name, value in fitted.items():
        setattr(estimator, name, value)
    for name, values in header.get("lists", {}).items():
        values = [_unplain(v) for v in values]
        setattr(estimator, name, np.asarray(values, dtype=object) if name == "feature_names_in_"
                else values)
    history = {k[len("history/"):]: v.tolist() for k, v in arrays.items()
               if k.startswith("history/")}
    estimator.history_ = History.from_dict(history)
    if scaler is not None:
        from sklearn.pipeline import make_pipeline

        return make_pipeline(scaler, estimator)
    return estimator
