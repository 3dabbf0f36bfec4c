"""Optimisers, penalties, gradient clipping and learning-rate schedules."""

from . import schedules
from .clip import clip_grad_norm, clip_grad_value
from .optimizers import SGD, Adam, AdamW, Optimizer
from .penalties import L1, L2, ElasticNet, Penalty

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW",
    "Penalty", "L1", "L2", "ElasticNet",
    "clip_grad_norm", "clip_grad_value",
    "schedules",
]
