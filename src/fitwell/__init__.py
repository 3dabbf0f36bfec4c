"""fitwell: neural networks that fit well, on NumPy."""

from . import nn, optim, schedules
from ._version import __version__
from .estimator import FitwellClassifier, FitwellRegressor
from .io import ModelFileError, load, save

__all__ = ["nn", "optim", "schedules", "FitwellClassifier", "FitwellRegressor", "save", "load",
           "ModelFileError", "__version__"]
