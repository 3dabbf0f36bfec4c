"""Targets as the network sees them: class labels encoded, regression targets as a
matrix, sample and class weights combined, and the early-stopping validation split."""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from .._validation import is_number
from ..errors import DataError, ParameterError

__all__ = ["is_classifier_target", "ravel_column", "fit_label_encoder", "encode_labels",
           "check_known_classes", "check_same_classes", "regression_targets", "class_sample_weight",
           "drop_zero_weights", "validation_split"]


def is_classifier_target(estimator) -> bool:
    """True for an estimator whose targets are class labels."""
    return isinstance(estimator, ClassifierMixin)


def ravel_column(y):
    """A column-vector ``y`` as 1-D, with scikit-learn's DataConversionWarning."""
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


def _check_label_type(y) -> str:
    values = np.asarray(y)
    if values.dtype == object:
        kinds = sorted({type(value).__name__ for value in values.ravel()})
        if len(kinds) > 1:
            raise DataError(f"y mixes label types ({', '.join(kinds)}); give every label one "
                            "type, e.g. all strings (y.astype(str)) or all integers")
    target_type = type_of_target(y, input_name="y")
    if target_type not in ("binary", "multiclass", "multilabel-indicator"):
        raise DataError(f"Unknown label type: {target_type!r}. FitwellClassifier needs "
                        "class labels (binary, multiclass or a multilabel indicator matrix); "
                        "for continuous targets use FitwellRegressor")
    return target_type


def fit_label_encoder(y, classes=None) -> LabelBinarizer:
    """The fitted ``LabelBinarizer`` of the labels ``y`` (or of ``classes`` if given).

    Its ``classes_`` are the estimator's; its ``y_type_`` is ``"multiclass"`` for
    one label per sample among more than two (then targets are class indices) and
    ``"binary"`` / ``"multilabel-indicator"`` otherwise (then 0/1 columns).
    """
    _check_label_type(y)
    # A single class is fitted as scikit-learn fits it: one output, always that class.
    return LabelBinarizer().fit(y if classes is None else classes)


def check_known_classes(y, classes) -> None:
    """Refuse labels of ``y`` that are not in ``classes`` (a later ``partial_fit``)."""
    _check_label_type(y)
    present = unique_labels(y)
    unseen = np.setdiff1d(present, classes)
    if len(unseen):
        raise DataError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                        f"{classes}. 'y' has {present}.")


def check_same_classes(y, classes) -> None:
    """A warm-started ``fit`` needs the labels of the previous fit (scikit-learn's rule)."""
    present = unique_labels(y)
    if set(present) != set(classes):
        raise DataError(f"warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {classes}, `y` has "
                        f"{present}. Set warm_start=False to train on other classes")


def encode_labels(encoder, y, dtype):
    """Class indices (``intp``) for multiclass targets, else 0/1 columns in ``dtype``."""
    if encoder.y_type_ == "multiclass":
        return np.searchsorted(encoder.classes_, y).astype(np.intp)
    return encoder.transform(y).astype(dtype)


def regression_targets(y, dtype):
    """``y`` in ``dtype`` as a matrix of shape (n_samples, n_outputs); finite only."""
    y = np.asarray(y, dtype=dtype)
    if not np.all(np.isfinite(y)):
        raise DataError("Input y contains NaN or infinity; remove or impute those targets")
    return y.reshape(-1, 1) if y.ndim == 1 else y


def class_sample_weight(class_weight, classes, y_raw, sample_weight):
    """``sample_weight`` multiplied by the weight of each sample's class."""
    if class_weight is None:
        return sample_weight
    if isinstance(class_weight, dict):
        unknown = [label for label in class_weight if label not in set(classes)]
        if unknown:
            raise ParameterError(f"class_weight names classes {unknown} that are not "
                                 f"in the data; classes are {np.asarray(classes).tolist()}")
        bad = {label: weight for label, weight in class_weight.items()
               if not is_number(weight) or not math.isfinite(weight) or weight < 0}
        if bad:
            raise ParameterError(f"class_weight must map classes to finite non-negative "
                                 f"numbers (a weight of 0 leaves a class out), got {bad}")
    weights = compute_sample_weight(class_weight, y_raw)
    return weights if sample_weight is None else weights * sample_weight


def drop_zero_weights(X, y, y_raw, sample_weight):
    """Leave out the samples of weight zero, so that each counts exactly as absent and
    a mini-batch can never have weights summing to zero."""
    if sample_weight is None or np.all(sample_weight > 0):
        return X, y, y_raw, sample_weight
    keep = sample_weight > 0
    if not keep.any():
        raise DataError("sample_weight is zero for every sample; at least one sample "
                        "needs a positive weight")
    return X[keep], y[keep], y_raw[keep], sample_weight[keep]


def validation_split(X, y, y_raw, sample_weight, *, fraction, seed, stratify):
    """``early_stopping``'s split: ``(X_train, y_train, w_train, validation)``.

    With ``stratify`` (class labels, one per sample) every class must be able to
    appear on both sides. ``validation`` is ``(X_val, y_val)`` or, with sample
    weights, ``(X_val, y_val, w_val)``.
    """
    n_val = math.ceil(fraction * len(y_raw))
    if n_val < 2:
        raise DataError(f"The validation set is too small. Increase 'validation_fraction' or "
                        f"the size of your dataset: early_stopping would hold out {n_val} of "
                        f"{len(y_raw)} samples, and a validation score needs at least 2")
    if stratify:
        _, counts = np.unique(y_raw, return_counts=True)
        if counts.min() < 2 or n_val < len(counts):
            raise DataError(
                f"early_stopping with validation_fraction={fraction} cannot hold out every "
                f"class: the smallest class has {counts.min()} samples and the validation set "
                f"would have {n_val} rows for {len(counts)} classes. Use more data, a larger "
                "validation_fraction, or early_stopping=False")
    arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
    parts = train_test_split(*arrays, random_state=seed, test_size=fraction,
                             stratify=y_raw if stratify else None)
    if sample_weight is None:
        X_tr, X_val, y_tr, y_val = parts
        return X_tr, y_tr, None, (X_val, y_val)
    X_tr, X_val, y_tr, y_val, w_tr, w_val = parts
    return X_tr, y_tr, w_tr, (X_val, y_val, w_val)
