"""Float64 central-difference gradient checks for every layer, loss and penalty.

Each analytic gradient is compared with the numerical derivative::

    numeric_i = (f(theta + h e_i) - f(theta - h e_i)) / (2 h)

taken one element at a time. For a layer the scalar ``f`` is a fixed random
linear functional of the output, ``f = sum(out * R)``, so ``layer.backward(R)``
is exactly its gradient with respect to the input and fills ``layer.grads`` with
its gradients with respect to the parameters.

The agreement is measured by the *relative error* (see :func:`relative_error`)::

    error = max_i |a_i - n_i| / max(max_i |a_i|, max_i |n_i|, floor)

the largest element-wise discrepancy measured against the largest gradient entry
(an infinity-norm relative error). It is scale-free, is not fooled by entries that
are zero or tiny, and still catches an error in a single entry. In float64 with
``h = 1e-6`` a correct gradient typically gives errors of ``1e-9`` or less; a
wrong one gives errors of order one.

A check passes when ``error <= tolerance`` *or* the largest absolute discrepancy
is at most ``atol`` (default ``1e-8``). The second clause is for gradients that are
exactly zero, such as the bias of a ``Linear`` layer feeding ``BatchNorm`` in
training mode (the batch mean cancels it): there the numerical side holds only
rounding noise (about ``1e-10``), whose relative error is meaningless.

:func:`fitwell.testing.cases.check_all` runs these checks on every layer, loss and
penalty of the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..errors import ParameterError
from ..optim import penalties

__all__ = [
    "GradCheckResult", "relative_error", "numeric_gradient",
    "check_layer", "check_loss", "check_penalty",
    "DEFAULT_STEP", "DEFAULT_TOLERANCE", "DEFAULT_ATOL",
]

DEFAULT_STEP = 1e-6
"""Finite-difference step ``h``."""

DEFAULT_TOLERANCE = 1e-6
"""Largest relative error that counts as a pass."""

DEFAULT_ATOL = 1e-8
"""Largest absolute discrepancy that counts as a pass whatever the relative error."""

_FLOOR = 1e-12


@dataclass(frozen=True)
class GradCheckResult:
    """The outcome of one gradient comparison.

    Attributes
    ----------
    name : str
        What was checked, e.g. ``"BatchNorm (training) · input"``.
    max_rel_error : float
        :func:`relative_error` of the analytic against the numerical gradient
        (``nan`` if either is not finite).
    max_abs_error : float
        ``max_i |a_i - n_i|``.
    tolerance : float
        The largest relative error that passes.
    atol : float
        The largest absolute error that passes whatever the relative error.
    size : int
        Number of gradient entries compared.
    """

    name: str
    max_rel_error: float
    max_abs_error: float
    tolerance: float
    atol: float
    size: int

    @property
    def passed(self) -> bool:
        """``max_rel_error <= tolerance or max_abs_error <= atol`` (``False`` for ``nan``)."""
        return bool(self.max_rel_error <= self.tolerance or self.max_abs_error <= self.atol)


def relative_error(analytic, numeric, floor: float = _FLOOR) -> float:
    """Infinity-norm relative error between two gradients.

    ``max_i |a_i - n_i| / max(max_i |a_i|, max_i |n_i|, floor)``; 0 for empty
    arrays, ``nan`` when either array holds a non-finite value.

    Parameters
    ----------
    analytic, numeric : array-like of the same shape
    floor : float, default=1e-12
        Lower bound of the denominator, so two all-zero gradients give 0.

    Returns
    -------
    float
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ParameterError(
            f"relative_error: the gradients have different shapes {a.shape} and {n.shape}"
        )
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("nan")
    scale = max(float(np.abs(a).max()), float(np.abs(n).max()), floor)
    return float(np.abs(a - n).max()) / scale


def numeric_gradient(f: Callable[[], float], array: np.ndarray,
                     step: float = DEFAULT_STEP) -> np.ndarray:
    """Central-difference gradient of ``f()`` with respect to ``array``.

    ``array`` is perturbed in place, one element at a time, and each element is
    restored to its exact original value afterwards.

    Parameters
    ----------
    f : callable () -> float
        Reads ``array`` (directly or through a layer that holds it).
    array : ndarray of float64
    step : float, default=DEFAULT_STEP

    Returns
    -------
    ndarray of the shape of ``array``
    """
    grad = np.empty(array.shape, dtype=np.float64)
    for i in range(array.size):
        original = array.flat[i]
        array.flat[i] = original + step
        plus = f()
        array.flat[i] = original - step
        minus = f()
        array.flat[i] = original
        grad.flat[i] = (plus - minus) / (2.0 * step)
    return grad


def _generators(module):
    """Every ``np.random.Generator`` a module (or a container's children) draws from."""
    rng = getattr(module, "rng", None)
    if isinstance(rng, np.random.Generator):
        yield rng
    for child in getattr(module, "layers", ()):
        yield from _generators(child)


def _require_float64(dtype, owner):
    if dtype is not None and np.dtype(dtype) != np.float64:
        raise ParameterError(
            f"{owner}: gradient checks need float64, got {np.dtype(dtype)}; build with "
            "dtype=np.float64 or call .astype(np.float64)"
        )


def check_layer(layer: nn.Module, x, *, training: bool = True, name: str | None = None,
                step: float = DEFAULT_STEP, tolerance: float = DEFAULT_TOLERANCE,
                atol: float = DEFAULT_ATOL, seed: int = 0) -> list[GradCheckResult]:
    """Check a layer's gradients with respect to its input and every parameter.

    The scalar checked is ``sum(layer.forward(x, training) * R)`` with ``R`` drawn
    from ``np.random.default_rng(seed)``. Before every forward pass the state of
    each random generator the layer uses (e.g. :class:`~fitwell.nn.Dropout`'s) is
    restored, so every evaluation sees the same mask. Afterwards parameters,
    buffers (e.g. running statistics) and generator states are as they were; only
    the layer's cache and workspaces have changed.

    Parameters
    ----------
    layer : fitwell.nn.Module
        A float64 layer or container.
    x : array-like of shape (n_samples, n_features)
        Converted to float64.
    training : bool, default=True
        The mode passed to ``forward``.
    name : str, default=None
        Label of the results; defaults to the layer's class name.
    step : float, default=DEFAULT_STEP
    tolerance : float, default=DEFAULT_TOLERANCE
    atol : float, default=DEFAULT_ATOL
    seed : int, default=0
        Seed of the random functional ``R``.

    Returns
    -------
    list of GradCheckResult
        One for the input (``"<name> (<mode>) · input"``), then one per parameter.
    """
    _require_float64(layer.dtype, "check_layer")
    label = f"{name or type(layer).__name__} ({'training' if training else 'inference'})"
    x = np.array(x, dtype=np.float64)  # our own copy: perturbed in place below
    generators = list(_generators(layer))
    rng_states = [g.bit_generator.state for g in generators]
    saved_buffers = {key: value.copy() for key, value in layer.buffers.items()}

    def forward():
        for generator, state in zip(generators, rng_states, strict=True):
            generator.bit_generator.state = state
        return layer.forward(x, training=training)

    try:
        out = forward()
        weights = np.random.default_rng(seed).standard_normal(out.shape)

        def f():
            return float(np.sum(forward() * weights))

        dx = np.array(layer.backward(weights), dtype=np.float64)
        analytic = {key: value.copy() for key, value in layer.grads.items()}
        results = [_result(f"{label} · input", dx, numeric_gradient(f, x, step),
                           tolerance, atol)]
        params = layer.params
        for key, value in analytic.items():
            numeric = numeric_gradient(f, params[key], step)
            results.append(_result(f"{label} · {key}", value, numeric, tolerance, atol))
    finally:
        for key, value in layer.buffers.items():
            np.copyto(value, saved_buffers[key])
        for generator, state in zip(generators, rng_states, strict=True):
            generator.bit_generator.state = state
    return results


def check_loss(loss, prediction, target, *, sample_weight=None, name: str | None = None,
               step: float = DEFAULT_STEP, tolerance: float = DEFAULT_TOLERANCE,
               atol: float = DEFAULT_ATOL) -> GradCheckResult:
    """Check a loss's gradient with respect to its input (logits or predictions).

    Parameters
    ----------
    loss : callable (prediction, target, sample_weight=None) -> (float, ndarray)
        A fitwell loss such as :class:`~fitwell.nn.CrossEntropyLoss`.
    prediction : array-like of shape (n_samples, n_outputs)
        Converted to float64.
    target : array-like
        Passed through unchanged.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed only when given.
    name : str, default=None
        Label of the result; defaults to the loss's class name.
    step : float, default=DEFAULT_STEP
    tolerance : float, default=DEFAULT_TOLERANCE
    atol : float, default=DEFAULT_ATOL

    Returns
    -------
    GradCheckResult
    """
    prediction = np.array(prediction, dtype=np.float64)
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    _, analytic = loss(prediction, target, **kwargs)
    analytic = np.array(analytic, dtype=np.float64)
    numeric = numeric_gradient(lambda: float(loss(prediction, target, **kwargs)[0]),
                               prediction, step)
    return _result(name or type(loss).__name__, analytic, numeric, tolerance, atol)


def check_penalty(penalty: penalties.Penalty, params: dict, *, scale: float = 1.0,
                  name: str | None = None, step: float = DEFAULT_STEP,
                  tolerance: float = DEFAULT_TOLERANCE,
                  atol: float = DEFAULT_ATOL) -> GradCheckResult:
    """Check the gradient a penalty adds, with respect to every parameter.

    The penalty is called as ``penalty(params, grads, scale=scale)`` on zeroed
    ``grads``, which it fills in place; that is compared, over all parameters at
    once, with the numerical derivative of ``penalty(params, scale=scale)``.
    Parameters the penalty skips must get a zero gradient on both sides. Keep
    entries away from 0 for an L1 term, whose derivative jumps there.

    Parameters
    ----------
    penalty : fitwell.optim.Penalty
    params : dict of str to array-like
        Copied to float64; the originals are not touched.
    scale : float, default=1.0
    name : str, default=None
        Label of the result; defaults to the penalty's ``repr``.
    step : float, default=DEFAULT_STEP
    tolerance : float, default=DEFAULT_TOLERANCE
    atol : float, default=DEFAULT_ATOL

    Returns
    -------
    GradCheckResult
    """
    params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    grads = {key: np.zeros_like(value) for key, value in params.items()}
    penalty(params, grads, scale=scale)

    def f():
        return float(penalty(params, scale=scale))

    analytic = np.concatenate([grads[key].ravel() for key in params] or [np.zeros(0)])
    numeric = np.concatenate(
        [numeric_gradient(f, value, step).ravel() for value in params.values()] or [np.zeros(0)]
    )
    return _result(name or repr(penalty), analytic, numeric, tolerance, atol)


def _result(name, analytic, numeric, tolerance, atol):
    difference = np.abs(np.asarray(analytic, dtype=np.float64) - numeric)
    abs_error = float(difference.max()) if difference.size else 0.0
    return GradCheckResult(name, relative_error(analytic, numeric), abs_error, tolerance, atol,
                           int(difference.size))
