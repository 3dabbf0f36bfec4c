"""Every learning-rate schedule side by side, evaluated without training; a stateful
schedule is driven by a synthetic loss that plateaus (:func:`plateau_loss`)."""

from __future__ import annotations

import copy
import math

import numpy as np

from .._validation import check_int
from ..errors import ParameterError
from ._display import Display, draw_lr, finite_values, spans_decades
from ._style import COLORS, GRID, new_figure, styled, tidy

__all__ = ["ScheduleComparisonDisplay", "plateau_loss"]


def plateau_loss(epochs, *, plateau_at=0.35):
    """A synthetic validation loss that falls, then stops improving at ``plateau_at``.

    Used to drive :class:`~fitwell.optim.schedules.ReduceLROnPlateau` when
    schedules are compared without training. Deterministic: an exponential decay
    held flat from ``plateau_at * epochs`` on, plus a small ripple that never dips
    below the plateau (so the plateau really is one).

    Parameters
    ----------
    epochs : int
    plateau_at : float, default=0.35
        Fraction of the epochs after which the loss no longer improves.

    Returns
    -------
    ndarray of shape (epochs,)
    """
    t = np.arange(epochs, dtype=float)
    start = max(1, int(plateau_at * epochs))
    decay = 0.3 + 0.9 * np.exp(-4.0 * t / start)
    held = np.maximum(decay, decay[min(start, epochs - 1)])
    return held + 0.006 * (1.0 + np.sin(2.3 * t)) / 2.0


def _is_stateful(schedule):
    return bool(getattr(schedule, "stateful", False)) and hasattr(schedule, "step")


def _trace(schedule, epochs, loss):
    """The rate of ``schedule`` at steps ``0 .. epochs-1``; a stateful one is fed ``loss``."""
    if not _is_stateful(schedule):
        return finite_values([schedule(t) for t in range(epochs)])
    schedule = copy.deepcopy(schedule)  # never advance the caller's schedule
    for owner in (schedule, getattr(schedule, "schedule", None)):
        if hasattr(owner, "reset"):
            owner.reset()
    rates = []
    for t in range(epochs):
        rates.append(schedule(t))
        schedule.step(float(loss[t]))
    return finite_values(rates)


class ScheduleComparisonDisplay(Display):
    """Every learning-rate schedule in its own small panel, side by side.

    Stateless schedules are evaluated at steps ``0 .. epochs-1``. A stateful one
    (:class:`~fitwell.optim.schedules.ReduceLROnPlateau`, or a warm-up around it)
    is driven by a synthetic loss that plateaus (:func:`plateau_loss`), drawn in grey
    on a second axis in its panel; its title says so.

    Parameters
    ----------
    traces : dict of str to array-like
        Learning rate per step, by schedule name.
    driven_by : dict of str to array-like, optional
        The metric that drove each stateful schedule.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : dict of str to Axes
        One panel per schedule.
    ax_ : matplotlib.axes.Axes
        The first panel.
    """

    def __init__(self, traces, *, driven_by=None):
        self.traces = {str(k): finite_values(v) for k, v in traces.items()}
        self.driven_by = {str(k): finite_values(v) for k, v in (driven_by or {}).items()}

    def plot(self, figure=None, *, ncols=None):
        """Draw the panels into ``figure`` (a new one when ``None``); returns ``self``."""
        names = list(self.traces)
        n = len(names)
        ncols = ncols or min(n, 4 if n in (4, 7, 8) or n > 9 else 3)
        nrows = math.ceil(n / ncols)
        with styled():
            figure = figure if figure is not None \
                else new_figure((3.6 * ncols + 0.4, 2.75 * nrows + 0.7))
            grid = figure.subplots(nrows, ncols, sharex=True, squeeze=False)
            self.axes_ = {}
            for index, ax in enumerate(grid.flat):
                if index >= n:
                    ax.set_visible(False)
                    continue
                name = names[index]
                lr = self.traces[name]
                steps = np.arange(lr.size)
                tidy(ax)
                driven = name in self.driven_by
                # a plateau schedule's drops are factors: show them as equal steps
                draw_lr(ax, steps, lr, log=spans_decades(lr, 2) if driven else None)
                ax.tick_params(labelsize=8.5)
                if driven:
                    twin = ax.twinx()
                    twin.plot(steps, self.driven_by[name], color=COLORS["muted"], linewidth=1.1,
                              linestyle=(0, (3, 2)), zorder=1)
                    twin.tick_params(length=0, labelsize=7.5, colors=COLORS["muted"])
                    for side in ("top", "left", "bottom"):
                        twin.spines[side].set_visible(False)
                    twin.spines["right"].set_color(GRID)
                    twin.set_ylabel("synthetic loss", fontsize=8, color=COLORS["muted"])
                    ax.set_zorder(twin.get_zorder() + 1)
                    ax.patch.set_visible(False)
                    ax.set_title(f"{name}\ndriven by a synthetic plateauing loss", loc="left",
                                 fontsize=10.5, linespacing=1.3)
                else:
                    ax.set_title(name, loc="left", fontsize=10.5)
                if index % ncols == 0:
                    ax.set_ylabel("learning rate", fontsize=9)
                if index + ncols >= n:
                    ax.set_xlabel("epoch", fontsize=9)
                    ax.xaxis.set_tick_params(labelbottom=True)
                self.axes_[name] = ax
            figure.suptitle("Learning-rate schedules", x=0.01, ha="left", fontsize=13,
                            fontweight="bold")
        self.figure_ = figure
        self.ax_ = self.axes_[names[0]] if names else None
        return self

    @classmethod
    def from_schedules(cls, schedules, epochs=100, *, loss=None, figure=None, ncols=None):
        """Evaluate and draw each schedule over ``epochs`` steps.

        Parameters
        ----------
        schedules : dict of str to schedule
            Callables ``schedule(t) -> lr`` (fitwell schedules or plain functions).
            Stateful ones are copied before being driven: the caller's objects
            are left untouched.
        epochs : int, default=100
        loss : array-like of shape (epochs,), optional
            The metric that drives stateful schedules; by default
            :func:`plateau_loss`.
        figure : matplotlib.figure.Figure, optional
        ncols : int, optional
            Panels per row (by default 3 or 4).

        Returns
        -------
        ScheduleComparisonDisplay
        """
        epochs = check_int(epochs, "epochs", "ScheduleComparisonDisplay", minimum=2)
        if not schedules:
            raise ParameterError("ScheduleComparisonDisplay: schedules must name at least one "
                                 "schedule, got none; pass a dict of name -> schedule")
        loss = plateau_loss(epochs) if loss is None else finite_values(loss)
        if loss.shape != (epochs,):
            raise ParameterError(f"ScheduleComparisonDisplay: loss must have {epochs} values "
                                 f"(one per epoch), got shape {loss.shape}")
        traces, driven = {}, {}
        for name, schedule in schedules.items():
            traces[name] = _trace(schedule, epochs, loss)
            if _is_stateful(schedule):
                driven[name] = loss
        return cls(traces, driven_by=driven).plot(figure=figure, ncols=ncols)
