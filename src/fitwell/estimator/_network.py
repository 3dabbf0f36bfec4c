"""Turn the estimator's hyper-parameters into engine objects: network, optimiser, schedule.

One mapping from names ("relu", "adamw", "cosine") to engine classes. The values
arrive checked by :mod:`._params`; only the number of dropout rates, which must
match the number of hidden layers, is checked here.
"""

from __future__ import annotations

import numpy as np

from .. import nn, optim
from .._validation import is_number
from ..errors import ParameterError
from ..optim import schedules

ACTIVATIONS = {
    "identity": nn.Identity, "logistic": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU,
}
"""``activation`` name -> layer class."""


def dropout_rates(dropout, n_hidden):
    """One dropout rate per hidden layer from a float or a sequence."""
    if is_number(dropout):
        return [float(dropout)] * n_hidden
    rates = [float(p) for p in dropout]
    if len(rates) != n_hidden:
        raise ParameterError(f"dropout has {len(rates)} rates but there are {n_hidden} hidden "
                             "layers; give one rate per hidden layer or a single float")
    return rates


MAX_PARAMETERS = 2**31
"""The most weights and biases a network may have (8 GiB in float32): a larger one
is almost surely a typo in ``hidden_layer_sizes``, and would exhaust memory."""


def check_network_size(widths, dtype):
    """Refuse a network with more than :data:`MAX_PARAMETERS` weights and biases."""
    count = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:],
                                                                   strict=True))
    if count > MAX_PARAMETERS:
        gib = count * np.dtype(dtype).itemsize / 2**30
        raise ParameterError(f"a network of layer widths {widths} has {count:,} parameters "
                             f"({gib:,.0f} GiB in {np.dtype(dtype).name}), more than the "
                             f"{MAX_PARAMETERS:,} fitwell builds; use smaller "
                             "hidden_layer_sizes")


def _group_count(width, requested):
    """The largest divisor of ``width`` not above ``requested``."""
    for groups in range(min(requested, width), 0, -1):
        if width % groups == 0:
            return groups
    return 1


def build_network(n_features, hidden_layer_sizes, n_outputs, *, activation, dropout,
                  normalization, num_groups, init, rng, dropout_rng, dtype):
    """``Linear → [norm] → activation → [dropout]`` per hidden layer, then ``Linear``.

    With ``init="glorot_sklearn"`` weights *and* biases are drawn as scikit-learn's
    MLP draws them (Glorot uniform with factor 6, or 2 for the logistic activation).
    Returns ``(network, its Linear layers in order)``.
    """
    layers = []
    widths = [n_features, *hidden_layer_sizes]
    check_network_size([*widths, n_outputs], dtype)
    rates = dropout_rates(dropout, len(hidden_layer_sizes))
    sklearn_init = init == "glorot_sklearn"
    linears = []
    for fan_in, fan_out, rate in zip(widths[:-1], widths[1:], rates, strict=True):
        linear = nn.Linear(fan_in, fan_out, init="xavier" if sklearn_init else init, rng=rng,
                           dtype=dtype)
        linears.append(linear)
        layers.append(linear)
        if normalization == "batch":
            layers.append(nn.BatchNorm(fan_out, dtype=dtype))
        elif normalization == "layer":
            layers.append(nn.LayerNorm(fan_out, dtype=dtype))
        elif normalization == "group":
            layers.append(nn.GroupNorm(_group_count(fan_out, num_groups), fan_out, dtype=dtype))
        layers.append(ACTIVATIONS[activation]())
        if rate > 0:
            layers.append(nn.Dropout(rate, rng=dropout_rng))
    output = nn.Linear(widths[-1], n_outputs, init="xavier" if sklearn_init else init, rng=rng,
                       dtype=dtype)
    linears.append(output)
    layers.append(output)
    if sklearn_init:
        factor = 2.0 if activation == "logistic" else 6.0
        for linear in linears:
            bound = np.sqrt(factor / (linear.in_features + linear.out_features))
            linear._params["weight"][...] = rng.uniform(
                -bound, bound, linear._params["weight"].shape)
            linear._params["bias"][...] = rng.uniform(-bound, bound, linear.out_features)
    return nn.Sequential(*layers), linears


def build_optimizer(solver, params, *, lr, momentum, nesterovs_momentum, beta_1, beta_2,
                    epsilon, weight_decay, learning_rate="constant"):
    """The optimiser for a stochastic solver name.

    ``weight_decay`` is used by ``"adamw"`` only; :func:`._params.check_weight_decay`
    refuses it with the other solvers before training starts. ``solver="sgd"`` with
    scikit-learn's changing rates (``"invscaling"``, ``"adaptive"``) keeps
    scikit-learn's momentum rule, where the rate enters the velocity with each
    gradient (``optim.SGD(lr_in_velocity=True)``); fitwell's own schedules and solvers
    follow PyTorch's.
    """
    if solver in ("sgd", "nesterov"):
        nesterov = solver == "nesterov" or (nesterovs_momentum and momentum > 0)
        return optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov and momentum > 0,
                         lr_in_velocity=solver == "sgd" and learning_rate in ("invscaling",
                                                                              "adaptive"))
    if solver == "adamw":
        return optim.AdamW(params, lr=lr, betas=(beta_1, beta_2), eps=epsilon,
                           weight_decay=weight_decay)
    return optim.Adam(params, lr=lr, betas=(beta_1, beta_2), eps=epsilon)


class InverseScaling(schedules.Schedule):
    """scikit-learn's ``learning_rate="invscaling"``: after each epoch the rate is
    ``learning_rate_init / (t + 1) ** power_t``, ``t`` the number of samples seen."""

    def __init__(self, base_lr, power_t, samples_per_epoch, samples_before=0):
        self.base_lr = float(base_lr)
        self.power_t = float(power_t)
        self.samples_per_epoch = int(samples_per_epoch)
        self.samples_before = int(samples_before)

    def lr_at(self, t):
        seen = self.samples_before + t * self.samples_per_epoch
        if seen == 0:
            return self.base_lr
        return self.base_lr / (seen + 1) ** self.power_t


def build_schedule(learning_rate, solver, *, lr, max_iter, warmup_epochs, power_t,
                   n_samples, n_batches, samples_before, n_iter_no_change, schedule_kwargs,
                   plateau_mode="min"):
    """Return ``(schedule or None, interval)`` for a ``learning_rate`` name.

    ``plateau_mode`` is ``"max"`` when the plateau schedule watches a score and
    ``"min"`` when it watches a loss.

    scikit-learn applies ``"invscaling"`` and ``"adaptive"`` to ``solver="sgd"``
    only, with other solvers keeping a constant rate; fitwell does the same for
    those two, while its own schedules apply to every stochastic solver.
    """
    kwargs = dict(schedule_kwargs or {})
    interval = "epoch"
    decay_epochs = max(1, max_iter - warmup_epochs)
    if learning_rate in ("constant", "adaptive") or (
            learning_rate == "invscaling" and solver not in ("sgd", "nesterov")):
        schedule = schedules.Constant(lr)
    elif learning_rate == "invscaling":
        schedule = InverseScaling(lr, power_t, n_samples, samples_before)
    elif learning_rate == "step":
        schedule = schedules.StepDecay(lr, **{"step_size": max(1, decay_epochs // 3), **kwargs})
    elif learning_rate == "exponential":
        schedule = schedules.Exponential(lr, **{"gamma": 0.01 ** (1.0 / decay_epochs), **kwargs})
    elif learning_rate == "cosine":
        schedule = schedules.CosineAnnealing(lr, **{"t_max": decay_epochs, **kwargs})
    elif learning_rate == "onecycle":
        interval = "batch"
        return schedules.OneCycle(lr, **{"total_steps": max(2, max_iter * n_batches),
                                         **kwargs}), interval
    elif learning_rate == "plateau":
        schedule = schedules.ReduceLROnPlateau(
            lr, **{"mode": plateau_mode, "factor": 0.1,
                   "patience": max(1, min(n_iter_no_change, max_iter) // 2), **kwargs})
    else:  # _params validates learning_rate before it gets here
        raise ParameterError(f"unknown learning_rate {learning_rate!r}")
    if warmup_epochs:
        schedule = schedules.Warmup(schedule, warmup_epochs, start_factor=0.1)
    return schedule, interval
