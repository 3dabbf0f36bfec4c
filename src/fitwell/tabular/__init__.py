"""Tables in: reading CSV/Parquet files and encoding their columns for a network.

:mod:`.read` reads a file into a pandas ``DataFrame`` and separates the target;
:mod:`.columns` decides what each column is (numeric, boolean, categorical) and
converts its cells; :mod:`.preprocess` builds the scikit-learn ``ColumnTransformer``
(:class:`TablePreprocessor`) from a table; :mod:`.store` turns a fitted one into plain
arrays plus JSON and back, for model files.
"""

from .preprocess import TablePreprocessor, tabular_pipeline, tabular_preprocessor
from .read import features_and_target, is_table, read_table

__all__ = ["read_table", "features_and_target", "is_table", "TablePreprocessor",
           "tabular_preprocessor", "tabular_pipeline"]
