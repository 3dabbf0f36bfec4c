"""The preprocessing in front of the network as ONNX nodes.

* A ``StandardScaler``: input ``X`` (double, ``[N, F]``), ``(X - mean) / scale``.
* A :class:`~fitwell.tabular.TablePreprocessor`: one input per table column, named as
  the column, of shape ``[N, 1]`` — double for numeric and boolean columns (1.0/0.0,
  NaN when missing), string for categorical ones (``""`` when missing). Numeric:
  NaN → median, then ``(x - mean) / scale``; boolean: NaN → the most frequent value;
  categorical: ``ai.onnx.ml.OneHotEncoder`` over the categories plus ``""`` (an unseen
  category is all zeros), ``""`` then counted as the most frequent category; missing
  indicators: ``IsNaN`` or the ``""`` column. The same columns in the same order as
  scikit-learn's transformer.
"""

from __future__ import annotations

import numpy as np

from ..tabular.store import to_plain

__all__ = ["add_scaler", "add_table"]

DOUBLE = np.float64


def add_scaler(builder, scaler):
    """Input ``X`` and the standardised features (double)."""
    x = builder.input("X", builder.elem_type(DOUBLE), [None, int(scaler.mean_.shape[0])])
    centred = builder.node("Sub", [x, builder.constant(scaler.mean_.astype(DOUBLE))])
    return builder.node("Div", [centred, builder.constant(scaler.scale_.astype(DOUBLE))])


def _filled(builder, columns, fill):
    """``columns`` ([N, k] double) with NaN replaced by ``fill``, and the NaN mask."""
    nan = builder.node("IsNaN", [columns])
    return builder.node("Where", [nan, builder.constant(fill.astype(DOUBLE)), columns]), nan


def _numbers(builder, names):
    inputs = [builder.input(name, builder.elem_type(DOUBLE), [None, 1]) for name in names]
    return inputs[0] if len(inputs) == 1 else builder.node("Concat", inputs, axis=1)


def add_table(builder, preprocessor):
    """One input per column; returns the encoded features (double, ``[N, width]``)."""
    spec, arrays = to_plain(preprocessor)
    kinds = spec["kinds"]
    parts, missing = [], {}
    if kinds["numeric"]:
        values, nan = _filled(builder, _numbers(builder, kinds["numeric"]),
                              arrays["numeric/median"])
        if spec["scale"]:
            values = builder.node("Sub", [values, builder.constant(arrays["numeric/mean"])])
            values = builder.node("Div", [values, builder.constant(arrays["numeric/scale"])])
        parts.append(values)
        missing.update(_columns_of(builder, nan, kinds["numeric"]))
    if kinds["boolean"]:
        values, nan = _filled(builder, _numbers(builder, kinds["boolean"]),
                              arrays["boolean/fill"])
        parts.append(values)
        missing.update(_columns_of(builder, nan, kinds["boolean"]))
    for index, name in enumerate(kinds["categorical"]):
        categories = arrays[f"categories/{index}"].tolist()
        text = builder.input(name, builder.onnx.TensorProto.STRING, [None, 1])
        encoded = builder.node("OneHotEncoder", [text], domain="ai.onnx.ml",
                               cats_strings=[*categories, ""], zeros=1)
        flat = builder.cast(builder.node("Reshape", [encoded, builder.constant(
            np.array([-1, len(categories) + 1]))]), DOUBLE)
        known = _slice(builder, flat, 0, len(categories))
        gap = _slice(builder, flat, len(categories), len(categories) + 1)
        fill = (np.asarray(categories) == str(arrays["categorical/fill"][index]))
        parts.append(builder.node("Add", [known, builder.node(
            "Mul", [gap, builder.constant(fill[None, :].astype(DOUBLE))])]))
        missing[name] = gap
    for name in kinds["missing"]:
        parts.append(missing[name] if name in kinds["categorical"]
                     else builder.cast(missing[name], DOUBLE))
    return parts[0] if len(parts) == 1 else builder.node("Concat", parts, axis=1)


def _slice(builder, x, start, end):
    return builder.node("Slice", [x, builder.constant(np.array([start])),
                                  builder.constant(np.array([end])),
                                  builder.constant(np.array([1]))])


def _columns_of(builder, matrix, names):
    """Each column of ``matrix`` ([N, k]) by its name, as ``[N, 1]``."""
    return {name: _slice(builder, matrix, j, j + 1) for j, name in enumerate(names)}
