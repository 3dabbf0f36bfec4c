"""``to_onnx``: a fitted fitwell model as one ONNX graph, and ``onnx_inputs`` to feed it.

The graph (default opset 17, plus ``ai.onnx.ml`` version 3 for one-hot encoding):

* inputs — ``X`` (``[N, n_features]``, the network's dtype) for a bare estimator;
  ``X`` (double) after a ``StandardScaler``; one input per table column after
  :func:`fitwell.tabular_pipeline`'s preprocessing (see :mod:`._preprocess`);
* outputs — a classifier: ``label`` (``[N]``; ``[N, n_labels]`` 0/1 for multilabel)
  and ``probabilities`` (``[N, n_classes]``, as ``predict_proba``); a regressor:
  ``predictions`` (``[N, n_outputs]``).

The layers are written after :func:`~fitwell.nn.fuse_for_inference`: batch norm
folded into the dense layer before it, dropout left out — the network ``predict``
runs. Training-only settings (augmentation, callbacks, the optimiser) are not part of
the graph.
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .._files import write_bytes
from .._version import __version__
from ..errors import DataError, ExportError
from ..estimator import FitwellClassifier, FitwellRegressor
from ..tabular import TablePreprocessor, is_table
from ..tabular.columns import as_booleans, as_numbers, as_text
from ..tabular.store import to_plain
from ._builder import GraphBuilder, require_onnx
from ._network import add_network
from ._preprocess import add_scaler, add_table

__all__ = ["to_onnx", "onnx_inputs", "OPSET", "ML_OPSET"]

#: the default ONNX opset (``ai.onnx``), and the ``ai.onnx.ml`` opset used with it
OPSET = 17
ML_OPSET = 3


def _split(model):
    """``(preprocessing or None, estimator)``, or an ExportError saying what is accepted."""
    accepted = ("to_onnx expects a fitted FitwellClassifier or FitwellRegressor, alone or in a "
                "Pipeline after a StandardScaler or fitwell.tabular_pipeline's preprocessing")
    preprocessing, estimator = None, model
    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        if len(steps) != 2 or not isinstance(steps[0], StandardScaler | TablePreprocessor):
            raise ExportError(f"{accepted}; got a Pipeline of "
                              f"{[type(s).__name__ for s in steps]}")
        preprocessing, estimator = steps
    if not isinstance(estimator, FitwellClassifier | FitwellRegressor):
        raise ExportError(f"{accepted}; got {type(estimator).__name__}")
    if not hasattr(estimator, "model_"):
        raise ExportError(f"the {type(estimator).__name__} is not fitted yet; call fit before "
                          "exporting it")
    if isinstance(preprocessing, StandardScaler) and not (
            preprocessing.with_mean and preprocessing.with_std
            and hasattr(preprocessing, "mean_")):
        raise ExportError("to_onnx exports a fitted StandardScaler with with_mean=True and "
                          "with_std=True")
    if isinstance(preprocessing, TablePreprocessor) and not hasattr(preprocessing,
                                                                    "transformers_"):
        raise ExportError("the table preprocessing is not fitted yet; fit the pipeline first")
    return preprocessing, estimator


def _head(builder, logits, estimator):
    """The outputs: labels and probabilities, or predictions."""
    dtype, TensorProto = estimator.model_.dtype, builder.onnx.TensorProto
    n_outputs = int(estimator.n_outputs_)
    if isinstance(estimator, FitwellRegressor):
        if estimator.out_activation_ == "exp":  # loss="poisson": the outputs are log-means
            logits = builder.node("Exp", [logits])
        builder.output(logits, "predictions", builder.elem_type(dtype), [None, n_outputs])
        return
    classes = np.asarray(estimator.classes_)
    kind = estimator._label_binarizer.y_type_
    if kind == "multiclass":
        probabilities = builder.node("Softmax", [logits], axis=1)
        index = builder.node("ArgMax", [logits], axis=1, keepdims=0)
    else:
        probabilities = builder.node("Sigmoid", [logits])
        positive = builder.cast(builder.node("Greater", [logits, builder.constant(
            np.zeros(1, dtype=dtype))]), np.int64)
        if kind == "multilabel-indicator":
            builder.output(positive, "label", TensorProto.INT64, [None, n_outputs])
            builder.output(probabilities, "probabilities", builder.elem_type(dtype),
                           [None, n_outputs])
            return
        index = builder.node("Reshape", [positive, builder.constant(np.array([-1]))])
        complement = builder.node("Sub", [builder.constant(np.ones(1, dtype=dtype)),
                                          probabilities])
        probabilities = builder.node("Concat", [complement, probabilities], axis=1)
    if classes.dtype.kind in "UO":
        table, label_type = classes.astype(str), TensorProto.STRING
    elif classes.dtype.kind in "biu":
        table, label_type = classes.astype(np.int64), TensorProto.INT64
    else:
        table, label_type = classes.astype(np.float64), TensorProto.DOUBLE
    builder.output(builder.node("Gather", [builder.constant(table), index]), "label",
                   label_type, [None])
    builder.output(probabilities, "probabilities", builder.elem_type(dtype),
                   [None, len(classes)])


def to_onnx(model, path=None, *, opset=OPSET):
    """The ONNX model of a fitted fitwell model (and write it to ``path`` if given).

    Parameters
    ----------
    model : FitwellClassifier, FitwellRegressor or Pipeline
        Fitted; alone, or in a ``Pipeline`` after a ``StandardScaler`` or the
        preprocessing of :func:`fitwell.tabular_pipeline` (which then becomes part
        of the graph).
    path : str or path-like, optional
        Where to write the ``.onnx`` file (replaced atomically).
    opset : int, default=17
        The ``ai.onnx`` opset; 17 or later.

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker``. Its inputs and outputs are described in
        :mod:`fitwell.export.onnx_model`.

    Raises
    ------
    ExportError
        For anything else than the models above, an unfitted model, an opset below 17,
        or when the ``onnx`` package is missing.
    """
    onnx = require_onnx()
    if isinstance(opset, bool) or not isinstance(opset, int | np.integer) or opset < OPSET:
        raise ExportError(f"opset must be an integer of at least {OPSET}, got {opset!r}")
    preprocessing, estimator = _split(model)
    builder = GraphBuilder()
    dtype = estimator.model_.dtype
    if isinstance(preprocessing, TablePreprocessor):
        x = builder.cast(add_table(builder, preprocessing), dtype)
    elif preprocessing is not None:
        x = builder.cast(add_scaler(builder, preprocessing), dtype)
    else:
        x = builder.input("X", builder.elem_type(dtype), [None, int(estimator.n_features_in_)])
    _head(builder, add_network(builder, x, estimator.model_), estimator)
    graph = onnx.helper.make_graph(builder.nodes, f"fitwell_{type(estimator).__name__}",
                                   builder.inputs, builder.outputs, builder.constants)
    proto = onnx.helper.make_model(
        graph, producer_name="fitwell", producer_version=__version__,
        opset_imports=[onnx.helper.make_opsetid("", int(opset)),
                       onnx.helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        write_bytes(path, proto.SerializeToString())
    return proto


def onnx_inputs(model, X) -> dict:
    """The input feed (name → array) of :func:`to_onnx`'s graph for the rows of ``X``.

    ``X`` is an array for a bare estimator or a ``StandardScaler`` pipeline, and a
    table (``DataFrame``) for a table pipeline: numeric and boolean columns become
    double ``[N, 1]`` (NaN when missing), categorical ones strings (``""`` when
    missing), exactly as the preprocessing reads them.
    """
    preprocessing, estimator = _split(model)
    if not isinstance(preprocessing, TablePreprocessor):
        dtype = np.float64 if preprocessing is not None else estimator.model_.dtype
        return {"X": np.ascontiguousarray(X, dtype=dtype)}
    if not is_table(X):
        raise ExportError(f"this model reads a table; give a pandas DataFrame with the columns "
                          f"{list(preprocessing.feature_names_in_)}")
    kinds = to_plain(preprocessing)[0]["kinds"]
    missing = [c for c in preprocessing.feature_names_in_ if c not in X.columns]
    if missing:
        raise DataError(f"the table lacks the columns {missing} that the model was "
                          "trained on")
    feed = {}
    for name in kinds["numeric"]:
        feed[name] = as_numbers(X[[name]])
    for name in kinds["boolean"]:
        feed[name] = as_booleans(X[[name]])
    for name in kinds["categorical"]:
        text = as_text(X[[name]])
        feed[name] = np.where(np.asarray([v != v for v in text.ravel()]).reshape(text.shape),
                              "", text).astype(str).astype(object)
    return feed
