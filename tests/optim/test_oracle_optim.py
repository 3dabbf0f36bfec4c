"""Optimiser trajectories against PyTorch's, step by step, in float64.

The loss is a fixed quadratic plus a scripted noise term, so each gradient
depends on the current parameters: any difference in an update feeds back into
the next gradient. Both libraries get the gradient from the same NumPy formula.
The update arithmetic agrees to rounding only (PyTorch fuses some operations,
e.g. ``lerp`` and ``addcdiv``), hence the 1e-10 relative tolerance over 60 steps.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fitwell import nn, optim, schedules

torch.set_num_threads(1)

STEPS = 60
RTOL, ATOL = 1e-10, 1e-13


def _model():
    """A small network whose parameters are views into one flat buffer."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng, dtype=np.float64),
                          nn.BatchNorm(4, dtype=np.float64), nn.ReLU(),
                          nn.Linear(4, 2, rng=rng, dtype=np.float64))
    for value in model.params.values():  # non-trivial gamma, beta and biases
        value[...] = rng.standard_normal(value.shape)
    return model


class _Quadratic:
    """``grad(p) = a * (p - c) + noise_t``, per parameter name."""

    def __init__(self, shapes, seed=7):
        rng = np.random.default_rng(seed)
        self.a = {k: rng.uniform(0.2, 3.0, s) for k, s in shapes.items()}
        self.c = {k: rng.standard_normal(s) for k, s in shapes.items()}
        self.noise = [{k: 0.3 * rng.standard_normal(s) for k, s in shapes.items()}
                      for _ in range(STEPS)]

    def grad(self, name, value, t):
        return self.a[name] * (value - self.c[name]) + self.noise[t][name]


def _torch_optimizer(name, params, kwargs):
    cls = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[name]
    return cls(params, **kwargs)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.5)),
    ("SGD", dict(lr=0.02, momentum=0.99, dampening=1.0)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.03, momentum=0.5, dampening=0.1, weight_decay=0.3)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, betas=(0.0, 0.5), eps=1e-3)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, betas=(0.95, 0.9999), eps=1e-10, weight_decay=0.5)),
    ("AdamW", dict(lr=0.01, weight_decay=0.01)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    ("AdamW", dict(lr=0.1, betas=(0.85, 0.95), eps=1e-8, weight_decay=1.0)),
]
IDS = [f"{name}-" + "-".join(f"{k}={v}" for k, v in kwargs.items()) for name, kwargs in CASES]


def _run(name, kwargs, lrs=None, mixed=False):
    """Train fitwell (flat and per-array) and PyTorch side by side; compare every step.

    ``mixed=True`` hands the flat optimiser separate gradient copies on odd steps, so
    its flat parameters and state are updated array by array there.
    """
    model = _model()
    flat_params, flat_grads = model.params, model.grads
    loose_params = {k: v.copy() for k, v in flat_params.items()}
    torch_params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
                    for k, v in flat_params.items()}
    problem = _Quadratic({k: v.shape for k, v in flat_params.items()})

    flat_opt = getattr(optim, name)(flat_params, **kwargs)
    loose_opt = getattr(optim, name)(loose_params, **kwargs)
    torch_opt = _torch_optimizer(name, list(torch_params.values()), kwargs)
    assert flat_opt._flat is not None and loose_opt._flat is None  # both paths exercised

    for t in range(STEPS):
        lr = None if lrs is None else lrs[t]
        for key in flat_params:
            np.copyto(flat_grads[key], problem.grad(key, flat_params[key], t))  # live views
        loose_grads = {k: problem.grad(k, v, t) for k, v in loose_params.items()}
        for key, p in torch_params.items():
            p.grad = torch.from_numpy(problem.grad(key, p.detach().numpy(), t))
        if mixed and t % 2:
            flat_opt.step({k: v.copy() for k, v in flat_grads.items()}, lr=lr)
        else:
            flat_opt.step(flat_grads, lr=lr)
        loose_opt.step(loose_grads, lr=lr)
        if lr is not None:
            for group in torch_opt.param_groups:
                group["lr"] = lr
        torch_opt.step()
        for key in flat_params:
            np.testing.assert_array_equal(flat_params[key], loose_params[key],
                                          err_msg=f"flat vs per-array, step {t}, {key}")
            np.testing.assert_allclose(flat_params[key], torch_params[key].detach().numpy(),
                                       rtol=RTOL, atol=ATOL,
                                       err_msg=f"fitwell vs torch, step {t}, {key}")
    # the flat path really updated the model's live arrays
    np.testing.assert_array_equal(model.params["0.weight"], flat_params["0.weight"])
    return model


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_trajectory_matches_torch(name, kwargs):
    model = _run(name, kwargs)
    assert np.all(np.isfinite(model._flat_params))


@pytest.mark.parametrize(("name", "kwargs"), CASES[1:4] + CASES[8:10] + CASES[13:15],
                         ids=IDS[1:4] + IDS[8:10] + IDS[13:15])
def test_flat_params_with_separate_grads(name, kwargs):
    """Flat parameters with gradients that are not one buffer (e.g. copies made by
    user code) take the per-array path on the same flat state, switching freely."""
    _run(name, kwargs, mixed=True)


_COSINE = schedules.Warmup(schedules.CosineAnnealing(0.05, t_max=STEPS - 10, min_lr=1e-3),
                           warmup_steps=10)
PER_STEP_LRS = [_COSINE(t) for t in range(STEPS)]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", dict(lr=0.5, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("SGD", dict(lr=0.5, momentum=0.9, dampening=0.3)),
        ("Adam", dict(lr=0.5, weight_decay=0.05)),
        ("AdamW", dict(lr=0.5, betas=(0.8, 0.99), weight_decay=0.1)),
    ],
    ids=["sgd-nesterov", "sgd-dampening", "adam", "adamw"],
)
def test_per_step_lr_matches_torch_param_group_lr(name, kwargs):
    """``step(grads, lr=schedule(t))`` is PyTorch with ``param_group['lr']`` set per step."""
    _run(name, kwargs, lrs=PER_STEP_LRS)


def test_lr_override_does_not_change_default():
    params = {"w": np.ones(3)}
    opt = optim.SGD(params, lr=0.1)
    opt.step({"w": np.ones(3)}, lr=0.5)
    np.testing.assert_allclose(params["w"], 0.5)
    opt.step({"w": np.ones(3)})
    np.testing.assert_allclose(params["w"], 0.4)
    assert opt.lr == 0.1
