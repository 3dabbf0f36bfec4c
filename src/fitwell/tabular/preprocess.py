"""The preprocessing of a table as a scikit-learn ``ColumnTransformer``.

Built from the table's columns (:func:`~fitwell.tabular.columns.column_kinds`):

* numeric — median imputation, then standardisation (``scale=True``);
* boolean — 0/1, most-frequent imputation;
* categorical — most-frequent imputation, then one-hot encoding with
  ``handle_unknown="ignore"`` (an unseen category is all zeros);
* missing — one 0/1 indicator column per column that has gaps in the table.

The output columns come in that order; within a branch, in the table's column order.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ..errors import DataError
from .columns import MAX_CATEGORIES, as_booleans, as_numbers, as_text, column_kinds, is_missing
from .read import features_and_target, is_table

__all__ = ["TablePreprocessor", "build_preprocessor", "tabular_preprocessor",
           "tabular_pipeline", "BRANCHES"]

#: the branches of the transformer, in output order
BRANCHES = ("numeric", "boolean", "categorical", "missing")


class TablePreprocessor(ColumnTransformer):
    """The ``ColumnTransformer`` fitwell builds for a table (same parameters).

    It differs only in what it accepts at ``transform``: a ``DataFrame`` holding the
    columns it was fitted on (others are ignored); anything else is a
    :class:`~fitwell.errors.DataError` naming the missing columns.
    """

    def transform(self, X, **params):
        if not is_table(X):
            raise DataError(f"the model expects a table (pandas DataFrame) with the columns "
                            f"{list(self.feature_names_in_)}, got {type(X).__name__}")
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise DataError(f"the table lacks the columns {missing} that the model was trained "
                            "on; add them (cells may be empty)")
        return super().transform(X, **params)


def _function(func):
    return FunctionTransformer(func, feature_names_out="one-to-one")


def build_preprocessor(kinds, scale=True) -> TablePreprocessor:
    """An unfitted :class:`TablePreprocessor` for columns sorted by kind
    (see :func:`~fitwell.tabular.columns.column_kinds`)."""
    numeric = [_function(as_numbers), SimpleImputer(strategy="median")]
    if scale:
        numeric.append(StandardScaler())
    branches = {
        "numeric": make_pipeline(*numeric),
        "boolean": make_pipeline(_function(as_booleans), SimpleImputer(strategy="most_frequent")),
        "categorical": make_pipeline(
            _function(as_text), SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        "missing": _function(is_missing),
    }
    return TablePreprocessor([(name, branches[name], list(kinds[name])) for name in BRANCHES
                              if kinds[name]], remainder="drop", sparse_threshold=0.0)


def tabular_preprocessor(X, scale=True, max_categories=MAX_CATEGORIES) -> TablePreprocessor:
    """The unfitted preprocessing for the feature columns of the table ``X``.

    Parameters
    ----------
    X : pandas.DataFrame
        The feature columns (the kinds and the gaps are read from it).
    scale : bool, default=True
        Standardise the numeric columns.
    max_categories : int, default=50
        Text columns with more distinct values are refused.
    """
    if not is_table(X):
        raise DataError(f"tabular_preprocessor expects a pandas DataFrame, got "
                        f"{type(X).__name__}")
    return build_preprocessor(column_kinds(X, max_categories), scale=scale)


def tabular_pipeline(table, estimator, *, target=None, scale=True,
                     max_categories=MAX_CATEGORIES) -> Pipeline:
    """``Pipeline([("preprocess", TablePreprocessor), ("model", estimator)])`` for a table.

    Parameters
    ----------
    table : pandas.DataFrame
        The training table; the column ``target`` (when given) is not a feature.
    estimator : FitwellClassifier or FitwellRegressor
        The network that follows the preprocessing (unfitted).
    target : str, optional
        The column to predict, left out of the features.

    Examples
    --------
    >>> table = fitwell.read_table("penguins.csv")
    >>> X, y = fitwell.features_and_target(table, "species")
    >>> model = fitwell.tabular_pipeline(X, FitwellClassifier(random_state=0)).fit(X, y)
    >>> model.predict(new_table)  # a raw table: same columns, any extra ignored
    """
    features = features_and_target(table, target)[0] if target is not None else table
    return Pipeline([("preprocess", tabular_preprocessor(features, scale, max_categories)),
                     ("model", estimator)])
