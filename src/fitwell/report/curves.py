"""Learning curves of one run, as scikit-learn style displays: the loss, the score
(accuracy or R²) and the learning rate per epoch.

Every display follows scikit-learn's pattern: a ``from_history`` class method pulls the
numbers out of a :class:`~fitwell.training.History`, builds the display and plots it;
``plot(ax=None)`` draws the stored numbers and returns the display, with the figure in
``figure_`` and the axes in ``ax_``. matplotlib is imported only when something is drawn
(see :mod:`fitwell.report._style` for how figures are made).

All displays share one look: training in blue, validation in orange, the best epoch as a
dashed slate line, a light grid and no top/right spines.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ._display import (
    Display,
    draw_lr,
    finite_values,
    has_data,
    legend_above,
    pick_best,
    spans_decades,
    titled,
)
from ._style import COLORS, axes_or_new, styled, tidy

__all__ = ["LossCurveDisplay", "ScoreCurveDisplay", "LearningRateDisplay"]


def _metric_label(metric):
    return "Accuracy" if metric == "accuracy" else str(metric)


def _score_formatter(metric):
    """Accuracy as a percentage; any other score as a plain number."""
    from matplotlib.ticker import PercentFormatter, ScalarFormatter

    return PercentFormatter(xmax=1.0, decimals=0) if metric == "accuracy" else ScalarFormatter()


def _format_score(value, metric):
    if not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.1f} %" if metric == "accuracy" else f"{value:.3f}"


def _curves(ax, epochs, train, val, *, train_label, val_label):
    lines = {}
    if has_data(train):
        (lines["train"],) = ax.plot(epochs, train, color=COLORS["train"], label=train_label)
    if has_data(val):
        (lines["validation"],) = ax.plot(epochs, val, color=COLORS["validation"],
                                         label=val_label)
    if len(epochs) <= 30:  # few epochs: show the measured points
        for line in lines.values():
            line.set_marker("o")
            line.set_markersize(3.5)
    return lines


def _mark_best(ax, epochs, curve, best_epoch, *, text, label_at="top"):
    """Dashed line, ring marker and a short label at ``best_epoch``.

    Returns ``(line, marker, annotation)``; the marker and annotation are
    ``None`` when ``curve`` has no finite value at that epoch.
    """
    line = ax.axvline(best_epoch, color=COLORS["best"], linestyle=(0, (4, 3)), linewidth=1.1,
                      alpha=0.85, zorder=1.5, label="best epoch")
    marker = None
    where = np.flatnonzero(np.asarray(epochs) == best_epoch)
    value = curve[where[0]] if where.size and curve is not None else math.nan
    if math.isfinite(value):
        (marker,) = ax.plot([best_epoch], [value], linestyle="none", marker="o", markersize=8,
                            markerfacecolor="white", markeredgecolor=COLORS["validation"],
                            markeredgewidth=2.2, zorder=5)
    span = (epochs[0], epochs[-1]) if len(epochs) else (best_epoch, best_epoch)
    right_half = best_epoch > (span[0] + span[1]) / 2
    y = 0.97 if label_at == "top" else 0.04
    annotation = ax.annotate(
        text, xy=(best_epoch, y), xycoords=("data", "axes fraction"),
        xytext=(-6 if right_half else 6, 0), textcoords="offset points",
        ha="right" if right_half else "left", va="top" if label_at == "top" else "bottom",
        fontsize=9, color=COLORS["best"],
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "none",
              "alpha": 0.85},
        zorder=6,
    )
    return line, marker, annotation


class _CurveDisplay(Display):
    """Two curves per epoch (training and validation) with the best epoch marked."""

    _what = ""
    _label_at = "top"

    def __init__(self, epochs, train, val=None, *, best_epoch=None, name=None):
        self.epochs = np.asarray(epochs, dtype=float)
        self._train = finite_values(train)
        self._val = None if val is None else finite_values(val)
        if self._val is not None and self._val.shape != self._train.shape:
            raise ParameterError(
                f"{type(self).__name__}: training and validation curves must have the same "
                f"length, got {self._train.size} and {self._val.size}; pass one value per epoch "
                "to each")
        self.best_epoch = None if best_epoch is None else int(best_epoch)
        self.name = name

    def _ylabel(self):
        raise NotImplementedError

    def _format_axis(self, ax):
        pass

    def _best_text(self, value):
        return f"best epoch {self.best_epoch}"

    def plot(self, ax=None, *, name=None, legend=True):
        """Draw the curves on ``ax`` (a new figure when ``None``).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; by default a new figure is made.
        name : str, optional
            Overrides the run name shown in the title.
        legend : bool, default=True
            Whether to draw the legend (above the plotting area, right-aligned).

        Returns
        -------
        self
            With ``ax_``, ``figure_``, ``lines_`` (dict of Line2D by role) and,
            when a best epoch is set, ``best_line_``, ``best_marker_`` and
            ``best_annotation_``.
        """
        name = self.name if name is None else name
        with styled():
            ax = axes_or_new(ax, (6.4, 4.0))
            tidy(ax)
            self.lines_ = _curves(ax, self.epochs, self._train, self._val,
                                  train_label="training", val_label="validation")
            self.best_line_ = self.best_marker_ = self.best_annotation_ = None
            if self.best_epoch is not None and self.epochs.size:
                reference = self._val if has_data(self._val) else self._train
                where = np.flatnonzero(self.epochs == self.best_epoch)
                value = reference[where[0]] if where.size else math.nan
                self.best_line_, self.best_marker_, self.best_annotation_ = _mark_best(
                    ax, self.epochs, reference, self.best_epoch,
                    text=self._best_text(value), label_at=self._label_at)
            ax.set_xlabel("epoch")
            ax.set_ylabel(self._ylabel())
            self._format_axis(ax)
            if self.epochs.size:
                ax.set_xlim(self.epochs[0] - 0.5, self.epochs[-1] + 0.5)
            ax.set_title(titled(self._what, name), loc="left")
            if legend:
                legend_above(ax)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class LossCurveDisplay(_CurveDisplay):
    """Training and validation loss per epoch, the best epoch marked.

    Build it with :meth:`from_history`; the constructor only stores the numbers.

    Parameters
    ----------
    epochs : array-like of int
        The 1-based epoch numbers.
    train_loss : array-like of float
        Training loss per epoch (non-finite values are left out of the plot).
    val_loss : array-like of float, optional
        Validation loss per epoch.
    best_epoch : int, optional
        Epoch to mark with a dashed line, a ring on the validation curve and a label.
    name : str, optional
        Run name, shown in the title.

    Attributes
    ----------
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    lines_ : dict of str to matplotlib.lines.Line2D
        ``"train"`` and ``"validation"`` curves.
    best_line_, best_marker_, best_annotation_ : matplotlib artists or None
        The best-epoch marking.

    Examples
    --------
    >>> from fitwell.report import LossCurveDisplay
    >>> display = LossCurveDisplay.from_history(clf.history_, name="baseline")  # doctest: +SKIP
    >>> display.figure_.savefig("loss.png")  # doctest: +SKIP
    """

    _what = "Loss"

    def __init__(self, epochs, train_loss, val_loss=None, *, best_epoch=None, name=None):
        super().__init__(epochs, train_loss, val_loss, best_epoch=best_epoch, name=name)

    @property
    def train_loss(self):
        return self._train

    @property
    def val_loss(self):
        return self._val

    def _ylabel(self):
        return "loss"

    def _best_text(self, value):
        text = f"best epoch {self.best_epoch}"
        return f"{text} · val loss {value:.3g}" if math.isfinite(value) else text

    def _format_axis(self, ax):
        values = np.concatenate([v for v in (self._train, self._val) if v is not None])
        if spans_decades(values, decades=2):
            ax.set_yscale("log")

    @classmethod
    def from_history(cls, history, best_epoch=None, name=None, *, ax=None, mark_best=True):
        """Plot the loss curves of a :class:`~fitwell.training.History`.

        Parameters
        ----------
        history : fitwell.training.History
            A fitted estimator's ``history_`` or a run's ``history``.
        best_epoch : int, optional
            Epoch to mark; by default the epoch with the lowest validation loss.
        name : str, optional
            Run name for the title.
        ax : matplotlib.axes.Axes, optional
            Axes to draw on.
        mark_best : bool, default=True
            Set to False to mark no epoch.

        Returns
        -------
        LossCurveDisplay
        """
        best = pick_best(history, best_epoch, mark_best)
        return cls(history["epoch"], history["train_loss"], history["val_loss"],
                   best_epoch=best, name=name).plot(ax=ax)


class ScoreCurveDisplay(_CurveDisplay):
    """Training and validation score (accuracy or R²) per epoch.

    Parameters
    ----------
    epochs : array-like of int
    train_score, val_score : array-like of float
        Scores as fractions (accuracy) or R² values.
    best_epoch : int, optional
        Epoch to mark.
    name : str, optional
        Run name for the title.
    metric : str, default="accuracy"
        ``"accuracy"`` (shown as a percentage) or another score name such as ``"R²"``.

    Attributes
    ----------
    ax_, figure_, lines_, best_line_, best_marker_, best_annotation_
        As in :class:`LossCurveDisplay`.
    """

    _label_at = "bottom"

    def __init__(self, epochs, train_score, val_score=None, *, best_epoch=None, name=None,
                 metric="accuracy"):
        super().__init__(epochs, train_score, val_score, best_epoch=best_epoch, name=name)
        self.metric = metric

    @property
    def _what(self):
        return _metric_label(self.metric)

    @property
    def train_score(self):
        return self._train

    @property
    def val_score(self):
        return self._val

    def _ylabel(self):
        return "accuracy" if self.metric == "accuracy" else str(self.metric)

    def _best_text(self, value):
        text = f"best epoch {self.best_epoch}"
        if math.isfinite(value):
            text += f" · val {_format_score(value, self.metric)}"
        return text

    def _format_axis(self, ax):
        ax.yaxis.set_major_formatter(_score_formatter(self.metric))

    @classmethod
    def from_history(cls, history, best_epoch=None, name=None, metric="accuracy", *, ax=None,
                     mark_best=True):
        """Plot the score curves of a :class:`~fitwell.training.History`.

        Parameters
        ----------
        history : fitwell.training.History
        best_epoch : int, optional
            Epoch to mark; by default the epoch with the lowest validation loss.
        name : str, optional
        metric : str, default="accuracy"
            ``"accuracy"`` for classifiers, ``"R²"`` for regressors.
        ax : matplotlib.axes.Axes, optional
        mark_best : bool, default=True

        Returns
        -------
        ScoreCurveDisplay
        """
        best = pick_best(history, best_epoch, mark_best)
        return cls(history["epoch"], history["train_score"], history["val_score"],
                   best_epoch=best, name=name, metric=metric).plot(ax=ax)


class LearningRateDisplay(Display):
    """The learning rate actually used at each epoch.

    The y axis turns logarithmic when the rate spends much of the run well below
    its peak (the peak is five times the median or more), as step and exponential
    decays do; a cosine that only reaches zero at its end stays linear.

    Parameters
    ----------
    epochs : array-like of int
    lr : array-like of float
    name : str, optional

    Attributes
    ----------
    ax_, figure_ : matplotlib axes and figure
    line_ : matplotlib.lines.Line2D
    log_scale_ : bool
        Whether the y axis is logarithmic.
    """

    def __init__(self, epochs, lr, *, name=None):
        self.epochs = np.asarray(epochs, dtype=float)
        self.lr = finite_values(lr)
        self.name = name

    def plot(self, ax=None, *, name=None):
        """Draw the learning rate on ``ax`` (a new figure when ``None``); returns ``self``."""
        name = self.name if name is None else name
        with styled():
            ax = axes_or_new(ax, (6.4, 3.2))
            tidy(ax)
            self.line_, self.log_scale_ = draw_lr(ax, self.epochs, self.lr, step="mid")
            if self.epochs.size:
                ax.set_xlim(self.epochs[0] - 0.5, self.epochs[-1] + 0.5)
            if not has_data(self.lr):
                ax.text(0.5, 0.5, "no learning rate recorded", transform=ax.transAxes,
                        ha="center", va="center", color=COLORS["muted"])
            ax.set_xlabel("epoch")
            ax.set_ylabel("learning rate")
            ax.set_title(titled("Learning rate", name), loc="left")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_history(cls, history, name=None, *, ax=None):
        """Plot the ``lr`` column of a :class:`~fitwell.training.History`.

        Parameters
        ----------
        history : fitwell.training.History
        name : str, optional
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        LearningRateDisplay
        """
        return cls(history["epoch"], history["lr"], name=name).plot(ax=ax)
