"""Reading a table (CSV, or Parquet when ``pyarrow`` is installed) with pandas, and
splitting off its target column.

pandas rather than polars: scikit-learn's ``ColumnTransformer`` selects columns of a
pandas ``DataFrame`` by name natively, pandas is already what ``fitwell.experiments``
hands back, and its CSV reader infers types, reads ``NA``/empty cells as missing,
handles quoted fields and decodes any encoding Python knows.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import DataError

__all__ = ["read_table", "features_and_target", "is_table", "TABLE_SUFFIXES"]

#: the file name endings read as tables
TABLE_SUFFIXES = (".csv", ".parquet")


def is_table(X) -> bool:
    """Whether ``X`` is a pandas ``DataFrame`` (without importing pandas)."""
    return type(X).__name__ == "DataFrame" and hasattr(X, "columns")


def read_table(path, encoding="utf-8"):
    """Read a ``.csv`` or ``.parquet`` file into a pandas ``DataFrame``.

    CSV cells that are empty or ``NA`` (and pandas' other missing markers) become
    missing values; numbers, booleans (``True``/``False``) and text are inferred per
    column; quoted fields may hold commas and line breaks.

    Raises
    ------
    DataError
        When the file cannot be read, is not text in ``encoding``, has no header or
        no rows, or is Parquet without ``pyarrow`` installed.
    """
    import pandas as pd

    path = os.fspath(path)
    name = os.path.basename(path)
    try:
        if path.endswith(".parquet"):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise DataError(f"{name}: reading Parquet needs pyarrow (pip install pyarrow); "
                                "or save the table as CSV") from None
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, encoding=encoding, skipinitialspace=True)
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: not a {encoding} text file ({exc}); give the file's "
                        "encoding") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: the file is empty; a table needs a header row and at least "
                        "one data row") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{name}: not a well-formed CSV table ({_first_line(exc)})") from None
    except OSError as exc:  # a missing file, a folder, no permission: the user's path
        raise DataError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    table.columns = [str(c).strip() for c in table.columns]
    if len(table) == 0:
        raise DataError(f"{name}: a table needs a header row and at least one data row")
    if all(_is_number(c) for c in table.columns):
        raise DataError(f"{name}: the first line looks like data, not a header; a table "
                        "needs a header row naming the columns")
    duplicated = sorted({c for c in table.columns if list(table.columns).count(c) > 1})
    if duplicated:
        raise DataError(f"{name}: column names must be unique; rename the repeated columns "
                        f"{duplicated}")
    return table


def _first_line(exc) -> str:
    return str(exc).strip().splitlines()[0]


def _is_number(text) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def features_and_target(table, target, name="table"):
    """``(X, y)``: the feature columns as a ``DataFrame`` and the target as an array.

    A numeric target whose values are integers, with at most 20 distinct values, is
    read as class labels (``int64``).

    Raises
    ------
    DataError
        When ``target`` is not given or not a column, a cell of the target is
        missing, or no feature column is left.
    """
    if target is None:
        raise DataError(f"{name}: a table needs --target COLUMN (target=...) naming the column "
                        "to predict")
    if target not in table.columns:
        raise DataError(f"{name}: no column named {target!r}; columns are: "
                        f"{', '.join(map(str, table.columns))}")
    column = table[target]
    missing = column.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)[:5].tolist()
        raise DataError(f"{name}: the target column {target!r} has {int(missing.sum())} empty "
                        f"cells (first rows: {rows}); drop those rows or fill them in")
    X = table.drop(columns=[target])
    if X.shape[1] == 0:
        raise DataError(f"{name}: the only column is the target {target!r}; a table needs "
                        "feature columns too")
    y = column.to_numpy()
    if y.dtype.kind == "O" and not any(isinstance(v, bool | np.bool_) for v in y):
        import pandas as pd

        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.notna().all():  # numbers held as Python objects
            y = numbers.to_numpy(np.float64)
    if y.dtype.kind == "f" and np.all(y == np.round(y)) and len(np.unique(y)) <= 20:
        y = y.astype(np.int64)
    elif y.dtype.kind not in "biuf":
        y = np.asarray([str(v) for v in y])
    return X, y
