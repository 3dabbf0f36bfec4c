"""What each column of a table is, and its cells converted for the encoders.

Kinds: *numeric* (numbers, also in a column of Python objects), *boolean*
(``True``/``False``, any case), *categorical* (text with at most ``max_categories``
distinct values). A missing cell is ``NaN``,
``None``, ``pd.NA`` or a blank string. The converters are the first step of each
branch of the :class:`~fitwell.tabular.TablePreprocessor`, so a table read at
prediction time gets the same clear errors as the training table.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["column_kinds", "as_numbers", "as_booleans", "as_text", "is_missing",
           "MAX_CATEGORIES"]

#: text columns with more distinct values than this are refused (free text or identifiers)
MAX_CATEGORIES = 50

_TRUE, _FALSE = {"true"}, {"false"}


def _missing_mask(column):
    mask = np.array(column.isna(), dtype=bool)
    if column.dtype.kind not in "biufc":  # text: a blank cell is missing too
        mask |= np.array([isinstance(v, str) and not v.strip() for v in column], dtype=bool)
    return mask


def _is_boolean(values) -> bool:
    return len(values) > 0 and all(
        isinstance(v, bool | np.bool_) or (isinstance(v, str) and v.strip().lower()
                                           in _TRUE | _FALSE) for v in values)


def _is_numeric(values) -> bool:
    """Whether every value of an object column is a number (or text of one)."""
    import pandas as pd

    return pd.to_numeric(values, errors="coerce").notna().all()


def column_kinds(X, max_categories=MAX_CATEGORIES) -> dict:
    """``{"numeric": [...], "boolean": [...], "categorical": [...], "missing": [...]}``:
    the feature columns of ``X`` by kind, in table order, and those with gaps.

    Raises
    ------
    DataError
        For column names that are not text, empty columns, and text columns with more
        than ``max_categories`` distinct values (named, with the fix).
    """
    names = list(X.columns)
    if not all(isinstance(c, str) for c in names):
        raise DataError(f"table column names must be text, got {names[:5]}; give the "
                        "DataFrame named columns (df.columns = [...])")
    kinds = {"numeric": [], "boolean": [], "categorical": [], "missing": []}
    empty, wide = [], []
    for name in names:
        column = X[name]
        missing = _missing_mask(column)
        present = column[~missing]
        if len(present) == 0:
            empty.append(name)
            continue
        if missing.any():
            kinds["missing"].append(name)
        if column.dtype.kind == "b" or (column.dtype.kind == "O" and _is_boolean(present)):
            kinds["boolean"].append(name)
        elif column.dtype.kind in "iuf" or _is_numeric(present):
            kinds["numeric"].append(name)
        elif present.map(str).nunique() > max_categories:
            wide.append(f"{name} ({present.map(str).nunique()} values)")
        else:
            kinds["categorical"].append(name)
    if empty:
        raise DataError(f"columns {empty} have no values at all; drop them")
    if wide:
        raise DataError(f"text columns {wide} have more than {max_categories} distinct values: "
                        "free text or identifiers, which one-hot encoding cannot use; drop "
                        "them (or raise max_categories)")
    return kinds


def _label(index):
    """A row's index label as the user wrote it (``3``, not ``np.int64(3)``)."""
    return repr(index.item() if isinstance(index, np.generic) else index)


def _frame(X):
    import pandas as pd

    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)


def as_numbers(X):
    """The columns as ``float64`` (missing → NaN); text or infinity is a clear error naming
    the column and the row (the table's index: the data row of a file, from 0)."""
    import pandas as pd

    X = _frame(X)
    out = np.empty(X.shape, dtype=np.float64)
    for j, (name, column) in enumerate(X.items()):
        missing = _missing_mask(column)
        values = pd.to_numeric(column.where(~missing), errors="coerce").to_numpy(np.float64)
        bad = np.isnan(values) & ~missing
        if bad.any():
            at = int(np.argmax(bad))
            raise DataError(f"column {name!r} holds numbers, but row {_label(column.index[at])} "
                            f"has {column.iloc[at]!r}; fix or empty that cell")
        if np.isinf(values).any():
            at = int(np.argmax(np.isinf(values)))
            raise DataError(f"column {name!r} has an infinite value in row "
                            f"{_label(column.index[at])}; give finite numbers")
        out[:, j] = values
    return out


def as_booleans(X):
    """The columns as 1.0 / 0.0 (missing → NaN)."""
    X = _frame(X)
    out = np.full(X.shape, np.nan)
    for j, (name, column) in enumerate(X.items()):
        missing = _missing_mask(column)
        for i, value in enumerate(column.to_numpy(object)):
            if missing[i]:
                continue
            text = str(value).strip().lower()
            if text not in _TRUE | _FALSE | {"1", "0", "1.0", "0.0"}:
                raise DataError(f"column {name!r} holds True/False, but row "
                                f"{_label(column.index[i])} has {value!r}; fix or empty that "
                                "cell")
            out[i, j] = 1.0 if text in _TRUE | {"1", "1.0"} else 0.0
    return out


def as_text(X):
    """The columns as an object array of strings (missing → NaN)."""
    X = _frame(X)
    out = np.empty(X.shape, dtype=object)
    for j, (_, column) in enumerate(X.items()):
        missing = _missing_mask(column)
        values = column.to_numpy(object)
        out[:, j] = [np.nan if gap else str(v).strip() for v, gap in zip(values, missing,
                                                                          strict=True)]
    return out


def is_missing(X):
    """1.0 where a cell is missing, else 0.0."""
    X = _frame(X)
    return np.column_stack([_missing_mask(column) for _, column in X.items()]).astype(
        np.float64) if X.shape[1] else np.empty((len(X), 0))
