"""What the displays share: the base class, the reading of number columns, the legend
above the plot, the learning-rate drawing and the choice of the best epoch."""

from __future__ import annotations

import math

import numpy as np

from ._style import COLORS

__all__ = ["Display", "finite_values", "has_data", "spans_decades", "log_worthy", "titled",
           "legend_above", "draw_lr", "pick_best"]


class Display:
    """Shared plumbing: ``figure_``/``ax_`` and a readable repr."""

    figure_ = None
    ax_ = None

    def __repr__(self):
        name = getattr(self, "name", None)
        return f"{type(self).__name__}(name={name!r})" if name else f"{type(self).__name__}()"


def finite_values(column):
    """A float array with every non-finite value (inf, None) as ``nan``."""
    array = np.array([math.nan if v is None else v for v in column], dtype=float)
    array[~np.isfinite(array)] = np.nan
    return array


def has_data(values):
    return values is not None and bool(np.isfinite(values).any())


def spans_decades(values, decades=1.0):
    """Whether the positive finite ``values`` reach ``decades`` powers of ten apart."""
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.min() > 0 and finite.max() / finite.min() >= 10**decades


def log_worthy(values):
    """Whether a rate curve reads better on a log axis: it spends much of its time decades
    below its peak (step decay, exponential), not only its last steps (cosine to zero)."""
    finite = values[np.isfinite(values)]
    return finite.size > 0 and finite.min() > 0 and finite.max() / np.median(finite) >= 5


def titled(what, name):
    """``"Loss — baseline"``, or ``what`` alone when there is no run name."""
    return f"{what} — {name}" if name else what


def legend_above(ax):
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


def draw_lr(ax, x, lr, *, color=COLORS["lr"], log=None, step="post"):
    """The learning-rate curve as steps with a soft fill; log scale when it spans decades.

    ``step="post"`` holds each value until the next step (a schedule's rate for
    step t); ``"mid"`` centres it on its epoch (a history's rate per epoch).

    Returns
    -------
    (matplotlib.lines.Line2D, bool)
        The curve, and whether the y axis is logarithmic.
    """
    from matplotlib.ticker import FuncFormatter

    (line,) = ax.plot(x, lr, color=color, drawstyle=f"steps-{step}")
    log = log_worthy(lr) if log is None else log
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


def pick_best(history, best_epoch, mark_best):
    """The epoch to mark: ``best_epoch`` if given, else the lowest validation loss's."""
    if not mark_best:
        return None
    if best_epoch is not None:
        return int(best_epoch)
    return history.best_epoch("val_loss", "min") if len(history) else None
