"""Figures of sweeps and ablations: a heat-map of a two-key grid, the validation score
per swept key, learning curves of the best and worst configurations, and each
technique's contribution with its interval.

Each function takes the rows of :mod:`fitwell.experiments.results` and returns a
:class:`matplotlib.figure.Figure` built directly (no pyplot, no backend chosen, nothing
kept alive); matplotlib is imported only when a figure is drawn. Scores are in points.
"""

from __future__ import annotations

import io
import math

__all__ = ["sweep_heatmap", "parameter_effects", "best_worst_curves", "ablation_contributions",
           "figure_png", "COLORS"]

#: the palette of fitwell's run plots: training blue, validation orange, test green
COLORS = {"train": "#2563eb", "val": "#ea580c", "test": "#059669", "gap": "#7c3aed",
          "muted": "#94a3b8", "ink": "#0f172a", "grid": "#e2e8f0"}
_METRIC_NAMES = {"train": "training", "val": "validation", "test": "test", "gap": "gap"}


def _figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _tidy(ax):
    ax.grid(True, color=COLORS["grid"], linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _text(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return str(value)


def _ordered_values(rows, key):
    """The distinct values of ``key`` across rows: numbers sorted, others as first seen."""
    values = []
    for row in rows:
        value = row["overrides"].get(key)
        if value not in values:
            values.append(value)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        values.sort()
    return values


def figure_png(figure, dpi=110) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def sweep_heatmap(rows, x_key, y_key, metric="val"):
    """Mean ``metric`` over seeds for every cell of a two-key grid, annotated."""
    import numpy as np

    xs, ys = _ordered_values(rows, x_key), _ordered_values(rows, y_key)
    grid = np.full((len(ys), len(xs)), np.nan)
    for row in rows:
        x, y = row["overrides"].get(x_key), row["overrides"].get(y_key)
        if x in xs and y in ys:
            grid[ys.index(y), xs.index(x)] = row[f"{metric}_mean"]
    figure = _figure(1.2 + 1.1 * len(xs), 1.2 + 0.7 * len(ys))
    ax = figure.add_subplot()
    finite = grid[np.isfinite(grid)]
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", aspect="auto",
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
    ax.set_xlabel(x_key)
    ax.set_ylabel(y_key)
    ax.set_title(f"mean {_METRIC_NAMES[metric]} accuracy (%) over seeds", fontsize=10)
    figure.colorbar(image, ax=ax, shrink=0.9)
    return figure


def parameter_effects(rows, keys, log_keys=(), continuous_keys=()):
    """One panel per swept key: each configuration's mean validation score with its 95 %
    interval against the key's value; the line joins the best configuration per value.

    Keys in ``continuous_keys`` (the ranges of a search) get a numeric axis (log for
    ``log_keys``); the values of a grid are evenly spaced categories.
    """
    keys = list(keys)
    figure = _figure(max(4.0, 3.6 * len(keys)), 3.2)
    done = [r for r in rows if r["seeds"]]
    for index, key in enumerate(keys):
        ax = figure.add_subplot(1, len(keys), index + 1)
        _tidy(ax)
        values = _ordered_values(done, key)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        continuous = numeric and key in continuous_keys
        position = (lambda v: v) if continuous else (lambda v, vs=values: vs.index(v))
        best = {}
        for row in done:
            value = row["overrides"].get(key)
            x, mean = position(value), row["val_mean"]
            low, high = row["val_ci_low"], row["val_ci_high"]
            if math.isnan(low):
                ax.plot([x], [mean], "o", color=COLORS["val"], alpha=0.7, markersize=4)
            else:
                ax.errorbar([x], [mean], yerr=[[mean - low], [high - mean]], fmt="o",
                            color=COLORS["val"], alpha=0.7, markersize=4, capsize=2,
                            linewidth=1)
            if x not in best or mean > best[x]:
                best[x] = mean
        line = sorted(best.items())
        if line and not continuous:
            ax.plot([p for p, _ in line], [m for _, m in line], "-", color=COLORS["ink"],
                    linewidth=1, alpha=0.6, label="best per value")
            ax.legend(fontsize=8, frameon=False, loc="lower right")
        if continuous:
            if key in log_keys:
                ax.set_xscale("log")
        else:
            ax.set_xticks(range(len(values)), [_text(v) for v in values])
        ax.set_xlabel(key)
        whiskers = [v for r in done for v in (r["val_ci_low"], r["val_ci_high"], r["val_mean"])
                    if not math.isnan(v)]
        if whiskers:
            ax.set_ylim(max(min(whiskers), 0.0) - 1.0, min(max(whiskers), 100.0) + 1.0)
        if index == 0:
            ax.set_ylabel("validation accuracy (%)")
    figure.suptitle("validation score per swept key (mean and 95 % interval over seeds)",
                    fontsize=10)
    return figure


def _curve(history, column):
    values = (history or {}).get(column) or []
    return [math.nan if v is None else 100.0 * v for v in values]


def best_worst_curves(best_label, best_histories, worst_label, worst_histories):
    """Training and validation accuracy per epoch of every seed of the best (left) and
    worst (right) configurations."""
    figure = _figure(9.0, 3.4)
    panels = [("best", best_label, best_histories), ("worst", worst_label, worst_histories)]
    shared = None
    for index, (which, label, histories) in enumerate(panels):
        ax = figure.add_subplot(1, 2, index + 1, sharey=shared)
        shared = shared or ax
        _tidy(ax)
        for seed_index, history in enumerate(histories):
            for column, color, name in (("train_score", COLORS["train"], "training"),
                                        ("val_score", COLORS["val"], "validation")):
                curve = _curve(history, column)
                ax.plot(range(1, len(curve) + 1), curve, color=color, linewidth=1, alpha=0.75,
                        label=name if seed_index == 0 else None)
        ax.set_title(f"{which}: {label}", fontsize=9)
        ax.set_xlabel("epoch")
        if index == 0:
            ax.set_ylabel("accuracy (%)")
        if histories:
            ax.legend(fontsize=8, frameon=False, loc="lower right")
    figure.suptitle("learning curves, one line per seed", fontsize=10)
    return figure


def ablation_contributions(rows):
    """Each removed technique's paired contribution (full − without it) to validation
    and test accuracy and to the gap, with 95 % intervals; bars coloured by verdict."""
    items = [r for r in rows if r["config"] != "full"]
    figure = _figure(10.0, 1.2 + 0.45 * max(1, len(items)))
    names = [r["technique"] for r in items]
    for index, metric in enumerate(("val", "test", "gap")):
        ax = figure.add_subplot(1, 3, index + 1)
        _tidy(ax)
        for position, row in enumerate(items):
            mean = row[f"delta_{metric}_mean"]
            low, high = row[f"delta_{metric}_ci_low"], row[f"delta_{metric}_ci_high"]
            if math.isnan(mean):
                continue
            ax.barh(position, mean, color=COLORS[metric], alpha=0.75, height=0.6)
            if not math.isnan(low):
                ax.errorbar([mean], [position], xerr=[[mean - low], [high - mean]], fmt="none",
                            ecolor=COLORS["ink"], capsize=3, linewidth=1)
        ax.axvline(0, color=COLORS["ink"], linewidth=0.8)
        ax.set_yticks(range(len(items)), names if index == 0 else [""] * len(items))
        ax.invert_yaxis()
        what = {"val": "Δ validation accuracy", "test": "Δ test accuracy",
                "gap": "Δ gap (negative: narrower)"}[metric]
        ax.set_xlabel(f"{what} (points)")
    figure.suptitle("contribution of each technique: full recipe − recipe without it "
                    "(mean and 95 % interval over paired seeds)", fontsize=10)
    return figure
