"""Figures of sweeps and ablations, as scikit-learn style displays: a heat-map of a two-key
grid, the validation score per swept key, learning curves of the best and worst
configurations, and each technique's contribution with its interval.

Each display is built from plain rows (dicts) by a ``from_rows`` / ``from_histories`` class
method, which stores the numbers and plots them; ``plot()`` draws the stored numbers and
returns the display, with the figure in ``figure_``. Scores are in points (accuracy in %).
The rows are the configuration summaries of a sweep or an ablation; each display says
which keys it reads. These figures keep matplotlib's default fonts and ticks, within the
shared palette and frame of :mod:`fitwell.report._style`.
"""

from __future__ import annotations

import math

import numpy as np

from ._display import Display
from ._style import COLORS, INK, axes_or_new, light_frame, new_figure

__all__ = ["SweepHeatmapDisplay", "ParameterEffectsDisplay", "BestWorstCurvesDisplay",
           "AblationContributionsDisplay"]

_METRIC_COLORS = {"train": COLORS["train"], "val": COLORS["validation"],
                  "test": COLORS["test"], "gap": COLORS["gap"]}
_METRIC_NAMES = {"train": "training", "val": "validation", "test": "test", "gap": "gap"}


def _text(value):
    """A swept value as a tick label: ``0.001``, ``[64,32]``, ``batch``."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return str(value)


def _is_numeric(values):
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _ordered_values(overrides, key):
    """The distinct values of ``key`` across ``overrides``: numbers sorted, others as first
    seen."""
    values = []
    for chosen in overrides:
        value = chosen.get(key)
        if value not in values:
            values.append(value)
    if _is_numeric(values):
        values.sort()
    return values


class SweepHeatmapDisplay(Display):
    """Mean score over seeds of every cell of a two-key grid, each cell annotated.

    Parameters
    ----------
    scores : array-like of shape (len(y_values), len(x_values))
        Mean score in points; ``nan`` for a cell without a result (shown as "—").
    x_values, y_values : sequence
        The values of the two keys, in axis order.
    x_key, y_key : str
        The keys' names, for the axis labels.
    metric : {"val", "train", "test", "gap"}, default="val"

    Attributes
    ----------
    figure_, ax_ : matplotlib figure and axes
    image_ : matplotlib.image.AxesImage
    colorbar_ : matplotlib.colorbar.Colorbar
    """

    def __init__(self, scores, x_values, y_values, *, x_key, y_key, metric="val"):
        self.scores = np.asarray(scores, dtype=float)
        self.x_values, self.y_values = list(x_values), list(y_values)
        self.x_key, self.y_key, self.metric = x_key, y_key, metric

    def plot(self, ax=None):
        """Draw the heat-map on ``ax`` (a new figure when ``None``); returns ``self``."""
        xs, ys, grid = self.x_values, self.y_values, self.scores
        ax = axes_or_new(ax, (1.2 + 1.1 * len(xs), 1.2 + 0.7 * len(ys)))
        finite = grid[np.isfinite(grid)]
        self.image_ = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", aspect="auto",
                                vmin=finite.min() if finite.size else 0,
                                vmax=finite.max() if finite.size else 1)
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        for i in range(len(ys)):
            for j in range(len(xs)):
                value = grid[i, j]
                ax.text(j, i, "—" if math.isnan(value) else f"{value:.1f}", ha="center",
                        va="center", fontsize=9, color="white" if value < middle else "black")
        ax.set_xticks(range(len(xs)), [_text(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_text(v) for v in ys])
        ax.set_xlabel(self.x_key)
        ax.set_ylabel(self.y_key)
        ax.set_title(f"mean {_METRIC_NAMES[self.metric]} accuracy (%) over seeds", fontsize=10)
        self.colorbar_ = ax.figure.colorbar(self.image_, ax=ax, shrink=0.9)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_rows(cls, rows, x_key, y_key, metric="val", *, ax=None):
        """The heat-map of a sweep's configuration rows.

        Parameters
        ----------
        rows : sequence of dict
            One per configuration, with ``"overrides"`` (the swept key -> value) and
            ``"<metric>_mean"`` (points).
        x_key, y_key : str
            The keys along the columns and the rows.
        metric : {"val", "train", "test", "gap"}, default="val"
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        SweepHeatmapDisplay
        """
        overrides = [row["overrides"] for row in rows]
        xs, ys = _ordered_values(overrides, x_key), _ordered_values(overrides, y_key)
        scores = np.full((len(ys), len(xs)), np.nan)
        for row in rows:
            x, y = row["overrides"].get(x_key), row["overrides"].get(y_key)
            if x in xs and y in ys:
                scores[ys.index(y), xs.index(x)] = row[f"{metric}_mean"]
        return cls(scores, xs, ys, x_key=x_key, y_key=y_key, metric=metric).plot(ax=ax)


class ParameterEffectsDisplay(Display):
    """One panel per swept key: each configuration's mean validation score with its 95 %
    interval against the key's value; the line joins the best configuration per value.

    Keys in ``continuous_keys`` (the ranges of a search) get a numeric axis (log for
    ``log_keys``); the values of a grid are evenly spaced categories.

    Parameters
    ----------
    configurations : sequence of (dict, float, float, float)
        ``(overrides, mean, ci_low, ci_high)`` per configuration, scores in points;
        ``nan`` bounds when there is no interval (one seed).
    keys : sequence of str
    log_keys, continuous_keys : collection of str, optional

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : dict of str to Axes
        One panel per key.
    ax_ : matplotlib.axes.Axes
        The first panel.
    """

    def __init__(self, configurations, keys, *, log_keys=(), continuous_keys=()):
        self.configurations = list(configurations)
        self.keys = list(keys)
        self.log_keys, self.continuous_keys = set(log_keys), set(continuous_keys)

    def plot(self, figure=None):
        """Draw the panels into ``figure`` (a new one when ``None``); returns ``self``."""
        keys, configurations = self.keys, self.configurations
        figure = figure if figure is not None else new_figure((max(4.0, 3.6 * len(keys)), 3.2))
        self.axes_ = {}
        for index, key in enumerate(keys):
            ax = figure.add_subplot(1, len(keys), index + 1)
            light_frame(ax)
            self._draw_key(ax, key)
            whiskers = [v for _, mean, low, high in configurations for v in (low, high, mean)
                        if not math.isnan(v)]
            if whiskers:
                ax.set_ylim(max(min(whiskers), 0.0) - 1.0, min(max(whiskers), 100.0) + 1.0)
            if index == 0:
                ax.set_ylabel("validation accuracy (%)")
            self.axes_[key] = ax
        figure.suptitle("validation score per swept key (mean and 95 % interval over seeds)",
                        fontsize=10)
        self.figure_ = figure
        self.ax_ = self.axes_[keys[0]] if keys else None
        return self

    def _draw_key(self, ax, key):
        values = _ordered_values([overrides for overrides, *_ in self.configurations], key)
        continuous = _is_numeric(values) and key in self.continuous_keys
        position = (lambda v: v) if continuous else values.index
        best = {}
        for overrides, mean, low, high in self.configurations:
            x = position(overrides.get(key))
            if math.isnan(low):
                ax.plot([x], [mean], "o", color=_METRIC_COLORS["val"], alpha=0.7, markersize=4)
            else:
                ax.errorbar([x], [mean], yerr=[[mean - low], [high - mean]], fmt="o",
                            color=_METRIC_COLORS["val"], alpha=0.7, markersize=4, capsize=2,
                            linewidth=1)
            if x not in best or mean > best[x]:
                best[x] = mean
        line = sorted(best.items())
        if line and not continuous:
            ax.plot([p for p, _ in line], [m for _, m in line], "-", color=INK, linewidth=1,
                    alpha=0.6, label="best per value")
            ax.legend(fontsize=8, frameon=False, loc="lower right")
        if continuous:
            if key in self.log_keys:
                ax.set_xscale("log")
        else:
            ax.set_xticks(range(len(values)), [_text(v) for v in values])
        ax.set_xlabel(key)

    @classmethod
    def from_rows(cls, rows, keys, *, log_keys=(), continuous_keys=(), figure=None):
        """The panels of a sweep's configuration rows; rows without a complete seed are
        left out.

        Parameters
        ----------
        rows : sequence of dict
            One per configuration, with ``"overrides"``, ``"seeds"`` (complete seeds),
            ``"val_mean"``, ``"val_ci_low"`` and ``"val_ci_high"`` (points).
        keys : sequence of str
            The swept keys, one panel each.
        log_keys, continuous_keys : collection of str, optional
        figure : matplotlib.figure.Figure, optional

        Returns
        -------
        ParameterEffectsDisplay
        """
        configurations = [(row["overrides"], row["val_mean"], row["val_ci_low"],
                           row["val_ci_high"]) for row in rows if row["seeds"]]
        return cls(configurations, keys, log_keys=log_keys,
                   continuous_keys=continuous_keys).plot(figure=figure)


def _points(history, column):
    """A history column (fractions, ``None`` for a missing value) in points."""
    values = (history or {}).get(column) or []
    return [math.nan if v is None else 100.0 * v for v in values]


class BestWorstCurvesDisplay(Display):
    """Training and validation accuracy per epoch of every seed of the best (left) and
    worst (right) configurations.

    Parameters
    ----------
    best_label, worst_label : str
        The configurations' labels.
    best_curves, worst_curves : sequence of (array-like, array-like)
        ``(training, validation)`` accuracy per epoch in points, one pair per seed.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : list of Axes
        The best's panel, then the worst's (they share the y axis).
    ax_ : matplotlib.axes.Axes
        The best's panel.
    """

    def __init__(self, best_label, best_curves, worst_label, worst_curves):
        self.panels = [("best", best_label, list(best_curves)),
                       ("worst", worst_label, list(worst_curves))]

    def plot(self, figure=None):
        """Draw both panels into ``figure`` (a new one when ``None``); returns ``self``."""
        figure = figure if figure is not None else new_figure((9.0, 3.4))
        self.axes_ = []
        shared = None
        for index, (which, label, curves) in enumerate(self.panels):
            ax = figure.add_subplot(1, 2, index + 1, sharey=shared)
            shared = shared or ax
            light_frame(ax)
            for seed_index, pair in enumerate(curves):
                for curve, role, name in zip(pair, ("train", "val"), ("training", "validation"),
                                             strict=True):
                    ax.plot(range(1, len(curve) + 1), curve, color=_METRIC_COLORS[role],
                            linewidth=1, alpha=0.75, label=name if seed_index == 0 else None)
            ax.set_title(f"{which}: {label}", fontsize=9)
            ax.set_xlabel("epoch")
            if index == 0:
                ax.set_ylabel("accuracy (%)")
            if curves:
                ax.legend(fontsize=8, frameon=False, loc="lower right")
            self.axes_.append(ax)
        figure.suptitle("learning curves, one line per seed", fontsize=10)
        self.figure_, self.ax_ = figure, self.axes_[0]
        return self

    @classmethod
    def from_histories(cls, best_label, best_histories, worst_label, worst_histories, *,
                       figure=None):
        """The curves of the seeds' histories.

        Parameters
        ----------
        best_label, worst_label : str
        best_histories, worst_histories : sequence of dict
            One per seed: ``"train_score"`` and ``"val_score"`` per epoch, as fractions
            (``None`` where missing).
        figure : matplotlib.figure.Figure, optional

        Returns
        -------
        BestWorstCurvesDisplay
        """
        def curves(histories):
            return [(_points(h, "train_score"), _points(h, "val_score")) for h in histories]

        return cls(best_label, curves(best_histories), worst_label,
                   curves(worst_histories)).plot(figure=figure)


_DELTA_LABELS = {"val": "Δ validation accuracy", "test": "Δ test accuracy",
                 "gap": "Δ gap (negative: narrower)"}


class AblationContributionsDisplay(Display):
    """Each removed technique's paired contribution (full − without it) to validation and
    test accuracy and to the gap, with 95 % intervals, one panel per measure.

    Parameters
    ----------
    techniques : sequence of str
        One bar per technique, top to bottom.
    deltas : dict of str to sequence of (float, float, float)
        For ``"val"``, ``"test"`` and ``"gap"``: ``(mean, ci_low, ci_high)`` per technique,
        in points; a ``nan`` mean draws no bar, ``nan`` bounds no whisker.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
    axes_ : dict of str to Axes
        ``"val"``, ``"test"``, ``"gap"``.
    ax_ : matplotlib.axes.Axes
        The validation panel.
    """

    def __init__(self, techniques, deltas):
        self.techniques = list(techniques)
        self.deltas = {metric: list(deltas[metric]) for metric in _DELTA_LABELS}

    def plot(self, figure=None):
        """Draw the panels into ``figure`` (a new one when ``None``); returns ``self``."""
        n = len(self.techniques)
        figure = figure if figure is not None else new_figure((10.0, 1.2 + 0.45 * max(1, n)))
        self.axes_ = {}
        for index, (metric, label) in enumerate(_DELTA_LABELS.items()):
            ax = figure.add_subplot(1, 3, index + 1)
            light_frame(ax)
            for position, (mean, low, high) in enumerate(self.deltas[metric]):
                if math.isnan(mean):
                    continue
                ax.barh(position, mean, color=_METRIC_COLORS[metric], alpha=0.75, height=0.6)
                if not math.isnan(low):
                    ax.errorbar([mean], [position], xerr=[[mean - low], [high - mean]],
                                fmt="none", ecolor=INK, capsize=3, linewidth=1)
            ax.axvline(0, color=INK, linewidth=0.8)
            ax.set_yticks(range(n), self.techniques if index == 0 else [""] * n)
            ax.invert_yaxis()
            ax.set_xlabel(f"{label} (points)")
            self.axes_[metric] = ax
        figure.suptitle("contribution of each technique: full recipe − recipe without it "
                        "(mean and 95 % interval over paired seeds)", fontsize=10)
        self.figure_, self.ax_ = figure, self.axes_["val"]
        return self

    @classmethod
    def from_rows(cls, rows, *, figure=None):
        """The contributions of an ablation's variant rows (the ``"full"`` row is the
        reference and gets no bar).

        Parameters
        ----------
        rows : sequence of dict
            One per variant, with ``"config"``, ``"technique"`` and, for ``m`` in
            ``val``, ``test``, ``gap``: ``"delta_m_mean"``, ``"delta_m_ci_low"``,
            ``"delta_m_ci_high"`` (points).
        figure : matplotlib.figure.Figure, optional

        Returns
        -------
        AblationContributionsDisplay
        """
        items = [row for row in rows if row["config"] != "full"]
        deltas = {metric: [(row[f"delta_{metric}_mean"], row[f"delta_{metric}_ci_low"],
                            row[f"delta_{metric}_ci_high"]) for row in items]
                  for metric in _DELTA_LABELS}
        return cls([row["technique"] for row in items], deltas).plot(figure=figure)
