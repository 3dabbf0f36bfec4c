"""A small collector of ONNX nodes and constants with unique names."""

from __future__ import annotations

import numpy as np

from ..errors import ExportError

__all__ = ["GraphBuilder", "require_onnx"]


def require_onnx():
    """The ``onnx`` module, or an :class:`ExportError` saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ExportError("ONNX export needs the onnx package: pip install 'fitwell[export]' "
                          "(onnx and onnxruntime)") from None
    return onnx


class GraphBuilder:
    """Nodes, initialisers (constants), inputs and outputs of one ONNX graph."""

    def __init__(self):
        self.onnx = require_onnx()
        self.nodes, self.constants, self.inputs, self.outputs = [], [], [], []
        self._count = 0

    def _name(self, stem):
        self._count += 1
        return f"{stem}_{self._count}"

    def constant(self, value, stem="const", dtype=None) -> str:
        """A constant tensor (text arrays become string tensors); returns its name."""
        helper, TensorProto = self.onnx.helper, self.onnx.TensorProto
        name = self._name(stem)
        array = np.asarray(value, dtype=dtype)
        if array.dtype.kind in "UO":
            self.constants.append(helper.make_tensor(
                name, TensorProto.STRING, array.shape, [str(v).encode() for v in array.ravel()]))
        else:
            self.constants.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, stem=None, domain="", n_outputs=1, **attributes):
        """Add one node; return its output name (or names for ``n_outputs > 1``)."""
        outputs = [self._name(stem or op.lower()) for _ in range(n_outputs)]
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), outputs, domain=domain,
                                                     **attributes))
        return outputs[0] if n_outputs == 1 else outputs

    def output(self, source, name, elem_type, shape):
        """Expose ``source`` as the graph output ``name``."""
        self.nodes.append(self.onnx.helper.make_node("Identity", [source], [name]))
        self.outputs.append(self.onnx.helper.make_tensor_value_info(name, elem_type, shape))

    def input(self, name, elem_type, shape) -> str:
        """Declare the graph input ``name``; returns it."""
        self.inputs.append(self.onnx.helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def cast(self, source, dtype) -> str:
        """``source`` cast to a NumPy float dtype."""
        return self.node("Cast", [source], to=self.elem_type(dtype))

    def elem_type(self, dtype) -> int:
        """The ONNX element type of a NumPy dtype."""
        return self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
