"""fitwell: neural networks that fit well, on NumPy."""

from . import nn, optim, schedules

__version__ = "0.1.0"

__all__ = ["nn", "optim", "schedules", "__version__"]
