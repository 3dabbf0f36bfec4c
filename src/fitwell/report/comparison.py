"""Runs compared: their learning curves side by side and their final scores as bars
with the train–test gap, as scikit-learn style displays (``from_runs``, then
``plot() -> self``)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ._display import Display, finite_values, legend_above, pick_best
from ._style import COLORS, INK, SOFT_INK, VERDICT_COLORS, axes_or_new, new_figure, styled, tidy
from .curves import LossCurveDisplay, ScoreCurveDisplay

__all__ = ["ComparisonDisplay", "GapBarDisplay"]


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
        raise ParameterError(f"{owner}: runs must hold at least one run result, got none; "
                             "pass a list of runs")
    return runs


class ComparisonDisplay(Display):
    """Several runs side by side: loss curves on top, score curves below, one column per run.

    Axes in a row share their y range, so the runs compare at a glance; each
    column is titled with the run name and its verdict (in the verdict's colour).

    Parameters
    ----------
    runs : sequence of run results
        Objects with ``name`` and ``history`` (a :class:`~fitwell.training.History`)
        and optionally ``best_epoch``, ``metric`` and ``verdict`` (read for its
        ``kind``), as :class:`fitwell.experiments.RunResult` has.

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
        with styled():
            # ~4.3 in per run, but three or more runs squeeze into a page's width first
            width = min(4.3 * n + 0.8, max(10.4, 2.8 * n + 0.8))
            figure = figure if figure is not None else new_figure((width, 7.2))
            axes = figure.subplots(2, n, sharex="col", sharey="row", squeeze=False)
            self.loss_displays_, self.score_displays_ = [], []
            for column, run in enumerate(fields):
                history = run["history"]
                best = run["best_epoch"] if run["best_epoch"] else pick_best(history, None, True)
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
                        color=VERDICT_COLORS.get(run["verdict"], SOFT_INK))
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
        runs : sequence of run results
            As in the class description.
        figure : matplotlib.figure.Figure, optional
            An empty figure to draw into.

        Returns
        -------
        ComparisonDisplay
        """
        return cls(runs).plot(figure=figure)


class GapBarDisplay(Display):
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
        self.train = finite_values(train)
        self.validation = finite_values(validation)
        self.test = finite_values(test)
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
        with styled():
            ax = axes_or_new(ax, (max(6.4, 2.2 * n + 2.4), 4.2))
            tidy(ax, integer_x=False)
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
                                    va="bottom", fontsize=8, color=SOFT_INK)
            self.gap_labels_ = []
            for i in range(n):
                gap = points["train"][i] - points["test"][i]
                group_top = np.nanmax([points[r][i] for r in points]) \
                    if np.isfinite([points[r][i] for r in points]).any() else bottom
                text = f"gap {gap:.1f} pts" if math.isfinite(gap) else "gap n/a"
                colour = VERDICT_COLORS.get(self.verdicts[i], INK)
                self.gap_labels_.append(ax.annotate(
                    text, (x[i], group_top), xytext=(0, 16), textcoords="offset points",
                    ha="center", va="bottom", fontsize=10, fontweight="bold", color=colour))
            ax.set_xticks(x, self.names)
            ax.tick_params(axis="x", labelsize=10.5, labelcolor=INK)
            ax.set_xlim(-0.6, n - 0.4)
            span = max(high - bottom, 1.0)
            ax.set_ylim(bottom, high + 0.22 * span)
            unit = "%" if self.metric == "accuracy" else "× 100"
            ax.set_ylabel(f"{'accuracy' if self.metric == 'accuracy' else self.metric} ({unit})")
            ax.set_title(f"Final {'accuracy' if self.metric == 'accuracy' else self.metric}",
                         loc="left")
            legend_above(ax)
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
        runs : sequence of run results
            Objects with ``name``, ``train_score``, ``val_score`` and ``test_score``
            (fractions) and optionally ``verdict`` (read for its ``kind``) and ``metric``
            (the first run's names the unit).
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
