"""Datasets for the command line: bundled scikit-learn sets, CSV files and ``.npz`` files,
and the classic train / validation / test split."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets as _sk
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target

from .errors import DataError

__all__ = ["Dataset", "Split", "DataError", "load_dataset", "classic_split", "infer_task",
           "BUNDLED"]

#: name -> (loader, task, image shape of one row or None)
BUNDLED = {
    "digits": (_sk.load_digits, "classification", (8, 8)),
    "breast_cancer": (_sk.load_breast_cancer, "classification", None),
    "wine": (_sk.load_wine, "classification", None),
    "iris": (_sk.load_iris, "classification", None),
    "diabetes": (_sk.load_diabetes, "regression", None),
}


@dataclass
class Dataset:
    """Features, targets and what is known about them."""

    X: np.ndarray
    y: np.ndarray
    task: str
    name: str
    feature_names: list[str] = field(default_factory=list)
    target_name: str | None = None
    image_shape: tuple | None = None


@dataclass
class Split:
    """Train / validation / test parts of a dataset, features already scaled if asked."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    scaler: object = None


def infer_task(y) -> str:
    """``"regression"`` for a continuous target, else ``"classification"`` (scikit-learn's
    ``type_of_target``)."""
    kind = type_of_target(y)
    return "regression" if kind in ("continuous", "continuous-multioutput") else "classification"


def _check_finite(X, y, name):
    bad_rows = ~np.isfinite(X).all(axis=1)
    if np.issubdtype(np.asarray(y).dtype, np.floating):
        bad_rows |= ~np.isfinite(np.asarray(y, dtype=float).reshape(len(y), -1)).all(axis=1)
    if bad_rows.any():
        rows = np.flatnonzero(bad_rows)[:5].tolist()
        raise DataError(f"{name}: {int(bad_rows.sum())} rows contain NaN or infinite values "
                        f"(first rows: {rows}); remove or impute them first")


def _load_csv(path, target):
    if target is None:
        raise DataError(f"{path}: a CSV file needs --target COLUMN naming the column to predict")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a UTF-8 text CSV file ({exc})") from exc
    except OSError as exc:  # a missing file, a folder, no permission: the user's path
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DataError(f"{path}: a CSV needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        bad = next(i for i, r in enumerate(rows) if len(r) != len(header))
        raise DataError(f"{path}: line {bad + 1} has {len(rows[bad])} fields, the header has "
                        f"{len(header)}")
    if all(_is_number(h) for h in header):
        raise DataError(f"{path}: the first line looks like data, not a header; a CSV needs a "
                        "header row naming the columns")
    if target not in header:
        raise DataError(f"{path}: no column named {target!r}; columns are: {', '.join(header)}")
    t = header.index(target)
    body = [[cell.strip() for cell in r] for r in rows[1:]]
    features = [h for i, h in enumerate(header) if i != t]
    columns = [[r[i] for r in body] for i in range(len(header))]
    non_numeric = [header[i] for i in range(len(header))
                   if i != t and not all(_is_number(v) or v == "" for v in columns[i])]
    if non_numeric:
        raise DataError(f"{path}: non-numeric feature columns {non_numeric}; encode them as "
                        "numbers or drop them")
    X = np.array([[_to_float(v) for v in columns[i]] for i in range(len(header)) if i != t],
                 dtype=np.float64).T
    raw_y = columns[t]
    if any(v == "" for v in raw_y):
        raise DataError(f"{path}: the target column {target!r} has empty cells")
    y = np.array([float(v) for v in raw_y]) if all(_is_number(v) for v in raw_y) \
        else np.array(raw_y)
    if y.dtype.kind == "f" and np.all(y == np.round(y)) and len(np.unique(y)) <= 20:
        y = y.astype(np.int64)
    return X, y, features


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _to_float(text):
    return math.nan if text == "" else float(text)


def load_dataset(spec, target=None, task=None) -> Dataset:
    """Load a bundled set by name, a CSV (``target`` names the label column) or an
    ``.npz`` holding ``X`` and ``y``.

    Raises
    ------
    DataError
        With a message naming the problem and the fix.
    """
    spec = str(spec)
    image_shape = None
    if spec in BUNDLED:
        loader, bundled_task, image_shape = BUNDLED[spec]
        bunch = loader()
        X, y = bunch.data.astype(np.float64), bunch.target
        features = [str(f) for f in getattr(bunch, "feature_names", [])] or \
            [f"x{i}" for i in range(X.shape[1])]
        name, target_name = spec, "target"
        task = task or bundled_task
    else:
        if not os.path.exists(spec):
            raise DataError(f"data {spec!r} is neither a file nor a bundled dataset "
                            f"({', '.join(BUNDLED)})")
        name = os.path.basename(spec)
        if spec.endswith(".csv"):
            X, y, features = _load_csv(spec, target)
            target_name = target
        elif spec.endswith(".npz"):
            try:
                with np.load(spec, allow_pickle=False) as archive:
                    if "X" not in archive.files or "y" not in archive.files:
                        raise DataError(f"{spec}: an .npz dataset needs arrays named 'X' and 'y', "
                                        f"found {archive.files}")
                    X, y = archive["X"], archive["y"]
            except (OSError, ValueError) as exc:
                if isinstance(exc, DataError):
                    raise
                raise DataError(f"{spec}: not a readable .npz file ({exc})") from exc
            if X.ndim != 2 or X.dtype.kind not in "fiub":
                raise DataError(f"{spec}: X must be a 2-D numeric array, got shape {X.shape} of "
                                f"dtype {X.dtype}")
            if len(y) != len(X):
                raise DataError(f"{spec}: X has {len(X)} rows but y has {len(y)}")
            X = X.astype(np.float64)
            features = [f"x{i}" for i in range(X.shape[1])]
            target_name = "y"
        else:
            raise DataError(f"{spec}: unsupported data file; use a .csv (with --target) or an "
                            ".npz with X and y")
        task = task or infer_task(y)
    _check_finite(X, y, name)
    if len(X) < 10:
        raise DataError(f"{name}: {len(X)} rows is too few to split into train, validation and "
                        "test sets; need at least 10")
    return Dataset(X, y, task, name, features, target_name, image_shape)


def classic_split(dataset: Dataset, test_size=0.2, validation_fraction=0.2, random_state=42,
                  scale=True) -> Split:
    """The classic walkthrough's split: ``test_size`` of the rows for testing, then
    ``validation_fraction`` of the rest for validation, both with ``random_state``;
    a ``StandardScaler`` fitted on the training part only when ``scale``."""
    X_rest, X_test, y_rest, y_test = train_test_split(
        dataset.X, dataset.y, test_size=test_size, random_state=random_state)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=validation_fraction, random_state=random_state)
    scaler = None
    if scale:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X_train)
        X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    return Split(X_train, y_train, X_val, y_val, X_test, y_test, scaler)
