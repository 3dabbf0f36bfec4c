"""Weight initialisation schemes, each drawing from an injected ``np.random.Generator``.

All draws are made in float64 and then cast, so a float32 and a float64 model built
from the same seed start from the same numbers (up to rounding).
"""

from __future__ import annotations

import numpy as np

__all__ = ["INITIALIZERS", "initialize"]


def he_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """He (Kaiming) normal: N(0, 2 / fan_in), suited to ReLU networks.

    He et al., "Delving Deep into Rectifiers", https://arxiv.org/abs/1502.01852
    """
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def xavier_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).

    Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
    networks", AISTATS 2010. This is also scikit-learn's MLP initialisation.
    """
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


def lecun_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """LeCun normal: N(0, 1 / fan_in), suited to tanh and SELU networks."""
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


INITIALIZERS = {"he": he_normal, "xavier": xavier_uniform, "lecun": lecun_normal}


def initialize(name: str, rng: np.random.Generator, fan_in: int, fan_out: int, dtype) -> np.ndarray:
    """Draw a ``(fan_in, fan_out)`` weight matrix with the scheme called ``name``."""
    return INITIALIZERS[name](rng, fan_in, fan_out).astype(dtype)
