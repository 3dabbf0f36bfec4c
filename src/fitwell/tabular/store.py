"""A fitted :class:`~fitwell.tabular.TablePreprocessor` as plain arrays plus JSON, and back.

What is stored: the feature columns in order, each column's kind, whether numeric
columns are standardised, and the fitted statistics — medians, means, scales and
variances of the numeric columns, the fill values of the boolean and categorical
columns and every categorical column's categories (text arrays). No pickle: the
transformer is rebuilt from its kinds (:func:`~.preprocess.build_preprocessor`), fitted
on a stand-in table holding exactly the stored categories, and then given the stored
statistics through scikit-learn's public fitted attributes.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelFileError
from .preprocess import BRANCHES, TablePreprocessor, build_preprocessor

__all__ = ["to_plain", "from_plain", "SPEC_VERSION"]

SPEC_VERSION = 1


def _steps(preprocessor):
    return {name: transformer for name, transformer, _ in preprocessor.transformers_
            if name in BRANCHES}


def _columns(preprocessor, kind):
    return [columns for name, _, columns in preprocessor.transformers if name == kind] or [[]]


def to_plain(preprocessor: TablePreprocessor) -> tuple[dict, dict]:
    """``(spec, arrays)`` of a fitted preprocessor: JSON-ready and ``numpy`` arrays."""
    steps = _steps(preprocessor)
    kinds = {kind: list(_columns(preprocessor, kind)[0]) for kind in BRANCHES}
    numeric = steps.get("numeric")
    scale = numeric is None or "standardscaler" in numeric.named_steps
    spec = {"version": SPEC_VERSION, "columns": [str(c) for c in preprocessor.feature_names_in_],
            "kinds": kinds, "scale": bool(scale)}
    arrays = {}
    if numeric is not None:
        arrays["numeric/median"] = numeric.named_steps["simpleimputer"].statistics_.astype(float)
        if scale:
            scaler = numeric.named_steps["standardscaler"]
            arrays["numeric/mean"] = scaler.mean_.astype(np.float64)
            arrays["numeric/scale"] = scaler.scale_.astype(np.float64)
            arrays["numeric/var"] = scaler.var_.astype(np.float64)
    if "boolean" in steps:
        arrays["boolean/fill"] = steps["boolean"].named_steps["simpleimputer"].statistics_ \
            .astype(np.float64)
    if "categorical" in steps:
        pipe = steps["categorical"]
        arrays["categorical/fill"] = pipe.named_steps["simpleimputer"].statistics_.astype(str)
        for index, categories in enumerate(pipe.named_steps["onehotencoder"].categories_):
            arrays[f"categories/{index}"] = np.asarray(categories).astype(str)
    return spec, arrays


def _check(condition, message):
    if not condition:
        raise ModelFileError(f"the stored table preprocessing is corrupt: {message}")


def _check_spec(spec, arrays):
    _check(isinstance(spec, dict) and spec.get("version") == SPEC_VERSION,
           f"unknown version {spec.get('version') if isinstance(spec, dict) else spec!r}")
    columns, kinds = spec.get("columns"), spec.get("kinds")
    _check(isinstance(columns, list) and all(isinstance(c, str) for c in columns)
           and len(set(columns)) == len(columns), "columns must be distinct names")
    _check(isinstance(kinds, dict) and set(kinds) == set(BRANCHES)
           and all(isinstance(v, list) and set(v) <= set(columns) for v in kinds.values()),
           "every kind must list some of the columns")
    featured = kinds["numeric"] + kinds["boolean"] + kinds["categorical"]
    _check(sorted(featured) == sorted(columns), "each column must have exactly one kind")
    expected = {}
    if kinds["numeric"]:
        expected["numeric/median"] = len(kinds["numeric"])
        if spec.get("scale"):
            for name in ("mean", "scale", "var"):
                expected[f"numeric/{name}"] = len(kinds["numeric"])
    if kinds["boolean"]:
        expected["boolean/fill"] = len(kinds["boolean"])
    if kinds["categorical"]:
        expected["categorical/fill"] = len(kinds["categorical"])
    for key, length in expected.items():
        _check(key in arrays and arrays[key].shape == (length,),
               f"{key!r} must hold {length} values")
    for index in range(len(kinds["categorical"])):
        key = f"categories/{index}"
        _check(key in arrays and arrays[key].ndim == 1 and arrays[key].size >= 1
               and arrays[key].dtype.kind == "U", f"{key!r} must be a list of text categories")
        _check(str(arrays["categorical/fill"][index]) in set(arrays[key].tolist()),
               f"the fill value of {kinds['categorical'][index]!r} is not among its categories")
    known = set(expected) | {f"categories/{i}" for i in range(len(kinds["categorical"]))}
    _check(set(arrays) == known, f"unexpected arrays {sorted(set(arrays) - known)}")


def _stand_in(spec, arrays):
    """A table holding every stored category of each categorical column."""
    import pandas as pd

    kinds = spec["kinds"]
    categories = [arrays[f"categories/{i}"].tolist() for i in range(len(kinds["categorical"]))]
    rows = max([2, *map(len, categories)])
    table = {}
    for name in spec["columns"]:
        if name in kinds["categorical"]:
            values = categories[kinds["categorical"].index(name)]
            table[name] = [values[i % len(values)] for i in range(rows)]
        elif name in kinds["boolean"]:
            table[name] = [bool(i % 2) for i in range(rows)]
        else:
            table[name] = [float(i % 2) for i in range(rows)]
    return pd.DataFrame(table, columns=spec["columns"])


def from_plain(spec, arrays) -> TablePreprocessor:
    """The fitted preprocessor that :func:`to_plain` described.

    Raises
    ------
    ModelFileError
        When the description is incomplete or inconsistent.
    """
    _check_spec(spec, arrays)
    kinds = spec["kinds"]
    preprocessor = build_preprocessor(kinds, scale=bool(spec["scale"]))
    preprocessor.fit(_stand_in(spec, arrays))
    steps = _steps(preprocessor)
    if kinds["numeric"]:
        numeric = steps["numeric"].named_steps
        numeric["simpleimputer"].statistics_ = arrays["numeric/median"].astype(np.float64)
        if spec["scale"]:
            scaler = numeric["standardscaler"]
            scaler.mean_ = arrays["numeric/mean"].astype(np.float64)
            scaler.scale_ = arrays["numeric/scale"].astype(np.float64)
            scaler.var_ = arrays["numeric/var"].astype(np.float64)
    if kinds["boolean"]:
        steps["boolean"].named_steps["simpleimputer"].statistics_ = \
            arrays["boolean/fill"].astype(np.float64)
    if kinds["categorical"]:
        pipe = steps["categorical"].named_steps
        pipe["simpleimputer"].statistics_ = arrays["categorical/fill"].astype(object)
        stored = [arrays[f"categories/{i}"].tolist() for i in range(len(kinds["categorical"]))]
        rebuilt = [list(c) for c in pipe["onehotencoder"].categories_]
        _check(rebuilt == stored, "categories must be sorted and distinct")
    return preprocessor
