"""fitwell: neural networks that fit well, on NumPy."""

from . import nn, optim
from ._version import __version__
from .estimator import FitwellClassifier, FitwellRegressor
from .export import onnx_inputs, to_onnx
from .io import ModelFileError, load, save
from .optim import schedules  # the documented short path: fitwell.schedules
from .tabular import features_and_target, read_table, tabular_pipeline

__all__ = ["nn", "optim", "schedules", "FitwellClassifier", "FitwellRegressor", "save", "load",
           "ModelFileError", "read_table", "features_and_target", "tabular_pipeline", "to_onnx",
           "onnx_inputs", "__version__"]
