"""``fitwell export``: a saved model as an ONNX file."""

from __future__ import annotations

import os

from ..errors import ModelFileError
from ..export import OPSET, to_onnx
from ..io import load

__all__ = ["register", "cmd_export"]

EXAMPLES = ("examples:\n"
            "  fitwell export fitwell-output/improved/model.npz model.onnx\n"
            "  fitwell export runs/penguins/model.npz penguins.onnx --opset 18")


def register(add):
    """Add ``export`` (``add(name, help, epilog, handler)`` makes a subcommand's parser)."""
    p = add("export", "Write a saved model (with its preprocessing) as an ONNX file.",
            EXAMPLES, cmd_export)
    p.add_argument("model", help="a model.npz written by 'fitwell train' or fitwell.save")
    p.add_argument("out", help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=OPSET,
                   help=f"the ONNX opset (default {OPSET}, the lowest supported)")


def cmd_export(args, console):
    if not os.path.isfile(args.model):
        raise ModelFileError(f"{args.model}: no such model file; give the model.npz that "
                             "'fitwell train' wrote")
    proto = to_onnx(load(args.model), args.out, opset=args.opset)
    inputs = ", ".join(f"{i.name}" for i in proto.graph.input)
    outputs = ", ".join(o.name for o in proto.graph.output)
    console.print(f"wrote {args.out} (opset {args.opset}): inputs {inputs}; outputs {outputs}")
    return 0
