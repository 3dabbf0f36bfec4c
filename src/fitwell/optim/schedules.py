"""Learning-rate schedules as pure functions of the step count ``t = 0, 1, 2, ...``.

Every schedule is validated when built and called as ``schedule(t) -> lr``; each
gives PyTorch's value at every step of its namesake (see the class docstrings for
the few places where fitwell deliberately differs). The step ``t`` counts whatever
the caller steps by — epochs or batches. :class:`ReduceLROnPlateau` alone has
state: it reacts to a monitored metric through ``step(metric)``.
"""

from __future__ import annotations

import bisect
import math

from .._validation import check_int, check_number, check_option
from ..errors import ParameterError

__all__ = [
    "Schedule", "Constant", "StepDecay", "MultiStep", "Exponential", "CosineAnnealing",
    "Warmup", "OneCycle", "CosineWarmRestarts", "ReduceLROnPlateau",
]


def _cosine(start, end, fraction):
    """Half a cosine from ``start`` (fraction 0) to ``end`` (fraction 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0


class Schedule:
    """Base class: ``schedule(t)`` is the learning rate at step ``t``."""

    #: whether the schedule reacts to a metric through ``step(metric)``
    stateful = False

    def __call__(self, t: int) -> float:
        return self.lr_at(check_int(t, "the step t", type(self).__name__, minimum=0))

    def lr_at(self, t: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement lr_at")

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class Constant(Schedule):
    """``lr(t) = base_lr``."""

    def __init__(self, base_lr):
        self.base_lr = check_number(base_lr, "base_lr", "Constant")

    def lr_at(self, t):
        return self.base_lr


class StepDecay(Schedule):
    """``lr(t) = base_lr * gamma ** (t // step_size)`` — PyTorch's ``StepLR``."""

    def __init__(self, base_lr, step_size, gamma=0.1):
        self.base_lr = check_number(base_lr, "base_lr", "StepDecay")
        self.step_size = check_int(step_size, "step_size", "StepDecay", minimum=1)
        self.gamma = check_number(gamma, "gamma", "StepDecay", low_open=True)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** (t // self.step_size)


class MultiStep(Schedule):
    """``lr(t) = base_lr * gamma ** (number of milestones <= t)`` — ``MultiStepLR``."""

    def __init__(self, base_lr, milestones, gamma=0.1):
        self.base_lr = check_number(base_lr, "base_lr", "MultiStep")
        milestones = [check_int(m, f"milestones[{index}]", "MultiStep", minimum=1)
                      for index, m in enumerate(milestones)]
        if not milestones or milestones != sorted(set(milestones)):
            raise ParameterError("MultiStep: milestones must be a non-empty increasing list of "
                                 f"positive integers, got {milestones!r}")
        self.milestones = milestones
        self.gamma = check_number(gamma, "gamma", "MultiStep", low_open=True)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class Exponential(Schedule):
    """``lr(t) = base_lr * gamma ** t`` — ``ExponentialLR``."""

    def __init__(self, base_lr, gamma):
        self.base_lr = check_number(base_lr, "base_lr", "Exponential")
        self.gamma = check_number(gamma, "gamma", "Exponential", low_open=True)

    def lr_at(self, t):
        return self.base_lr * self.gamma**t


class CosineAnnealing(Schedule):
    """Half a cosine from ``base_lr`` down to ``min_lr`` over ``t_max`` steps::

        lr(t) = min_lr + (base_lr - min_lr) * (1 + cos(pi * t / t_max)) / 2,  t <= t_max
        lr(t) = min_lr,                                                        t >  t_max

    Equal to PyTorch's ``CosineAnnealingLR`` up to ``t_max``. Past ``t_max``
    PyTorch keeps following the cosine and climbs back to ``base_lr``; fitwell
    stays at ``min_lr``, which is what a user training a little longer than
    planned wants. Use :class:`CosineWarmRestarts` for deliberate restarts.

    Loshchilov & Hutter, "SGDR", https://arxiv.org/abs/1608.03983
    """

    def __init__(self, base_lr, t_max, min_lr=0.0):
        self.base_lr = check_number(base_lr, "base_lr", "CosineAnnealing")
        self.t_max = check_int(t_max, "t_max", "CosineAnnealing", minimum=1)
        self.min_lr = check_number(min_lr, "min_lr", "CosineAnnealing", high=self.base_lr)

    def lr_at(self, t):
        if t >= self.t_max:
            return self.min_lr
        return _cosine(self.base_lr, self.min_lr, t / self.t_max)


class CosineWarmRestarts(Schedule):
    """Cosine annealing restarted every cycle, cycles growing by ``t_mult``.

    Cycle ``k`` lasts ``t_0 * t_mult ** k`` steps; within it
    ``lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * t_cur / t_i)) / 2``. PyTorch's
    ``CosineAnnealingWarmRestarts``.
    """

    def __init__(self, base_lr, t_0, t_mult=1, min_lr=0.0):
        self.base_lr = check_number(base_lr, "base_lr", "CosineWarmRestarts")
        self.t_0 = check_int(t_0, "t_0", "CosineWarmRestarts", minimum=1)
        self.t_mult = check_int(t_mult, "t_mult", "CosineWarmRestarts", minimum=1)
        self.min_lr = check_number(min_lr, "min_lr", "CosineWarmRestarts", high=self.base_lr)

    def lr_at(self, t):
        t_cur, t_i = t, self.t_0
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= self.t_mult
        return _cosine(self.base_lr, self.min_lr, t_cur / t_i)


class OneCycle(Schedule):
    """The 1cycle policy (Smith & Topin, https://arxiv.org/abs/1708.07120).

    From ``max_lr / div_factor`` up to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then down to ``max_lr / div_factor / final_div_factor``; with
    ``three_phase=True`` it first comes back to the initial rate, then anneals to
    the minimum. ``anneal_strategy`` is ``"cos"`` or ``"linear"``. PyTorch's
    ``OneCycleLR`` (learning rate only, no momentum cycling); past
    ``total_steps - 1`` it stays at the final rate where PyTorch raises.
    """

    def __init__(self, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        owner = "OneCycle"
        self.max_lr = check_number(max_lr, "max_lr", owner)
        self.total_steps = check_int(total_steps, "total_steps", owner, minimum=2)
        self.pct_start = check_number(pct_start, "pct_start", owner, low_open=True, high=1.0,
                                 high_open=True)
        self.anneal_strategy = check_option(anneal_strategy, "anneal_strategy", owner,
                                            ("cos", "linear"))
        self.div_factor = check_number(div_factor, "div_factor", owner, low_open=True)
        self.final_div_factor = check_number(final_div_factor, "final_div_factor", owner,
                                        low_open=True)
        self.three_phase = bool(three_phase)
        initial = self.max_lr / self.div_factor
        minimum = initial / self.final_div_factor
        up_end = self.pct_start * self.total_steps - 1
        if self.three_phase:
            self._phases = [(up_end, initial, self.max_lr),
                            (2 * self.pct_start * self.total_steps - 2, self.max_lr, initial),
                            (self.total_steps - 1, initial, minimum)]
        else:
            self._phases = [(up_end, initial, self.max_lr),
                            (self.total_steps - 1, self.max_lr, minimum)]
        boundaries = [end for end, _, _ in self._phases]
        if any(b <= a for a, b in zip([0.0, *boundaries], boundaries, strict=False)):
            raise ParameterError(f"{owner}: total_steps={self.total_steps} is too small for "
                             f"pct_start={self.pct_start}; every phase needs at least one step")

    def lr_at(self, t):
        t = min(t, self.total_steps - 1)
        start_step = 0.0
        for index, (end_step, start_lr, end_lr) in enumerate(self._phases):
            if t <= end_step or index == len(self._phases) - 1:
                fraction = (t - start_step) / (end_step - start_step)
                if self.anneal_strategy == "cos":
                    return _cosine(start_lr, end_lr, fraction)
                return start_lr + (end_lr - start_lr) * fraction
            start_step = end_step
        raise AssertionError("unreachable: the last phase always answers")


class ReduceLROnPlateau(Schedule):
    """Multiply the learning rate by ``factor`` when a metric stops improving.

    The one stateful schedule: call ``step(metric)`` once per evaluation; it
    returns the learning rate to use from then on, and ``schedule(t)`` returns the
    current rate whatever ``t``. PyTorch's rules exactly: with ``mode="min"`` and
    ``threshold_mode="rel"`` a metric improves when ``metric < best * (1 - threshold)``
    (a tie at the threshold is *not* an improvement); after more than ``patience``
    evaluations without improvement the rate is reduced (never below ``min_lr``,
    and not at all if the change is smaller than ``eps``), then ``cooldown``
    evaluations pass before counting again.
    """

    stateful = True

    def __init__(self, base_lr, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        owner = "ReduceLROnPlateau"
        self.base_lr = check_number(base_lr, "base_lr", owner)
        self.mode = check_option(mode, "mode", owner, ("min", "max"))
        self.threshold_mode = check_option(threshold_mode, "threshold_mode", owner,
                                           ("rel", "abs"))
        self.factor = check_number(factor, "factor", owner, high=1.0, high_open=True)
        self.patience = check_int(patience, "patience", owner, minimum=0)
        self.threshold = check_number(threshold, "threshold", owner)
        self.cooldown = check_int(cooldown, "cooldown", owner, minimum=0)
        self.min_lr = check_number(min_lr, "min_lr", owner)
        self.eps = check_number(eps, "eps", owner)
        self.reset()

    def reset(self):
        """Forget the history and return to ``base_lr``."""
        self.lr = self.base_lr
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, metric):
        if self.mode == "min":
            bound = self.best * (1.0 - self.threshold) if self.threshold_mode == "rel" \
                else self.best - self.threshold
            return metric < bound
        bound = self.best * (1.0 + self.threshold) if self.threshold_mode == "rel" \
            else self.best + self.threshold
        return metric > bound

    def step(self, metric) -> float:
        """Record ``metric`` and return the (possibly reduced) learning rate."""
        metric = float(metric)
        if self.is_better(metric):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            reduced = max(self.lr * self.factor, self.min_lr)
            if self.lr - reduced > self.eps:
                self.lr = reduced
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.lr

    def lr_at(self, t):
        return self.lr


class Warmup(Schedule):
    """A linear warm-up in front of another schedule::

        lr(t) = schedule(0) * (start_factor + (1 - start_factor) * t / warmup_steps)
                                            for t < warmup_steps
        lr(t) = schedule(t - warmup_steps)  otherwise

    PyTorch's ``SequentialLR([LinearLR(start_factor, total_iters=warmup_steps),
    schedule], milestones=[warmup_steps])``.

    The wrapped schedule may be :class:`ReduceLROnPlateau` — which PyTorch's
    ``SequentialLR`` refuses (pytorch/pytorch#68978). Metrics passed to
    :meth:`step` during the warm-up are ignored: a plateau cannot be judged while
    the rate is still rising.
    """

    def __init__(self, schedule, warmup_steps, start_factor=0.1):
        if not isinstance(schedule, Schedule):
            raise ParameterError(f"Warmup: schedule must be a fitwell schedule, got "
                             f"{type(schedule).__name__}")
        self.schedule = schedule
        self.warmup_steps = check_int(warmup_steps, "warmup_steps", "Warmup", minimum=0)
        self.start_factor = check_number(start_factor, "start_factor", "Warmup", low_open=True,
                                    high=1.0)
        self.stateful = schedule.stateful
        self._last_t = -1

    @property
    def base_lr(self):
        return self.schedule(0)

    def lr_at(self, t):
        self._last_t = max(self._last_t, t)
        return self._lr(t)

    def _lr(self, t):
        if t < self.warmup_steps:
            fraction = self.start_factor + (1.0 - self.start_factor) * t / self.warmup_steps
            return self.schedule(0) * fraction
        return self.schedule(t - self.warmup_steps)

    def step(self, metric) -> float:
        """Forward ``metric`` to the wrapped stateful schedule once the warm-up is over.

        A metric measured at a step ``t < warmup_steps`` (the last ``t`` this
        schedule was asked for) is ignored. Returns the rate of the next step.
        """
        if not self.stateful:
            raise ParameterError(f"Warmup: the wrapped {type(self.schedule).__name__} does not "
                                 "take metrics; wrap a ReduceLROnPlateau to step on a metric")
        if self._last_t >= self.warmup_steps:
            self.schedule.step(metric)
        return self._lr(self._last_t + 1)
