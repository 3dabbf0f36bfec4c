"""fitwell: neural networks that fit well, on NumPy."""

from . import nn, optim
from ._version import __version__
from .estimator import FitwellClassifier, FitwellRegressor
from .io import ModelFileError, load, save
from .optim import schedules  # the documented short path: fitwell.schedules

__all__ = ["nn", "optim", "schedules", "FitwellClassifier", "FitwellRegressor", "save", "load",
           "ModelFileError", "__version__"]
