"""The estimator's parameters: their declared constraints, the option lists, and the
rules that tie one parameter to another (checked once, before training)."""

from __future__ import annotations

import math
import numbers
import warnings
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ..errors import ParameterError
from ._network import ACTIVATIONS

__all__ = ["NORMALIZATIONS", "SOLVERS", "STOCHASTIC_SOLVERS", "LEARNING_RATES",
           "PARAMETER_CONSTRAINTS", "CLASSIFIER_CONSTRAINTS", "REGRESSOR_CONSTRAINTS",
           "plain_params", "hidden_sizes",
           "batch_size_for", "check_weight_decay", "check_combinations"]

NORMALIZATIONS = ("batch", "layer", "group")
SOLVERS = ("lbfgs", "sgd", "adam", "adamw", "nesterov")
STOCHASTIC_SOLVERS = ("sgd", "adam", "adamw", "nesterov")
LEARNING_RATES = ("constant", "invscaling", "adaptive", "step", "exponential", "cosine",
                  "onecycle", "plateau")

#: scikit-learn's declarative checks, run by ``fit`` / ``partial_fit``. ``Real`` and
#: ``Integral`` admit every NumPy scalar type; :func:`plain_params` turns them into
#: Python numbers before training, so ``np.float32(0.5)`` trains as ``0.5`` does.
PARAMETER_CONSTRAINTS: dict = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "solver": [StrOptions(set(SOLVERS))],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto", "full"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions(set(LEARNING_RATES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "normalization": [StrOptions(set(NORMALIZATIONS)), None],
    "num_groups": [Interval(Integral, 1, None, closed="left")],
    "l1": [Interval(Real, 0, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
    "schedule_kwargs": [dict, None],
    "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "augment": [str, list, tuple, callable, None],
    "image_shape": [tuple, list, None],
    "restore_best_weights": ["boolean"],
    "monitor": [StrOptions({"val_loss", "val_score"})],
    "init": [StrOptions({"glorot_sklearn", "he", "xavier", "lecun"})],
    "dtype": [StrOptions({"float32", "float64"}), type, np.dtype],
    "callbacks": [list, tuple, None],
}

REGRESSOR_CONSTRAINTS: dict = {
    **PARAMETER_CONSTRAINTS,
    "loss": [StrOptions({"squared_error", "poisson"})],
}

CLASSIFIER_CONSTRAINTS: dict = {
    **PARAMETER_CONSTRAINTS,
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "label_smoothing": [Interval(Real, 0, 1, closed="left")],
}


def _plain(value):
    """A NumPy scalar as the Python number it holds; lists and tuples element-wise."""
    if isinstance(value, np.generic) and isinstance(value, numbers.Number | np.bool_):
        return value.item()
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    return value


def plain_params(estimator) -> SimpleNamespace:
    """The estimator's parameters with every NumPy scalar made a Python number.

    Training reads its parameters from here, so that a float32 or int64 scalar
    cannot change a dtype promotion on the way (NumPy keeps a float64 scalar's
    precision where a Python float adapts to the array).
    """
    return SimpleNamespace(**{name: _plain(value)
                              for name, value in estimator.get_params(deep=False).items()})


def hidden_sizes(value) -> list[int]:
    """``hidden_layer_sizes`` as a list of Python ints (one int is one layer)."""
    sizes = list(value) if hasattr(value, "__iter__") else [value]
    if any(isinstance(s, bool | np.bool_) or not isinstance(s, Integral) or s <= 0
           for s in sizes):
        raise ParameterError(f"hidden_layer_sizes must be positive integers, got {sizes}")
    return [int(s) for s in sizes]


def batch_size_for(batch_size, n_samples) -> int:
    """The mini-batch size for ``n_samples``: ``"auto"`` is ``min(200, n)``, ``"full"``
    is ``n``, a number is clipped to ``[1, n]`` with scikit-learn's warning."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size == "full":
        return n_samples
    if batch_size > n_samples:
        warnings.warn(f"Got `batch_size` less than 1 or larger than sample size. It is going "
                      f"to be clipped to {n_samples}", UserWarning, stacklevel=3)
    return int(np.clip(batch_size, 1, n_samples))


def check_weight_decay(weight_decay, solver) -> None:
    """Decoupled weight decay belongs to AdamW; the other stochastic solvers get an L2
    penalty through ``alpha`` instead. (``solver="lbfgs"`` accepts it and, having no
    decoupled step, does not use it.)"""
    if weight_decay and solver not in ("adamw", "lbfgs"):
        raise ParameterError(f"weight_decay (decoupled) needs solver='adamw', got solver="
                             f"{solver!r}; for an L2 penalty with other solvers use alpha")


def check_combinations(params, n_features) -> None:
    """The rules between parameters that their one-by-one constraints cannot state."""
    rates = list(params.dropout) if hasattr(params.dropout, "__iter__") else [params.dropout]
    if params.solver == "lbfgs":
        if any(float(r) > 0 for r in rates):
            raise ParameterError("dropout needs a stochastic solver: with solver='lbfgs' the "
                                 "random masks break the line search; use solver='adam' or "
                                 "'adamw', or dropout=0")
        if params.augment:
            raise ParameterError("augment needs a stochastic solver, not solver='lbfgs'")
    if any(not 0 <= float(r) < 1 for r in rates):
        raise ParameterError(f"every dropout rate must be in [0, 1), got "
                             f"{[float(r) for r in rates]}")
    check_weight_decay(params.weight_decay, params.solver)
    if params.image_shape is not None:
        shape = tuple(params.image_shape)
        if math.prod(shape) != n_features:
            raise ParameterError(f"image_shape {shape} holds {math.prod(shape)} values but X "
                                 f"has {n_features} features")
