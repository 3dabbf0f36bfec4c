"""Model files: one ``.npz`` of plain arrays plus a JSON header — never a pickle.

Layout of the archive (format version 2; every member a ``.npy`` array of numbers or
strings, never objects, so loading a file can never execute code):

* ``header`` — UTF-8 JSON as a ``uint8`` array: format name and version, the
  estimator class and its parameters, the fitted attributes that are not arrays,
  the layer shapes, and the shape and SHA-256 digest of every other array;
* ``header_sha256`` — the SHA-256 of the header's bytes (hex, as ``uint8``), so the
  header, and through its digests every array, is covered by a checksum;
* ``state/<name>`` — the network's parameters and buffers (``"0.weight"``, ...);
* ``classes`` — the class labels of a classifier;
* ``history/<column>`` — the per-epoch history;
* ``scaler/mean``, ``scaler/scale`` — a ``StandardScaler`` saved in front of the
  estimator, when the model is such a pipeline;
* ``tabular/<name>`` plus the header's ``tabular`` entry — a fitted
  :class:`~fitwell.tabular.TablePreprocessor` in front of the estimator (columns,
  kinds, medians, scaler statistics, categories; see :mod:`fitwell.tabular.store`);
* ``text/vocabulary``, ``text/idf`` plus the header's ``text`` entry — the fitted
  ``TfidfVectorizer`` of a :func:`fitwell.text.text_pipeline` (its parameters, terms and
  weights; see :mod:`fitwell.text.store`) and the parameters of its augmentation step,
  which acts at fit only and holds nothing fitted.

Reading checks before it allocates: each member's declared dtype and shape against
the bytes the archive holds for it and against :data:`MAX_TOTAL_BYTES`, then the
header's checksum, the arrays' digests and shapes, and the network widths the header
declares against the stored network. A truncated, tampered or inflated file, a file
of another format version (version 1 files, written before the header had a
checksum, are refused), or one that is not a fitwell model is refused with a
:class:`ModelFileError` naming the problem — never another exception.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import zipfile
import zlib

import numpy as np

from ._files import atomic_write
from ._version import __version__
from .errors import ModelFileError
from .estimator import FitwellClassifier, FitwellRegressor
from .tabular import TablePreprocessor
from .tabular.store import from_plain, to_plain
from .text import AugmentingPipeline, AugmentTexts
from .text import store as text_store
from .training.history import History

__all__ = ["save", "load", "read_metadata", "ModelFileError", "FORMAT_VERSION"]

FORMAT_NAME = "fitwell-model"
FORMAT_VERSION = 2
#: the most members and the most array bytes a model file may hold: far beyond any
#: network fitwell trains, far below what would exhaust a machine's memory
MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 2**31
#: the widest layer (input, hidden or output) a model file may declare
MAX_WIDTH = 2**24
_HEADER_CHECKSUM = "header_sha256"
_STORED_KINDS = "biufU"  # booleans, integers, floats, strings: never objects
_CHUNK = 1 << 20
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
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(model, AugmentingPipeline):
        steps = [step for _, step in model.steps]
        if len(steps) == 3 and (isinstance(steps[0], AugmentTexts) or steps[0] in (
                None, "passthrough")) and isinstance(steps[1], TfidfVectorizer):
            return model, steps[2]
        raise ModelFileError("save accepts a text pipeline of three steps: AugmentTexts (or "
                             "'passthrough'), a TfidfVectorizer and a fitwell estimator, as "
                             "fitwell.text.text_pipeline builds it")
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


def _store_text_preprocessing(pipeline, estimator, header, arrays):
    """Put a text pipeline's vectorizer and augmentation into the header and arrays."""
    augment, vectorizer = pipeline.steps[0][1], pipeline.steps[1][1]
    width = len(vectorizer.vocabulary_)
    if width != estimator.n_features_in_:
        raise ModelFileError(f"save: the vectorizer gives {width} features, the network takes "
                             f"{estimator.n_features_in_}")
    spec, plain = text_store.to_plain(vectorizer)
    spec["augment"] = _json_value(augment.get_params()) if isinstance(augment, AugmentTexts) \
        else None
    header["text"] = spec
    arrays.update({f"text/{name}": value for name, value in plain.items()})


def _restore_text_pipeline(path, header, arrays, estimator, n_features):
    """The text pipeline stored by :func:`_store_text_preprocessing` around ``estimator``
    (its arrays are taken out of ``arrays``)."""
    spec = header["text"]
    plain = {name[len("text/"):]: arrays.pop(name) for name in list(arrays)
             if name.startswith("text/")}
    vectorizer = text_store.from_plain(spec, plain)
    if len(vectorizer.vocabulary_) != n_features:
        raise ModelFileError(f"{path!r}: the stored vectorizer gives "
                             f"{len(vectorizer.vocabulary_)} features, the network takes "
                             f"{n_features}")
    augment = spec.get("augment")
    if augment is not None:
        if not isinstance(augment, dict) or set(augment) != set(AugmentTexts().get_params()):
            raise ModelFileError(f"{path!r}: the stored text augmentation is corrupt")
        augment = AugmentTexts(**augment).fit([])
    return AugmentingPipeline([("augment", augment or "passthrough"), ("tfidf", vectorizer),
                               ("model", estimator)])


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
    :class:`~fitwell.FitwellRegressor` — alone, after a fitted ``StandardScaler`` or
    :class:`~fitwell.tabular.TablePreprocessor` in a ``Pipeline``, or at the end of a
    fitted :func:`fitwell.text.text_pipeline` — to ``path`` (a ``.npz`` file).

    Nothing is pickled. Callbacks steer training only and are left out; a
    ``RandomState`` is stored as ``random_state=None``; any other parameter that is
    not plain data (an augmenter object, say) is refused with a
    :class:`ModelFileError` — give it by name instead. ``metadata`` is a
    JSON-serialisable dict kept in the header (see :func:`read_metadata`).

    The file is written atomically: to a temporary file in the same folder, then
    renamed over ``path``, so a failure at any point leaves an existing file as it was.
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
    if isinstance(scaler, AugmentingPipeline):
        _store_text_preprocessing(scaler, estimator, header, arrays)
    elif isinstance(scaler, TablePreprocessor):
        _store_table_preprocessing(scaler, estimator, header, arrays)
    elif scaler is not None:
        arrays["scaler/mean"] = np.asarray(scaler.mean_, dtype=np.float64)
        arrays["scaler/scale"] = np.asarray(scaler.scale_, dtype=np.float64)
    header["metadata"] = _json_value(metadata or {})
    header["shapes"] = {k: list(v.shape) for k, v in arrays.items()}
    header["digests"] = {k: _digest(v) for k, v in arrays.items()}
    text = json.dumps(header).encode("utf-8")
    arrays["header"] = np.frombuffer(text, dtype=np.uint8)
    arrays[_HEADER_CHECKSUM] = np.frombuffer(hashlib.sha256(text).hexdigest().encode("ascii"),
                                             dtype=np.uint8)
    path = os.fspath(path)
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def _read(path):
    """``(header, arrays)`` of a model file, every check passed: readable archive of
    plain ``.npy`` members within the size limits, a fitwell header of this format
    version whose checksum holds, and stored arrays that match the header's digests
    and shapes."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = _read_members(path, archive)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            NotImplementedError, RuntimeError) as exc:  # corrupt, encrypted or odd members
        raise ModelFileError(f"{path!r} is not a readable fitwell model file (truncated or not an "
                             f".npz archive: {exc})") from exc
    header = _read_header(path, arrays)
    _check_arrays(path, header, arrays)
    return header, arrays


def _read_members(path, archive) -> dict:
    """Every member of the archive as an array, each size checked before it is read."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ModelFileError(f"{path!r} holds {len(members)} members; a model file holds at most "
                             f"{MAX_MEMBERS}")
    arrays, raw, total = {}, [], 0
    for member in members:
        name = member.filename[:-len(".npy")] if member.filename.endswith(".npy") \
            else member.filename
        if name in arrays:
            raise ModelFileError(f"{path!r}: member {name!r} is stored twice")
        with archive.open(member) as stream:
            array = _read_npy(path, name, stream, member.file_size, MAX_TOTAL_BYTES - total)
        if array is None:
            raw.append(name)
            continue
        arrays[name] = array
        total += array.nbytes
    if raw:
        raise ModelFileError(f"{path!r} is not a fitwell model file: members {sorted(raw)} are "
                             "not .npy arrays")
    return arrays


def _read_npy(path, name, stream, stored_size, budget):
    """One ``.npy`` member (``None`` if it is not one), its declared dtype and shape
    checked against the bytes the archive says it holds and against ``budget`` before
    any memory is set aside; the memory then grows only with the data actually read."""
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError:
        return None
    if version not in ((1, 0), (2, 0)):
        raise ModelFileError(f"{path!r}: array {name!r} has .npy format version {version}")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
        else np.lib.format.read_array_header_2_0
    try:
        shape, fortran_order, dtype = read_header(stream)
    except (ValueError, TypeError, SyntaxError) as exc:
        raise ModelFileError(f"{path!r}: array {name!r} has a corrupt .npy header ({exc})") \
            from exc
    if dtype.kind not in _STORED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ModelFileError(f"{path!r}: array {name!r} has dtype {dtype}; a model file stores "
                             "plain numbers and strings only")
    size = math.prod(shape) * dtype.itemsize
    if size > budget or size > MAX_TOTAL_BYTES:
        raise ModelFileError(f"{path!r}: array {name!r} declares shape {shape} of {dtype} "
                             f"({size} bytes), beyond the {MAX_TOTAL_BYTES} bytes a model file "
                             "may hold")
    if stored_size != stream.tell() + size:
        raise ModelFileError(f"{path!r}: array {name!r} declares shape {shape} of {dtype} "
                             f"({size} bytes) but the archive stores "
                             f"{stored_size - stream.tell()} bytes for it")
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(size - len(data), _CHUNK))
        if not chunk:
            break
        data += chunk
    if len(data) != size or stream.read(1):  # reading to the end checks the CRC
        raise ModelFileError(f"{path!r}: array {name!r} is truncated or longer than its shape "
                             f"{shape}")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _read_header(path, arrays) -> dict:
    """The JSON header, checked: a fitwell model of this format version whose header
    checksum holds (it is taken out of ``arrays``, with its checksum)."""
    if "header" not in arrays:
        raise ModelFileError(f"{path!r} is an .npz archive but not a fitwell model (no header)")
    raw = arrays.pop("header")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"{path!r}: the model header is corrupt (a {raw.dtype} array of "
                             f"shape {raw.shape}, not bytes)")
    text = raw.tobytes()
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError, digits
        raise ModelFileError(f"{path!r}: the model header is corrupt ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path!r} is not a fitwell model file")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{path!r} has model format version {version!r}, this fitwell "
                             f"({__version__}) reads version {FORMAT_VERSION} only; re-save the "
                             "model with the fitwell that reads it (version 1 files have no "
                             "header checksum and are not read)")
    checksum = arrays.pop(_HEADER_CHECKSUM, None)
    if checksum is None or checksum.dtype != np.uint8 or \
            checksum.tobytes() != hashlib.sha256(text).hexdigest().encode("ascii"):
        raise ModelFileError(f"{path!r} was modified: its header fails its checksum")
    return header


def _check_arrays(path, header, arrays) -> None:
    """Every stored array against the header: the same names, digests and shapes."""
    digests, shapes = header.get("digests"), header.get("shapes")
    if not isinstance(digests, dict) or not isinstance(shapes, dict):
        raise ModelFileError(f"{path!r}: the model header lists no array digests or shapes")
    if set(digests) != set(arrays) or set(shapes) != set(arrays):
        raise ModelFileError(f"{path!r} was modified: its arrays do not match its header "
                             f"(expected {sorted(digests)}, found {sorted(arrays)})")
    for name, array in arrays.items():
        if shapes[name] != list(array.shape):
            raise ModelFileError(f"{path!r}: array {name!r} has shape {array.shape}, its header "
                                 f"declares {shapes[name]}")
        if _digest(array) != digests[name]:
            raise ModelFileError(f"{path!r} was modified: array {name!r} fails its checksum")


def read_metadata(path) -> dict:
    """The ``metadata`` dict stored by :func:`save` (empty if none)."""
    header, _ = _read(path)
    return header.get("metadata", {})


def load(path):
    """Read a model written by :func:`save`: the fitted estimator, the
    ``Pipeline(StandardScaler or TablePreprocessor, estimator)`` or the text pipeline
    (:class:`~fitwell.text.AugmentingPipeline`) it was saved as.

    Raises
    ------
    ModelFileError
        For any file that is not a whole, unmodified fitwell model file of this format
        version, naming the problem.
    """
    try:
        return _load(path)
    except ModelFileError:
        raise
    except (KeyError, TypeError, IndexError, AttributeError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"{os.fspath(path)!r}: the model header is incomplete or corrupt "
                             f"({type(exc).__name__}: {exc})") from exc


def _check_network_widths(path, estimator, fitted, arrays) -> tuple[int, int]:
    """``(n_features, n_outputs)`` declared by the header, checked — with the hidden
    widths — against :data:`MAX_WIDTH` and against the values the stored network holds,
    before a network of those widths is built."""
    hidden = estimator.hidden_layer_sizes
    hidden = list(hidden) if isinstance(hidden, tuple | list) else [hidden]
    widths = [fitted.get("n_features_in_"), *hidden, fitted.get("n_outputs_")]
    state = [array for name, array in arrays.items() if name.startswith("state/")]
    if len(widths) - 1 > len(state):
        raise ModelFileError(f"{path!r}: the header declares {len(widths) - 1} layers, but the "
                             f"stored network holds only {len(state)} arrays")
    if any(isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= MAX_WIDTH
           for w in widths):
        raise ModelFileError(f"{path!r}: the header declares layer widths {widths}; each must be "
                             f"an integer from 1 to {MAX_WIDTH}")
    stored = sum(array.size for array in state)
    for n_in, n_out in itertools.pairwise(widths):
        if n_in * n_out > stored:
            raise ModelFileError(f"{path!r}: the header declares a {n_in} x {n_out} layer, but "
                                 f"the stored network holds only {stored} values")
    return widths[0], widths[-1]


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
    n_features, n_outputs = _check_network_widths(path, estimator, fitted, arrays)
    if "tabular" in header:
        scaler = _restore_table_preprocessing(path, header, arrays, n_features)
    text = _restore_text_pipeline(path, header, arrays, estimator, n_features) \
        if "text" in header else None
    if isinstance(estimator, FitwellClassifier):
        from sklearn.preprocessing import LabelBinarizer

        classes = arrays.pop("classes")
        if header["classes_dtype"] == "object":
            classes = classes.astype(object)
        binarizer = LabelBinarizer()
        if header["label_type"] == "multilabel-indicator":
            binarizer.fit(np.eye(2, len(classes), dtype=int))  # its width: the classes
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
    if text is not None:
        return text
    if scaler is not None:
        from sklearn.pipeline import make_pipeline

        return make_pipeline(scaler, estimator)
    return estimator
