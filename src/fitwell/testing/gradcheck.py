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

:func:`check_all` checks every layer (in training and inference mode), loss and
penalty of the engine in a representative configuration. Which classes it covers
is declared in the registries :data:`LAYER_CASES`, :data:`LOSS_CASES` and
:data:`PENALTY_CASES`; the test suite asserts that every public layer, loss and
penalty appears there, so a new one cannot ship without a gradient check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..nn.dense_block import DenseBlock
from ..optim import penalties

__all__ = [
    "GradCheckResult", "relative_error", "numeric_gradient",
    "check_layer", "check_loss", "check_penalty", "check_all",
    "LAYER_CASES", "LOSS_CASES", "PENALTY_CASES",
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
        raise ValueError(
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
        raise ValueError(
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


# -- the representative configurations ---------------------------------------------------
# Each builder takes a Generator and returns a list of cases. Shapes are small: the
# numerical gradient costs two evaluations per entry.

_F64 = np.float64


def _away_from_zero(x, margin=0.05):
    """Push entries at least ``margin`` away from the kinks of ReLU-like functions."""
    return x + np.copysign(margin, x)


def _randomize_affine(layer, rng):
    """Give a normalisation layer non-trivial gamma, beta and running statistics."""
    params, buffers = layer.params, layer.buffers
    params["weight"][...] = rng.uniform(0.5, 1.5, layer.num_features)
    params["bias"][...] = rng.normal(0.0, 0.5, layer.num_features)
    if "running_mean" in buffers:
        buffers["running_mean"][...] = rng.normal(0.0, 0.5, layer.num_features)
        buffers["running_var"][...] = rng.uniform(0.5, 2.0, layer.num_features)
    return layer


def _linear_cases(rng):
    x = rng.standard_normal((4, 5))
    return [
        ("Linear", nn.Linear(5, 3, rng=rng, dtype=_F64), x),
        ("Linear (no bias)", nn.Linear(5, 3, bias=False, init="xavier", rng=rng, dtype=_F64), x),
    ]


def _activation_cases(*layers):
    def build(rng):
        x = _away_from_zero(rng.standard_normal((4, 5)))
        return [(label, layer(), x) for label, layer in layers]
    return build


def _dropout_cases(rng):
    x = rng.standard_normal((6, 5))
    return [("Dropout(p=0.3)", nn.Dropout(0.3, rng=rng), x)]


def _batchnorm_cases(rng):
    x = rng.normal(0.5, 2.0, (6, 4))
    return [("BatchNorm", _randomize_affine(nn.BatchNorm(4, dtype=_F64), rng), x)]


def _layernorm_cases(rng):
    x = rng.normal(0.5, 2.0, (4, 6))
    return [("LayerNorm", _randomize_affine(nn.LayerNorm(6, dtype=_F64), rng), x)]


def _groupnorm_cases(rng):
    x = rng.normal(0.5, 2.0, (4, 6))
    return [
        ("GroupNorm(3 groups)", _randomize_affine(nn.GroupNorm(3, 6, dtype=_F64), rng), x),
        ("GroupNorm(1 group)", _randomize_affine(nn.GroupNorm(1, 6, dtype=_F64), rng), x),
    ]


def _sequential_cases(rng):
    stack = nn.Sequential(
        nn.Linear(5, 6, rng=rng, dtype=_F64),
        _randomize_affine(nn.BatchNorm(6, dtype=_F64), rng),
        nn.ReLU(),
        nn.Dropout(0.25, rng=rng),
        nn.Linear(6, 4, init="xavier", rng=rng, dtype=_F64),
        _randomize_affine(nn.LayerNorm(4, dtype=_F64), rng),
        nn.Sequential(nn.GELU(), nn.Linear(4, 3, init="lecun", rng=rng, dtype=_F64)),
    )
    return [("Sequential", stack, rng.standard_normal((6, 5)))]


def _dense_block_cases(rng):
    def block(norm, p, bias=True):
        linear = nn.Linear(5, 6, bias=bias, rng=rng, dtype=_F64)
        bn = _randomize_affine(nn.BatchNorm(6, dtype=_F64), rng) if norm else None
        return DenseBlock(linear, bn, nn.Dropout(p, rng=rng) if p else None)

    x = rng.standard_normal((7, 5))
    return [
        ("DenseBlock (BatchNorm, dropout)", block(True, 0.3), x),
        ("DenseBlock (BatchNorm, no bias)", block(True, 0.0, bias=False), x),
        ("DenseBlock (dropout)", block(False, 0.3), x),
        ("DenseBlock (ReLU only)", block(False, 0.0), x),
    ]


LAYER_CASES: dict[type, Callable] = {
    nn.Linear: _linear_cases,
    nn.ReLU: _activation_cases(("ReLU", nn.ReLU)),
    nn.LeakyReLU: _activation_cases(("LeakyReLU", lambda: nn.LeakyReLU(0.1))),
    nn.GELU: _activation_cases(("GELU", nn.GELU),
                               ("GELU (tanh)", lambda: nn.GELU(approximate="tanh"))),
    nn.Tanh: _activation_cases(("Tanh", nn.Tanh)),
    nn.Sigmoid: _activation_cases(("Sigmoid", nn.Sigmoid)),
    nn.Identity: _activation_cases(("Identity", nn.Identity)),
    nn.Dropout: _dropout_cases,
    nn.BatchNorm: _batchnorm_cases,
    nn.LayerNorm: _layernorm_cases,
    nn.GroupNorm: _groupnorm_cases,
    nn.Sequential: _sequential_cases,
    DenseBlock: _dense_block_cases,
}
"""Layer class -> builder ``rng -> [(label, float64 layer, input), ...]``."""


def _cross_entropy_cases(rng):
    n, c = 6, 4
    logits = rng.normal(0.0, 2.0, (n, c))
    y = rng.integers(0, c, n)
    probs = rng.dirichlet(np.ones(c), n)
    weight = rng.uniform(0.5, 2.0, c)
    sample_weight = rng.uniform(0.2, 2.0, n)
    ce = nn.CrossEntropyLoss
    return [
        ("CrossEntropyLoss", ce(), logits, y, None),
        ("CrossEntropyLoss (label_smoothing=0.1)", ce(label_smoothing=0.1), logits, y, None),
        ("CrossEntropyLoss (class weight)", ce(weight=weight), logits, y, None),
        ("CrossEntropyLoss (sample_weight)", ce(), logits, y, sample_weight),
        ("CrossEntropyLoss (smoothing, class and sample weights)",
         ce(label_smoothing=0.2, weight=weight), logits, y, sample_weight),
        ("CrossEntropyLoss (probability targets)", ce(), logits, probs, None),
        ("CrossEntropyLoss (probability targets, smoothing, weights)",
         ce(label_smoothing=0.1, weight=weight), logits, probs, sample_weight),
    ]


def _binary_cross_entropy_cases(rng):
    logits = rng.normal(0.0, 2.0, (6, 3))
    labels = rng.integers(0, 2, (6, 3)).astype(np.float64)
    soft = rng.uniform(0.0, 1.0, (6, 3))
    bce = nn.BinaryCrossEntropyLoss
    return [
        ("BinaryCrossEntropyLoss", bce(), logits, labels, None),
        ("BinaryCrossEntropyLoss (soft targets)", bce(), logits, soft, None),
        ("BinaryCrossEntropyLoss (sample_weight)", bce(), logits, labels,
         rng.uniform(0.2, 2.0, 6)),
        ("BinaryCrossEntropyLoss (label_smoothing=0.1)", bce(label_smoothing=0.1), logits,
         labels, None),
    ]


def _mse_cases(rng):
    prediction = rng.standard_normal((6, 3))
    target = rng.standard_normal((6, 3))
    return [
        ("MSELoss", nn.MSELoss(), prediction, target, None),
        ("MSELoss (sample_weight)", nn.MSELoss(), prediction, target, rng.uniform(0.2, 2.0, 6)),
        ("MSELoss (1-D target)", nn.MSELoss(), prediction[:, :1], target[:, 0], None),
    ]


def _half_mse_cases(rng):
    prediction = rng.standard_normal((6, 3))
    target = rng.standard_normal((6, 3))
    return [
        ("HalfMSELoss", nn.HalfMSELoss(), prediction, target, None),
        ("HalfMSELoss (sample_weight)", nn.HalfMSELoss(), prediction, target,
         rng.uniform(0.2, 2.0, 6)),
    ]


LOSS_CASES: dict[type, Callable] = {
    nn.CrossEntropyLoss: _cross_entropy_cases,
    nn.BinaryCrossEntropyLoss: _binary_cross_entropy_cases,
    nn.MSELoss: _mse_cases,
    nn.HalfMSELoss: _half_mse_cases,
}
"""Loss class -> builder ``rng -> [(label, loss, prediction, target, sample_weight), ...]``."""


def _penalty_params(rng):
    """A weight matrix, a bias and a gamma, all kept away from 0 (the kink of L1)."""
    return {
        "0.weight": _away_from_zero(rng.standard_normal((4, 3)), 0.1),
        "0.bias": _away_from_zero(rng.standard_normal(3), 0.1),
        "1.weight": rng.uniform(0.5, 1.5, 3),
    }


def _everything(name, array):
    return True


def _penalty_cases(label, make):
    def build(rng):
        params = _penalty_params(rng)
        return [
            (label, make(None), params, 1.0),
            (f"{label} (all parameters, scale=0.25)", make(_everything), params, 0.25),
        ]
    return build


PENALTY_CASES: dict[type, Callable] = {
    penalties.L1: _penalty_cases("L1(0.3)", lambda sel: penalties.L1(0.3, applies_to=sel)),
    penalties.L2: _penalty_cases("L2(0.5)", lambda sel: penalties.L2(0.5, applies_to=sel)),
    penalties.ElasticNet: _penalty_cases(
        "ElasticNet(l1=0.2, l2=0.4)", lambda sel: penalties.ElasticNet(0.2, 0.4, applies_to=sel)
    ),
}
"""Penalty class -> builder ``rng -> [(label, penalty, params, scale), ...]``."""


def check_all(seed: int = 0, *, step: float = DEFAULT_STEP, tolerance: float = DEFAULT_TOLERANCE,
              atol: float = DEFAULT_ATOL) -> list[GradCheckResult]:
    """Check every registered layer (training and inference), loss and penalty.

    Parameters
    ----------
    seed : int, default=0
        Seeds the layers, inputs, targets and random functionals.
    step : float, default=DEFAULT_STEP
    tolerance : float, default=DEFAULT_TOLERANCE
    atol : float, default=DEFAULT_ATOL

    Returns
    -------
    list of GradCheckResult
        In registry order; ``all(r.passed for r in results)`` when the engine is sound.
    """
    rng = np.random.default_rng(seed)
    results = []
    for build in LAYER_CASES.values():
        for label, layer, x in build(rng):
            for training in (True, False):
                results += check_layer(layer, x, training=training, name=label, step=step,
                                       tolerance=tolerance, atol=atol, seed=seed)
    for build in LOSS_CASES.values():
        for label, loss, prediction, target, sample_weight in build(rng):
            results.append(check_loss(loss, prediction, target, sample_weight=sample_weight,
                                      name=label, step=step, tolerance=tolerance, atol=atol))
    for build in PENALTY_CASES.values():
        for label, penalty, params, scale in build(rng):
            results.append(check_penalty(penalty, params, scale=scale, name=label, step=step,
                                         tolerance=tolerance, atol=atol))
    return results
