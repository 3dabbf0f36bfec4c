"""The fitwell engine's layers and losses: explicit NumPy forward and backward passes."""

from .activations import GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .dropout import Dropout
from .fuse import fuse_for_inference
from .linear import Linear
from .losses import (
    BinaryCrossEntropyLoss,
    CrossEntropyLoss,
    HalfMSELoss,
    HalfPoissonLoss,
    MSELoss,
    softmax,
)
from .module import Module
from .norm import BatchNorm, GroupNorm, LayerNorm
from .sequential import Sequential

__all__ = [
    "Module", "Sequential", "Linear",
    "ReLU", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "Identity",
    "Dropout", "BatchNorm", "LayerNorm", "GroupNorm",
    "CrossEntropyLoss", "BinaryCrossEntropyLoss", "MSELoss", "HalfMSELoss", "HalfPoissonLoss",
    "softmax",
    "fuse_for_inference",
]
