"""Deployable models: a fitted fitwell model as an ONNX graph.

:func:`to_onnx` turns a fitted :class:`~fitwell.FitwellClassifier` or
:class:`~fitwell.FitwellRegressor` — alone, after a ``StandardScaler``, or after the
table preprocessing of :func:`fitwell.tabular_pipeline` — into an ONNX model built
with the ``onnx`` package's helper API (the optional ``export`` extra);
:func:`onnx_inputs` prepares the inputs that model takes from an array or a table.
:mod:`._builder` collects nodes, :mod:`._network` writes the layers (batch norm
folded into the dense layers), :mod:`._preprocess` the scaler and the table
preprocessing, :mod:`.onnx_model` puts them together.
"""

from .onnx_model import OPSET, onnx_inputs, to_onnx

__all__ = ["to_onnx", "onnx_inputs", "OPSET"]
