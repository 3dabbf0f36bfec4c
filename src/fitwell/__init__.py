"""fitwell: neural networks that fit well, on NumPy."""

from . import nn, optim, schedules
from .estimator import FitwellClassifier, FitwellRegressor

__version__ = "0.1.0"

__all__ = ["nn", "optim", "schedules", "FitwellClassifier", "FitwellRegressor", "__version__"]
