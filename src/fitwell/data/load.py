"""Datasets for the command line: bundled scikit-learn sets, tables and ``.npz`` files."""

from __future__ import annotations

import os

import numpy as np
from sklearn import datasets as _sk
from sklearn.utils.multiclass import type_of_target

from ..errors import DataError
from ..tabular import features_and_target, is_table, read_table
from .dataset import Dataset
from .fashion_mnist import FASHION_MNIST_NAMES, is_fashion_mnist_folder, load_fashion_mnist
from .rotten_tomatoes import TEXT_COLUMN, load_rotten_tomatoes

__all__ = ["Dataset", "load_dataset", "infer_task", "text_column_of", "BUNDLED", "TEXT_SETS"]

#: name -> (loader, task, image shape of one row or None)
BUNDLED = {
    "digits": (_sk.load_digits, "classification", (8, 8)),
    "breast_cancer": (_sk.load_breast_cancer, "classification", None),
    "wine": (_sk.load_wine, "classification", None),
    "iris": (_sk.load_iris, "classification", None),
    "diabetes": (_sk.load_diabetes, "regression", None),
}
#: name -> loader of ``(one-column table of texts, labels)``: labelled sentences
TEXT_SETS = {"rotten-tomatoes": load_rotten_tomatoes}


def infer_task(y) -> str:
    """``"regression"`` for a continuous target, else ``"classification"`` (scikit-learn's
    ``type_of_target``)."""
    kind = type_of_target(y)
    return "regression" if kind in ("continuous", "continuous-multioutput") else "classification"


def _check_finite(X, y, name):
    if is_table(X):  # gaps are the preprocessing's business; it refuses infinities
        X = np.zeros((len(X), 0))
    bad_rows = ~np.isfinite(X).all(axis=1)
    if np.issubdtype(np.asarray(y).dtype, np.floating):
        bad_rows |= ~np.isfinite(np.asarray(y, dtype=float).reshape(len(y), -1)).all(axis=1)
    if bad_rows.any():
        rows = np.flatnonzero(bad_rows)[:5].tolist()
        raise DataError(f"{name}: {int(bad_rows.sum())} rows contain NaN or infinite values "
                        f"(first rows: {rows}); remove or impute them first")


def _load_table(path, target):
    table = read_table(path)
    X, y = features_and_target(table, target, os.path.basename(path))
    return X, y, [str(c) for c in X.columns]


def text_column_of(X, text_column, name):
    """The table ``X`` cut to its column ``text_column``, every cell a text; a
    :class:`DataError` naming the fix otherwise (``name`` is the data's name)."""
    if text_column not in X.columns:
        raise DataError(f"{name}: no column {text_column!r} for --text-column; the columns "
                        f"are {[str(c) for c in X.columns]}")
    texts = X[[text_column]]
    empty = texts[text_column].map(lambda v: not isinstance(v, str)).to_numpy()
    if empty.any():
        rows = np.flatnonzero(empty)[:5].tolist()
        raise DataError(f"{name}: {int(empty.sum())} cells of the text column {text_column!r} "
                        f"are empty or not text (first rows: {rows}); fill or drop them")
    return texts


def load_dataset(spec, target=None, task=None, text_column=None) -> Dataset:
    """Load a bundled set by name (scikit-learn's small sets, or ``"fashion-mnist"`` from
    Debian's package or any folder holding its IDX files), a table — ``.csv`` or
    ``.parquet`` (``target`` names the label column), read by
    :func:`fitwell.tabular.read_table` — or an ``.npz`` holding ``X`` and ``y``. With
    ``text_column``, a table's features are that column's texts alone; a text set of
    :data:`TEXT_SETS` is loaded by name.

    Raises
    ------
    DataError
        With a message naming the problem and the fix.
    """
    spec = str(spec)
    image_shape = None
    if spec in TEXT_SETS:
        X, y = TEXT_SETS[spec]()
        return Dataset(X, y, task or "classification", spec, [TEXT_COLUMN], "label",
                       text_column=TEXT_COLUMN)
    if spec in FASHION_MNIST_NAMES or is_fashion_mnist_folder(spec):
        dataset = load_fashion_mnist(None if spec in FASHION_MNIST_NAMES else spec)
        if task not in (None, "classification"):
            raise DataError(f"fashion-mnist is a classification dataset; got task={task!r}, "
                            "drop it or pass task='classification'")
        return dataset
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
                            f"({', '.join([*BUNDLED, FASHION_MNIST_NAMES[0], *TEXT_SETS])})")
        name = os.path.basename(spec)
        if spec.endswith((".csv", ".parquet")):
            X, y, features = _load_table(spec, target)
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
            raise DataError(f"{spec}: unsupported data file; use a .csv or .parquet (with "
                            "--target) or an .npz with X and y")
        task = task or infer_task(y)
    if text_column is not None:
        if not is_table(X):
            raise DataError(f"{name}: --text-column needs a .csv or .parquet table")
        X, features = text_column_of(X, text_column, name), [text_column]
    _check_finite(X, y, name)
    if len(X) < 10:
        raise DataError(f"{name}: {len(X)} rows is too few to split into train, validation and "
                        "test sets; need at least 10")
    return Dataset(X, y, task, name, features, target_name, image_shape,
                   text_column=text_column)
