"""Plots of training runs, as scikit-learn style Display objects.

Every display follows scikit-learn's pattern: a ``from_history`` / ``from_runs`` /
``from_schedules`` class method pulls the numbers out of fitwell objects, builds
the display and plots it; ``plot(ax=None)`` draws the stored numbers and returns
the display, with the figure in ``figure_`` and the axes in ``ax_``.

matplotlib is imported only when something is drawn, and no backend is ever
selected: when :mod:`matplotlib.pyplot` has not been imported, figures are plain
:class:`matplotlib.figure.Figure` objects, which need no backend and are not kept
alive by pyplot (they render with :func:`save_figure`); when the user has already
imported pyplot, figures are made through it, so ``plt.show()`` and notebooks keep
working as usual.

All displays share one look: training in blue, validation in orange, test in
green, the best epoch as a dashed slate line, a light grid and no top/right spines.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import math
import sys
from pathlib import Path

import numpy as np

__all__ = [
    "LossCurveDisplay", "ScoreCurveDisplay", "LearningRateDisplay", "ComparisonDisplay",
    "GapBarDisplay", "ScheduleComparisonDisplay", "save_figure", "plateau_loss", "COLORS",
    "VERDICT_COLORS",
]

#: One colour per curve role, the same in every plot.
COLORS = {
    "train": "#2563eb",
    "validation": "#ea580c",
    "test": "#059669",
    "lr": "#7c3aed",
    "best": "#475569",
    "muted": "#94a3b8",
}

#: One colour per verdict kind (see :mod:`fitwell.verdict`).
VERDICT_COLORS = {
    "good fit": "#15803d",
    "overfitting": "#c2410c",
    "underfitting": "#a16207",
    "diverged": "#b91c1c",
}

_INK = "#0f172a"
_SOFT_INK = "#475569"
_GRID = "#e2e8f0"
_EDGE = "#cbd5e1"

_STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Inter", "Helvetica Neue", "Arial", "DejaVu Sans"],
    "font.size": 10.5,
    "text.color": _INK,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlepad": 10,
    "axes.labelsize": 10.5,
    "axes.labelcolor": _SOFT_INK,
    "axes.edgecolor": _EDGE,
    "axes.linewidth": 0.8,
    "axes.facecolor": "white",
    "xtick.color": _SOFT_INK,
    "ytick.color": _SOFT_INK,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "xtick.minor.size": 0,
    "ytick.minor.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 9.5,
    "lines.linewidth": 2.0,
    "lines.solid_capstyle": "round",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}

# Set by the report writer: always build bare Figures, never pyplot-managed ones.
_DETACHED = contextvars.ContextVar("fitwell_report_detached", default=False)


@contextlib.contextmanager
def _detached_figures():
    """Within this block, new figures bypass pyplot even when it is imported."""
    token = _DETACHED.set(True)
    try:
        yield
    finally:
        _DETACHED.reset(token)


def _style():
    import matplotlib

    return matplotlib.rc_context(_STYLE)


def _new_figure(figsize):
    """A constrained-layout figure: pyplot's if the user imported pyplot, else a bare one."""
    if "matplotlib.pyplot" in sys.modules and not _DETACHED.get():
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _release(figure):
    """Let pyplot forget ``figure`` (if it knows it) once it has been saved."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        if getattr(figure.canvas, "manager", None) is not None:
            plt.close(figure)


def _axes(ax, figsize):
    if ax is not None:
        return ax
    return _new_figure(figsize).subplots()


def _styled_axes(figsize):
    """A new figure's single axes, created under the displays' style (for the report)."""
    with _style():
        return _new_figure(figsize).subplots()


def _tidy(ax, *, integer_x=True):
    """The shared look of an axes: light grid behind the data, no top/right spines."""
    from matplotlib.ticker import MaxNLocator

    ax.set_axisbelow(True)
    ax.grid(True, color=_GRID, linewidth=0.8)
    ax.grid(False, which="minor")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_EDGE)
    ax.tick_params(length=0, colors=_SOFT_INK)
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _values(column):
    """A float array with every non-finite value (inf, None) as ``nan``."""
    array = np.array([math.nan if v is None else v for v in column], dtype=float)
    array[~np.isfinite(array)] = np.nan
    return array


def _has_data(values):
    return values is not None and bool(np.isfinite(values).any())


def _spans_decades(values, decades=1.0):
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.min() > 0 and finite.max() / finite.min() >= 10**decades


def _log_worthy(values):
    """Whether a rate curve reads better on a log axis: it spends much of its time decades
    below its peak (step decay, exponential), not only its last steps (cosine to zero)."""
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.min() > 0 and finite.max() / np.median(finite) >= 5


def _title(what, name):
    return f"{what} — {name}" if name else what


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


def _legend_above(ax):
    """A one-row legend between the title and the plotting area: it never covers data.

    The title is raised to make room for it.
    """
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    legend = ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                       ncols=len(handles), borderaxespad=0.3, borderpad=0.0, handlelength=1.6,
                       columnspacing=1.4, handletextpad=0.5)
    title = ax.get_title(loc="left")
    if title:
        ax.set_title(title, loc="left", pad=26)
    return legend


def _curves(ax, epochs, train, val, *, train_label, val_label):
    lines = {}
    if _has_data(train):
        (lines["train"],) = ax.plot(epochs, train, color=COLORS["train"], label=train_label)
    if _has_data(val):
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


class _Display:
    """Shared plumbing: ``figure_``/``ax_`` and a readable repr."""

    figure_ = None
    ax_ = None

    def __repr__(self):
        name = getattr(self, "name", None)
        return f"{type(self).__name__}(name={name!r})" if name else f"{type(self).__name__}()"


class _CurveDisplay(_Display):
    """Two curves per epoch (training and validation) with the best epoch marked."""

    _what = ""
    _label_at = "top"

    def __init__(self, epochs, train, val=None, *, best_epoch=None, name=None):
        self.epochs = np.asarray(epochs, dtype=float)
        self._train = _values(train)
        self._val = None if val is None else _values(val)
        if self._val is not None and self._val.shape != self._train.shape:
            raise ValueError(f"{type(self).__name__}: training and validation curves must have "
                             f"the same length, got {self._train.size} and {self._val.size}")
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
        with _style():
            ax = _axes(ax, (6.4, 4.0))
            _tidy(ax)
            self.lines_ = _curves(ax, self.epochs, self._train, self._val,
                                  train_label="training", val_label="validation")
            self.best_line_ = self.best_marker_ = self.best_annotation_ = None
            if self.best_epoch is not None and self.epochs.size:
                reference = self._val if _has_data(self._val) else self._train
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
            ax.set_title(_title(self._what, name), loc="left")
            if legend:
                _legend_above(ax)
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
        if _spans_decades(values, decades=2):
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
        best = _pick_best(history, best_epoch, mark_best)
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
        best = _pick_best(history, best_epoch, mark_best)
        return cls(history["epoch"], history["train_score"], history["val_score"],
                   best_epoch=best, name=name, metric=metric).plot(ax=ax)


def _pick_best(history, best_epoch, mark_best):
    if not mark_best:
        return None
    if best_epoch is not None:
        return int(best_epoch)
    return history.best_epoch("val_loss", "min") if len(history) else None


def _draw_lr(ax, x, lr, *, color=COLORS["lr"], log=None, step="post"):
    """The learning-rate curve as steps with a soft fill; log scale when it spans decades.

    ``step="post"`` holds each value until the next step (a schedule's rate for
    step t); ``"mid"`` centres it on its epoch (a history's rate per epoch).
    """
    from matplotlib.ticker import FuncFormatter

    (line,) = ax.plot(x, lr, color=color, drawstyle=f"steps-{step}")
    log = _log_worthy(lr) if log is None else log
    finite = np.isfinite(lr)
    if log:
        ax.set_yscale("log")
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    if finite.any():
        floor = np.nanmin(lr) if log else 0.0
        ax.fill_between(np.asarray(x)[finite], lr[finite], floor, color=color, alpha=0.08,
                        linewidth=0, step=step)
        if not log:
            ax.set_ylim(bottom=0, top=np.nanmax(lr) * 1.08 or 1.0)
    return line, log


class LearningRateDisplay(_Display):
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
        self.lr = _values(lr)
        self.name = name

    def plot(self, ax=None, *, name=None):
        """Draw the learning rate on ``ax`` (a new figure when ``None``); returns ``self``."""
        name = self.name if name is None else name
        with _style():
            ax = _axes(ax, (6.4, 3.2))
            _tidy(ax)
            self.line_, self.log_scale_ = _draw_lr(ax, self.epochs, self.lr, step="mid")
            if self.epochs.size:
                ax.set_xlim(self.epochs[0] - 0.5, self.epochs[-1] + 0.5)
            if not _has_data(self.lr):
                ax.text(0.5, 0.5, "no learning rate recorded", transform=ax.transAxes,
                        ha="center", va="center", color=COLORS["muted"])
            ax.set_xlabel("epoch")
            ax.set_ylabel("learning rate")
            ax.set_title(_title("Learning rate", name), loc="left")
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


def _run_fields(run):
    verdict = getattr(run, "verdict", None)
    return {
        "name": run.name,
        "history": run.history,
        "best_epoch": getattr(run, "best_epoch", None),
        "metric": getattr(run, "metric", "accuracy"),
        "verdict": getattr(verdict, "kind", None),
    }


def _check_runs(runs, owner):
    runs = list(runs)
    if not runs:
        raise ValueError(f"{owner}: runs must hold at least one RunResult, got none")
    return runs


class ComparisonDisplay(_Display):
    """Several runs side by side: loss curves on top, score curves below, one column per run.

    Axes in a row share their y range, so the runs compare at a glance; each
    column is titled with the run name and its verdict (in the verdict's colour).

    Parameters
    ----------
    runs : sequence of fitwell.experiments.RunResult
        Anything with ``name``, ``history`` and optionally ``best_epoch``,
        ``metric`` and ``verdict``.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : ndarray of Axes, shape (2, n_runs)
        Row 0 the loss, row 1 the score.
    ax_ : matplotlib.axes.Axes
        ``axes_[0, 0]``.
    loss_displays_, score_displays_ : list of displays
        The per-run displays drawn into the grid.
    """

    def __init__(self, runs):
        self.runs = _check_runs(runs, "ComparisonDisplay")

    def plot(self, figure=None):
        """Draw the grid into ``figure`` (a new figure when ``None``); returns ``self``."""
        fields = [_run_fields(run) for run in self.runs]
        n = len(fields)
        metric = fields[0]["metric"]
        with _style():
            # ~4.3 in per run, but three or more runs squeeze into a page's width first
            width = min(4.3 * n + 0.8, max(10.4, 2.8 * n + 0.8))
            figure = figure if figure is not None else _new_figure((width, 7.2))
            axes = figure.subplots(2, n, sharex="col", sharey="row", squeeze=False)
            self.loss_displays_, self.score_displays_ = [], []
            for column, run in enumerate(fields):
                history = run["history"]
                best = run["best_epoch"] if run["best_epoch"] else _pick_best(history, None, True)
                loss = LossCurveDisplay(history["epoch"], history["train_loss"],
                                        history["val_loss"], best_epoch=best).plot(
                    ax=axes[0, column], legend=False)
                score = ScoreCurveDisplay(history["epoch"], history["train_score"],
                                          history["val_score"], best_epoch=best,
                                          metric=metric).plot(ax=axes[1, column], legend=False)
                axes[0, column].set_title(run["name"], loc="left")
                axes[1, column].set_title("", loc="left")
                if run["verdict"]:
                    axes[0, column].set_title(
                        run["verdict"], loc="right", fontsize=10, fontweight="bold",
                        color=VERDICT_COLORS.get(run["verdict"], _SOFT_INK))
                if column:
                    axes[0, column].set_ylabel("")
                    axes[1, column].set_ylabel("")
                axes[0, column].set_xlabel("")
                self.loss_displays_.append(loss)
                self.score_displays_.append(score)
            handles, labels = axes[0, 0].get_legend_handles_labels()
            figure.legend(handles, labels, loc="outside upper right", ncols=len(labels))
            score = "accuracy" if metric == "accuracy" else metric
            figure.suptitle(f"Loss (top) and {score} (bottom) per epoch", x=0.01, ha="left",
                            fontsize=13, fontweight="bold")
        self.figure_, self.axes_, self.ax_ = figure, axes, axes[0, 0]
        return self

    @classmethod
    def from_runs(cls, runs, *, figure=None):
        """Compare ``runs`` (e.g. a baseline and an improved recipe) side by side.

        Parameters
        ----------
        runs : sequence of fitwell.experiments.RunResult
        figure : matplotlib.figure.Figure, optional
            An empty figure to draw into.

        Returns
        -------
        ComparisonDisplay
        """
        return cls(runs).plot(figure=figure)


class GapBarDisplay(_Display):
    """Train, validation and test score per run, the train–test gap labelled in points.

    Scores are drawn in points (accuracy in %, R² × 100) so that the bars and
    the gap label speak the same unit. The y axis starts just below the lowest
    score, so a few points of gap stay visible; each bar carries its value.

    Parameters
    ----------
    names : sequence of str
    train, validation, test : sequence of float
        Scores as fractions.
    verdicts : sequence of str, optional
        Verdict kinds, which colour the gap labels.
    metric : str, default="accuracy"

    Attributes
    ----------
    ax_, figure_ : matplotlib axes and figure
    bars_ : dict of str to BarContainer
        ``"train"``, ``"validation"``, ``"test"``.
    gap_labels_ : list of matplotlib.text.Annotation
        One per run, e.g. ``"gap 4.2 pts"``.
    """

    def __init__(self, names, train, validation, test, *, verdicts=None, metric="accuracy"):
        self.names = [str(n) for n in names]
        self.train = _values(train)
        self.validation = _values(validation)
        self.test = _values(test)
        self.verdicts = list(verdicts) if verdicts is not None else [None] * len(self.names)
        self.metric = metric

    def plot(self, ax=None):
        """Draw the grouped bars on ``ax`` (a new figure when ``None``); returns ``self``."""
        n = len(self.names)
        points = {"train": 100 * self.train, "validation": 100 * self.validation,
                  "test": 100 * self.test}
        finite = np.concatenate([v[np.isfinite(v)] for v in points.values()])
        high = float(finite.max()) if finite.size else 100.0
        low = float(finite.min()) if finite.size else 0.0
        bottom = 0.0 if low <= 0 else max(0.0, 10 * math.floor((low - 8) / 10))
        if low < 0:
            bottom = 10 * math.floor(low / 10)
        width = 0.26
        x = np.arange(n, dtype=float)
        with _style():
            ax = _axes(ax, (max(6.4, 2.2 * n + 2.4), 4.2))
            _tidy(ax, integer_x=False)
            ax.grid(False, axis="x")
            self.bars_ = {}
            for i, (role, values) in enumerate(points.items()):
                heights = np.where(np.isfinite(values), values - bottom, 0.0)
                bars = ax.bar(x + (i - 1) * width, heights, width * 0.92, bottom=bottom,
                              color=COLORS[role], label=role, zorder=2)
                self.bars_[role] = bars
                for rect, value in zip(bars, values, strict=True):
                    if math.isfinite(value):
                        ax.annotate(f"{value:.1f}", (rect.get_x() + rect.get_width() / 2,
                                                     rect.get_y() + rect.get_height()),
                                    xytext=(0, 2), textcoords="offset points", ha="center",
                                    va="bottom", fontsize=8, color=_SOFT_INK)
            self.gap_labels_ = []
            for i in range(n):
                gap = points["train"][i] - points["test"][i]
                group_top = np.nanmax([points[r][i] for r in points]) \
                    if np.isfinite([points[r][i] for r in points]).any() else bottom
                text = f"gap {gap:.1f} pts" if math.isfinite(gap) else "gap n/a"
                colour = VERDICT_COLORS.get(self.verdicts[i], _INK)
                self.gap_labels_.append(ax.annotate(
                    text, (x[i], group_top), xytext=(0, 16), textcoords="offset points",
                    ha="center", va="bottom", fontsize=10, fontweight="bold", color=colour))
            ax.set_xticks(x, self.names)
            ax.tick_params(axis="x", labelsize=10.5, labelcolor=_INK)
            ax.set_xlim(-0.6, n - 0.4)
            span = max(high - bottom, 1.0)
            ax.set_ylim(bottom, high + 0.22 * span)
            unit = "%" if self.metric == "accuracy" else "× 100"
            ax.set_ylabel(f"{'accuracy' if self.metric == 'accuracy' else self.metric} ({unit})")
            ax.set_title(f"Final {'accuracy' if self.metric == 'accuracy' else self.metric}",
                         loc="left")
            _legend_above(ax)
            if bottom > 0:
                ax.annotate(f"axis starts at {bottom:g}", (0, 0), xycoords="axes fraction",
                            xytext=(4, 4), textcoords="offset points", fontsize=8,
                            color=COLORS["muted"], ha="left", va="bottom")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_runs(cls, runs, *, ax=None):
        """Bars of each run's final scores with its train–test gap.

        Parameters
        ----------
        runs : sequence of fitwell.experiments.RunResult
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        GapBarDisplay
        """
        runs = _check_runs(runs, "GapBarDisplay")
        return cls([r.name for r in runs], [r.train_score for r in runs],
                   [r.val_score for r in runs], [r.test_score for r in runs],
                   verdicts=[getattr(getattr(r, "verdict", None), "kind", None) for r in runs],
                   metric=getattr(runs[0], "metric", "accuracy")).plot(ax=ax)


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
        return _values([schedule(t) for t in range(epochs)])
    schedule = copy.deepcopy(schedule)  # never advance the caller's schedule
    for owner in (schedule, getattr(schedule, "schedule", None)):
        if hasattr(owner, "reset"):
            owner.reset()
    rates = []
    for t in range(epochs):
        rates.append(schedule(t))
        schedule.step(float(loss[t]))
    return _values(rates)


class ScheduleComparisonDisplay(_Display):
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
        self.traces = {str(k): _values(v) for k, v in traces.items()}
        self.driven_by = {str(k): _values(v) for k, v in (driven_by or {}).items()}

    def plot(self, figure=None, *, ncols=None):
        """Draw the panels into ``figure`` (a new one when ``None``); returns ``self``."""
        names = list(self.traces)
        n = len(names)
        ncols = ncols or min(n, 4 if n in (4, 7, 8) or n > 9 else 3)
        nrows = math.ceil(n / ncols)
        with _style():
            figure = figure if figure is not None \
                else _new_figure((3.6 * ncols + 0.4, 2.75 * nrows + 0.7))
            grid = figure.subplots(nrows, ncols, sharex=True, squeeze=False)
            self.axes_ = {}
            for index, ax in enumerate(grid.flat):
                if index >= n:
                    ax.set_visible(False)
                    continue
                name = names[index]
                lr = self.traces[name]
                steps = np.arange(lr.size)
                _tidy(ax)
                driven = name in self.driven_by
                # a plateau schedule's drops are factors: show them as equal steps
                _draw_lr(ax, steps, lr, log=_spans_decades(lr, 2) if driven else None)
                ax.tick_params(labelsize=8.5)
                if driven:
                    twin = ax.twinx()
                    twin.plot(steps, self.driven_by[name], color=COLORS["muted"], linewidth=1.1,
                              linestyle=(0, (3, 2)), zorder=1)
                    twin.tick_params(length=0, labelsize=7.5, colors=COLORS["muted"])
                    for side in ("top", "left", "bottom"):
                        twin.spines[side].set_visible(False)
                    twin.spines["right"].set_color(_GRID)
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
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 2:
            raise ValueError(f"ScheduleComparisonDisplay: epochs must be an integer >= 2, "
                             f"got {epochs!r}")
        if not schedules:
            raise ValueError("ScheduleComparisonDisplay: schedules must name at least one "
                             "schedule, got none")
        loss = plateau_loss(epochs) if loss is None else _values(loss)
        if loss.shape != (epochs,):
            raise ValueError(f"ScheduleComparisonDisplay: loss must have {epochs} values, "
                             f"got shape {loss.shape}")
        traces, driven = {}, {}
        for name, schedule in schedules.items():
            traces[name] = _trace(schedule, epochs, loss)
            if _is_stateful(schedule):
                driven[name] = loss
        return cls(traces, driven_by=driven).plot(figure=figure, ncols=ncols)


def save_figure(display_or_figure, path, *, dpi=150):
    """Save a display's figure (or a figure) as an image; returns the path.

    Parameters
    ----------
    display_or_figure : display or matplotlib.figure.Figure
        Anything with a ``figure_`` attribute, or a figure.
    path : str or os.PathLike
        Target file; its suffix picks the format (``.png``, ``.svg``, ``.pdf``).
        Missing parent folders are created.
    dpi : int, default=150

    Returns
    -------
    pathlib.Path
    """
    figure = getattr(display_or_figure, "figure_", display_or_figure)
    if figure is None or not hasattr(figure, "savefig"):
        raise ValueError("save_figure: expected a display that has been plotted or a "
                         f"matplotlib Figure, got {type(display_or_figure).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _style():
        figure.savefig(path, dpi=dpi, facecolor="white")
    return path
