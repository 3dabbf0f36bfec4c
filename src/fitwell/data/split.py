"""The classic train / validation / test split, with scaling fitted on the training part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

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
                  scale=True) -> Split:
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
    dataset (pixels already in ``[0, 1]``) is not standardised."""
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
