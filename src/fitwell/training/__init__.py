"""Training: the loop, callbacks, augmentation and the per-epoch history."""

from . import augment
from .callbacks import (
    Callback,
    DivergenceWarning,
    EarlyStopping,
    EpochLog,
    MonitorCallback,
    NoImprovementStopping,
    ProgressBar,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .history import History
from .trainer import Trainer, accuracy_from_binary_logits, accuracy_from_logits, r2_score

__all__ = [
    "Trainer", "History", "augment",
    "Callback", "MonitorCallback", "EarlyStopping", "NoImprovementStopping",
    "ReduceLROnPlateau", "TerminateOnNaN", "ProgressBar", "EpochLog", "DivergenceWarning",
    "accuracy_from_logits", "accuracy_from_binary_logits", "r2_score",
]
