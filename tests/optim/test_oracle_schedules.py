"""Every learning-rate schedule against its PyTorch counterpart, step by step.

PyTorch schedulers are driven through a dummy ``torch.optim.SGD``: the rate read
from its param group before the ``t``-th ``scheduler.step()`` is PyTorch's rate
for step ``t``, which fitwell's ``schedule(t)`` must reproduce. Several PyTorch
schedulers are recursive (each rate derived from the previous one) where fitwell
uses the closed form, so the two agree to rounding, not bit for bit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from fitwell import schedules

torch.set_num_threads(1)

RTOL = 1e-12


def _optimizer(lr):
    return torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=lr)


def _torch_lrs(make_scheduler, lr, steps):
    """The rate PyTorch uses at steps ``0 .. steps - 1``."""
    optimizer = _optimizer(lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's deprecated step(epoch) inside
        scheduler = make_scheduler(optimizer)
        lrs = []
        for _ in range(steps):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return np.array(lrs)


def _fitwell_lrs(schedule, steps):
    return np.array([schedule(t) for t in range(steps)])


def _assert_lrs_equal(fitwell, expected, rtol=RTOL):
    np.testing.assert_allclose(fitwell, expected, rtol=rtol, atol=1e-15)


lr_sched = torch.optim.lr_scheduler


# -- the memoryless schedules --------------------------------------------------------------
@pytest.mark.parametrize(
    ("schedule", "make_torch", "steps"),
    [
        (schedules.StepDecay(0.1, step_size=7, gamma=0.5),
         lambda o: lr_sched.StepLR(o, step_size=7, gamma=0.5), 50),
        (schedules.StepDecay(0.3, step_size=1, gamma=0.9),
         lambda o: lr_sched.StepLR(o, step_size=1, gamma=0.9), 30),
        (schedules.MultiStep(0.1, milestones=[3, 10, 11, 25], gamma=0.3),
         lambda o: lr_sched.MultiStepLR(o, milestones=[3, 10, 11, 25], gamma=0.3), 60),
        (schedules.Exponential(0.2, gamma=0.95),
         lambda o: lr_sched.ExponentialLR(o, gamma=0.95), 80),
        (schedules.CosineAnnealing(0.1, t_max=40),
         lambda o: lr_sched.CosineAnnealingLR(o, T_max=40), 41),
        (schedules.CosineAnnealing(0.5, t_max=25, min_lr=0.01),
         lambda o: lr_sched.CosineAnnealingLR(o, T_max=25, eta_min=0.01), 26),
        (schedules.CosineAnnealing(0.1, t_max=1, min_lr=0.001),
         lambda o: lr_sched.CosineAnnealingLR(o, T_max=1, eta_min=0.001), 2),
        (schedules.CosineWarmRestarts(0.1, t_0=10),
         lambda o: lr_sched.CosineAnnealingWarmRestarts(o, T_0=10), 45),
        (schedules.CosineWarmRestarts(0.1, t_0=10, min_lr=0.002),
         lambda o: lr_sched.CosineAnnealingWarmRestarts(o, T_0=10, eta_min=0.002), 45),
        (schedules.CosineWarmRestarts(0.2, t_0=4, t_mult=2),
         lambda o: lr_sched.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2), 70),
        (schedules.CosineWarmRestarts(0.2, t_0=3, t_mult=2, min_lr=0.05),
         lambda o: lr_sched.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.05), 60),
        (schedules.CosineWarmRestarts(0.2, t_0=1),
         lambda o: lr_sched.CosineAnnealingWarmRestarts(o, T_0=1), 5),
    ],
    ids=["step7", "step1", "multistep", "exponential", "cosine", "cosine-min", "cosine-t1",
         "restarts", "restarts-min", "restarts-mult2", "restarts-mult2-min", "restarts-t1"],
)
def test_schedule_matches_torch(schedule, make_torch, steps):
    base_lr = schedule(0)
    _assert_lrs_equal(_fitwell_lrs(schedule, steps), _torch_lrs(make_torch, base_lr, steps))


def test_cosine_stays_at_min_lr_after_t_max_where_torch_climbs_back():
    t_max, base_lr, min_lr = 10, 0.1, 0.01
    schedule = schedules.CosineAnnealing(base_lr, t_max=t_max, min_lr=min_lr)
    torch_lrs = _torch_lrs(
        lambda o: lr_sched.CosineAnnealingLR(o, T_max=t_max, eta_min=min_lr), base_lr,
        3 * t_max + 1)
    ours = _fitwell_lrs(schedule, 3 * t_max + 1)
    _assert_lrs_equal(ours[: t_max + 1], torch_lrs[: t_max + 1])
    assert np.all(ours[t_max:] == min_lr)
    # PyTorch keeps following the cosine: back up to base_lr at 2 * t_max.
    assert torch_lrs[t_max + 1] > min_lr
    assert torch_lrs[2 * t_max] == pytest.approx(base_lr, rel=1e-12)


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
@pytest.mark.parametrize(
    ("total_steps", "pct_start", "div_factor", "final_div_factor"),
    [(100, 0.3, 25.0, 1e4), (37, 0.25, 10.0, 100.0), (20, 0.4, 5.0, 1e3)],
)
def test_one_cycle_matches_torch(total_steps, pct_start, div_factor, final_div_factor,
                                 anneal_strategy, three_phase):
    kwargs = dict(total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal_strategy,
                  div_factor=div_factor, final_div_factor=final_div_factor,
                  three_phase=three_phase)
    schedule = schedules.OneCycle(0.5, **kwargs)
    expected = _torch_lrs(
        lambda o: lr_sched.OneCycleLR(o, max_lr=0.5, cycle_momentum=False, **kwargs),
        0.5, total_steps)  # PyTorch raises past total_steps - 1
    _assert_lrs_equal(_fitwell_lrs(schedule, total_steps), expected)
    # fitwell stays at the final rate afterwards
    assert schedule(total_steps) == schedule(total_steps - 1) == schedule(10 * total_steps)


@pytest.mark.parametrize(
    ("inner", "make_inner"),
    [
        (schedules.CosineAnnealing(0.1, t_max=30, min_lr=0.001),
         lambda o: lr_sched.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
        (schedules.StepDecay(0.1, step_size=6, gamma=0.5),
         lambda o: lr_sched.StepLR(o, step_size=6, gamma=0.5)),
        (schedules.Exponential(0.1, gamma=0.9),
         lambda o: lr_sched.ExponentialLR(o, gamma=0.9)),
    ],
    ids=["cosine", "step", "exponential"],
)
@pytest.mark.parametrize(("warmup_steps", "start_factor"), [(5, 0.1), (1, 0.5), (12, 0.01)])
def test_warmup_matches_sequential_lr(inner, make_inner, warmup_steps, start_factor):
    schedule = schedules.Warmup(inner, warmup_steps=warmup_steps, start_factor=start_factor)
    steps = warmup_steps + 31  # up to the end of the cosine (PyTorch climbs back after)

    def make_torch(optimizer):
        warmup = lr_sched.LinearLR(optimizer, start_factor=start_factor, end_factor=1.0,
                                   total_iters=warmup_steps)
        return lr_sched.SequentialLR(optimizer, [warmup, make_inner(optimizer)],
                                     milestones=[warmup_steps])

    _assert_lrs_equal(_fitwell_lrs(schedule, steps), _torch_lrs(make_torch, 0.1, steps))


# -- closed-form endpoints -------------------------------------------------------------------
def test_constant():
    assert all(schedules.Constant(0.3)(t) == 0.3 for t in (0, 1, 1000))


def test_step_decay_and_multistep_endpoints():
    step = schedules.StepDecay(1.0, step_size=10, gamma=0.5)
    assert step(0) == step(9) == 1.0
    assert step(10) == step(19) == 0.5 and step(29) == 0.25 and step(30) == 0.125
    multi = schedules.MultiStep(1.0, milestones=[2, 5], gamma=0.1)
    assert [multi(t) for t in (0, 1, 2, 4, 5, 100)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01], rel=1e-15)


def test_exponential_endpoints():
    schedule = schedules.Exponential(2.0, gamma=0.5)
    assert schedule(0) == 2.0 and schedule(3) == 0.25


def test_cosine_endpoints():
    schedule = schedules.CosineAnnealing(0.4, t_max=20, min_lr=0.02)
    assert schedule(0) == 0.4
    assert schedule(10) == pytest.approx(0.21, rel=1e-14)  # half-way: the mean
    assert schedule(20) == 0.02 and schedule(500) == 0.02
    lrs = _fitwell_lrs(schedule, 21)
    assert np.all(np.diff(lrs) < 0)


def test_one_cycle_endpoints():
    schedule = schedules.OneCycle(1.0, total_steps=101, pct_start=0.3, div_factor=20.0,
                                  final_div_factor=50.0)
    lrs = _fitwell_lrs(schedule, 101)
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(1.0 / 20.0, rel=1e-15)
    assert lrs.max() <= 1.0 and lrs[peak] == pytest.approx(1.0, rel=1e-3)
    assert peak in (29, 30)  # the peak sits at pct_start * total_steps - 1 = 29.3
    assert lrs[-1] == pytest.approx(1.0 / 20.0 / 50.0, rel=1e-14)
    exact = schedules.OneCycle(1.0, total_steps=100, pct_start=0.3)
    assert exact(29) == 1.0  # end of the warm phase hit exactly


def test_one_cycle_three_phase_endpoints():
    schedule = schedules.OneCycle(1.0, total_steps=100, pct_start=0.25, div_factor=10.0,
                                  final_div_factor=100.0, three_phase=True)
    assert schedule(0) == pytest.approx(0.1, rel=1e-15)
    assert schedule(24) == 1.0  # pct_start * total_steps - 1
    assert schedule(48) == pytest.approx(0.1, rel=1e-15)  # 2 * pct_start * total - 2
    assert schedule(99) == pytest.approx(0.001, rel=1e-14)


def test_cosine_warm_restarts_endpoints():
    schedule = schedules.CosineWarmRestarts(0.1, t_0=5, t_mult=2, min_lr=0.01)
    for restart in (0, 5, 15, 35):  # cycles of 5, 10, 20 steps
        assert schedule(restart) == 0.1
        assert schedule(restart + 1) < 0.1
    assert schedule(4) > 0.01 and schedule(14) > 0.01


def test_warmup_endpoints():
    schedule = schedules.Warmup(schedules.Constant(0.2), warmup_steps=4, start_factor=0.25)
    assert [schedule(t) for t in range(6)] == pytest.approx(
        [0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2], rel=1e-15)
    no_warmup = schedules.Warmup(schedules.Exponential(0.2, 0.5), warmup_steps=0)
    assert no_warmup(0) == 0.2 and no_warmup(2) == 0.05


# -- ReduceLROnPlateau: scripted metric sequences --------------------------------------------
def _plateau_pair(metrics, **kwargs):
    """Rates after each metric: fitwell's ``step`` results and PyTorch's param-group lr."""
    base_lr = kwargs.pop("base_lr", 1.0)
    ours = schedules.ReduceLROnPlateau(base_lr, **kwargs)
    optimizer = _optimizer(base_lr)
    theirs = lr_sched.ReduceLROnPlateau(optimizer, **kwargs)
    got, expected = [], []
    for metric in metrics:
        got.append(ours.step(metric))
        assert ours(0) == got[-1]  # lr_at reports the current rate whatever t
        optimizer.step()
        theirs.step(metric)
        expected.append(optimizer.param_groups[0]["lr"])
    return np.array(got), np.array(expected)


def _tie_sequence_min_rel(threshold):
    """Improvements, then values landing exactly on ``best * (1 - threshold)``: not better."""
    best = 1.0
    metrics = [best]
    for _ in range(4):
        metrics.append(best * (1.0 - threshold))  # a tie at the boundary: not an improvement
    metrics.append(best * (1.0 - threshold) * 0.999)  # just below: an improvement
    best = metrics[-1]
    metrics += [best * (1.0 - threshold)] * 5
    return metrics


def _tie_sequence_max_rel(threshold):
    best = 2.0
    metrics = [best] + [best * (threshold + 1.0)] * 4 + [best * (threshold + 1.0) * 1.001]
    best = metrics[-1]
    return metrics + [best * (threshold + 1.0)] * 5


def _tie_sequence_abs(threshold, sign):
    best = 0.5
    metrics = [best] + [best + sign * threshold] * 4 + [best + sign * threshold * 1.5]
    best = metrics[-1]
    return metrics + [best + sign * threshold] * 5


_RNG = np.random.default_rng(1234)
_NOISY = list(np.round(1.0 / np.arange(1, 41) + 0.05 * _RNG.standard_normal(40), 6))
_NOISY_UP = [-m for m in _NOISY]


@pytest.mark.parametrize(
    ("metrics", "kwargs"),
    [
        (_NOISY, dict(patience=2)),
        (_NOISY, dict(patience=0, factor=0.5)),
        (_NOISY, dict(patience=1, factor=0.5, cooldown=3)),
        (_NOISY, dict(patience=1, factor=0.5, min_lr=0.1)),
        (_NOISY, dict(patience=1, factor=0.5, threshold=0.05, threshold_mode="abs")),
        (_NOISY, dict(patience=1, factor=0.5, threshold=0.1, threshold_mode="rel", cooldown=1)),
        (_NOISY, dict(patience=0, factor=0.9, eps=0.05, base_lr=0.3)),
        (_NOISY_UP, dict(mode="max", patience=2, factor=0.3)),
        (_NOISY_UP, dict(mode="max", patience=1, threshold=0.02, threshold_mode="abs",
                         cooldown=2, min_lr=0.05)),
        ([float(v) for v in range(1, 30)], dict(mode="max", patience=0)),
        ([1.0] * 30, dict(patience=3, factor=0.5, min_lr=1e-3)),
        (_tie_sequence_min_rel(0.1), dict(patience=2, threshold=0.1)),
        (_tie_sequence_min_rel(1e-4), dict(patience=3)),
        (_tie_sequence_max_rel(0.1), dict(mode="max", patience=2, threshold=0.1)),
        (_tie_sequence_abs(0.25, -1.0), dict(patience=2, threshold=0.25, threshold_mode="abs")),
        (_tie_sequence_abs(0.25, 1.0), dict(mode="max", patience=2, threshold=0.25,
                                            threshold_mode="abs")),
    ],
    ids=["min", "patience0", "cooldown", "min_lr", "abs", "rel-cooldown", "eps", "max",
         "max-abs-cooldown-min_lr", "max-always-better", "flat", "tie-min-rel",
         "tie-min-rel-default", "tie-max-rel", "tie-min-abs", "tie-max-abs"],
)
def test_reduce_on_plateau_matches_torch(metrics, kwargs):
    got, expected = _plateau_pair(metrics, **kwargs)
    np.testing.assert_array_equal(got, expected)


def test_reduce_on_plateau_tie_is_not_an_improvement():
    metrics = _tie_sequence_min_rel(0.1)
    got, _ = _plateau_pair(metrics, patience=2, threshold=0.1)
    # the metric at index 0 sets best; three ties (indices 1-3) exceed patience=2
    assert got[2] == 1.0 and got[3] == pytest.approx(0.1)


def test_reduce_on_plateau_reset():
    schedule = schedules.ReduceLROnPlateau(0.5, patience=0)
    schedule.step(1.0)
    assert schedule.step(2.0) == pytest.approx(0.05)
    schedule.reset()
    assert schedule(0) == 0.5 and schedule.best == math.inf


# -- Warmup around ReduceLROnPlateau (PyTorch's SequentialLR refuses this) -----------------
def test_torch_sequential_lr_refuses_plateau():
    optimizer = _optimizer(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warmup = lr_sched.LinearLR(optimizer, start_factor=0.1, total_iters=3)
        plateau = lr_sched.ReduceLROnPlateau(optimizer)
        with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
            lr_sched.SequentialLR(optimizer, [warmup, plateau], milestones=[3])


def test_warmup_around_reduce_on_plateau():
    warmup_steps, base_lr, start_factor = 5, 0.1, 0.2
    schedule = schedules.Warmup(
        schedules.ReduceLROnPlateau(base_lr, patience=2, factor=0.5), warmup_steps=warmup_steps,
        start_factor=start_factor)
    assert schedule.stateful
    # Metrics during warm-up get worse and worse: they must be ignored.
    warm_metrics = [1.0, 2.0, 3.0, 4.0, 5.0]
    after_metrics = [6.0, 5.0, 5.0, 5.0, 5.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    lrs, next_lrs = [], []
    for t, metric in enumerate(warm_metrics + after_metrics):
        lrs.append(schedule(t))
        next_lrs.append(schedule.step(metric))
    lrs, next_lrs = np.array(lrs), np.array(next_lrs)

    # the ramp is PyTorch's LinearLR
    ramp = _torch_lrs(
        lambda o: lr_sched.LinearLR(o, start_factor=start_factor, total_iters=warmup_steps),
        base_lr, warmup_steps + 1)
    np.testing.assert_allclose(lrs[:warmup_steps], ramp[:warmup_steps], rtol=RTOL)
    assert np.all(np.diff(lrs[: warmup_steps + 1]) > 0)
    assert lrs[warmup_steps] == base_lr  # nothing of the warm-up metrics leaked into it

    # after the warm-up: PyTorch's ReduceLROnPlateau fed only the post-warm-up metrics
    _, expected = _plateau_pair(after_metrics, base_lr=base_lr, patience=2, factor=0.5)
    np.testing.assert_array_equal(next_lrs[warmup_steps:], expected)
    np.testing.assert_array_equal(lrs[warmup_steps + 1:], expected[:-1])
    assert expected[-1] < base_lr / 2  # the plateaus did reduce the rate (twice)
    # step() during the warm-up reports the next step's rate
    np.testing.assert_allclose(next_lrs[: warmup_steps - 1], lrs[1:warmup_steps], rtol=0)


def test_warmup_step_refuses_memoryless_schedule():
    schedule = schedules.Warmup(schedules.Constant(0.1), warmup_steps=2)
    schedule(0)
    with pytest.raises(ValueError, match="does not take metrics"):
        schedule.step(1.0)
