"""The classic train / validation / test split, with scaling fitted on the training part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from ..errors import DataError
from ..tabular import is_table, tabular_preprocessor
from .dataset import Dataset

__all__ = ["Split", "classic_split"]


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
    texts: bool = False


def classic_split(dataset: Dataset, test_size=0.2, validation_fraction=0.2, random_state=42,
                  scale=True, train_rows=None) -> Split:
    """The classic walkthrough's split: ``test_size`` of the rows for testing, then
    ``validation_fraction`` of the rest for validation, both with ``random_state``;
    a ``StandardScaler`` fitted on the training part only when ``scale``. A table
    (``DataFrame``) is always encoded, by a :class:`~fitwell.tabular.TablePreprocessor`
    fitted on the training part (standardising its numeric columns when ``scale``),
    which ``Split.scaler`` then holds. Texts (a dataset with a ``text_column``) are split
    as lists of ``str``, untouched: their vectorizer is fitted with the model.

    A dataset with an official test set (``dataset.test_start``, e.g. Fashion-MNIST)
    keeps it, whatever ``test_size``: the validation rows are then carved from its
    training rows only, stratified by class, with ``random_state``. A ``prescaled``
    dataset (pixels already in ``[0, 1]``) is not standardised.

    ``train_rows`` keeps only that many of the training rows, drawn with ``random_state``
    (stratified by class for classification) after the validation and test rows are set
    aside, which stay whole: a shorter experiment on a large set (an ablation of
    Fashion-MNIST on 10,000 of its 54,000 training images) is then judged on the same
    validation and test rows as the full one."""
    if dataset.test_start is not None:
        start = dataset.test_start
        X_rest, X_test = dataset.X[:start], dataset.X[start:]
        y_rest, y_test = dataset.y[:start], dataset.y[start:]
        X_train, X_val, y_train, y_val = train_test_split(
            X_rest, y_rest, test_size=validation_fraction, random_state=random_state,
            stratify=y_rest)
    else:
        X_rest, X_test, y_rest, y_test = train_test_split(
            dataset.X, dataset.y, test_size=test_size, random_state=random_state)
        X_train, X_val, y_train, y_val = train_test_split(
            X_rest, y_rest, test_size=validation_fraction, random_state=random_state)
    if train_rows is not None:
        X_train, y_train = _keep_rows(X_train, y_train, train_rows, dataset.task, random_state)
    scaler = None
    if dataset.text_column is not None:
        X_train, X_val, X_test = ([str(t) for t in part[dataset.text_column]]
                                  for part in (X_train, X_val, X_test))
        return Split(X_train, y_train, X_val, y_val, X_test, y_test, None, texts=True)
    if is_table(dataset.X):
        scaler = tabular_preprocessor(dataset.X, scale=scale).fit(X_train)
        X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    elif scale and not dataset.prescaled:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X_train)
        X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    return Split(X_train, y_train, X_val, y_val, X_test, y_test, scaler)


def _keep_rows(X, y, n_rows, task, random_state):
    """``n_rows`` of ``(X, y)``, stratified by class for classification."""
    if isinstance(n_rows, bool) or not isinstance(n_rows, int | np.integer) or n_rows < 1:
        raise DataError(f"train_rows must be a positive whole number of rows, got {n_rows!r}; "
                        "give e.g. train_rows=10000, or leave it out to train on every row")
    if n_rows > len(y):
        raise DataError(f"train_rows={n_rows} but the training part has only {len(y)} rows; "
                        f"give at most {len(y)}, or leave it out to train on every row")
    if n_rows == len(y):
        return X, y
    stratify = y if task == "classification" else None
    n_classes = len(np.unique(y)) if stratify is not None else 0
    if stratify is not None and n_rows < n_classes:
        raise DataError(f"train_rows={n_rows} is fewer than the {n_classes} classes, so not "
                        f"every class could be kept; give at least {n_classes}")
    if len(y) - n_rows < n_classes:
        stratify = None  # fewer rows left out than classes: no class can lose its share
    X_kept, _, y_kept, _ = train_test_split(X, y, train_size=int(n_rows),
                                            random_state=random_state, stratify=stratify)
    return X_kept, y_kept
