"""The one look of fitwell's figures: palette, fonts, axes frame, figure creation and saving.

matplotlib is imported only inside the functions, and no backend is ever selected: when
:mod:`matplotlib.pyplot` has not been imported, figures are plain
:class:`matplotlib.figure.Figure` objects, which need no backend and are not kept alive by
pyplot; when the user has already imported pyplot, figures are made through it (so
``plt.show()`` and notebooks keep working), except inside :func:`detached_figures`, which
the report writers use so that they leave no figure open.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import sys
from pathlib import Path

from .._files import atomic_write
from ..errors import ParameterError

__all__ = ["COLORS", "VERDICT_COLORS", "INK", "SOFT_INK", "GRID", "EDGE", "styled",
           "detached_figures", "new_figure", "release", "axes_or_new", "new_styled_axes",
           "light_frame", "tidy", "save_figure", "figure_png"]

#: One colour per curve role, the same in every plot.
COLORS = {
    "train": "#2563eb",
    "validation": "#ea580c",
    "test": "#059669",
    "lr": "#7c3aed",
    "gap": "#7c3aed",
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

INK = "#0f172a"
SOFT_INK = "#475569"
GRID = "#e2e8f0"
EDGE = "#cbd5e1"

_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Inter", "Helvetica Neue", "Arial", "DejaVu Sans"],
    "font.size": 10.5,
    "text.color": INK,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlepad": 10,
    "axes.labelsize": 10.5,
    "axes.labelcolor": SOFT_INK,
    "axes.edgecolor": EDGE,
    "axes.linewidth": 0.8,
    "axes.facecolor": "white",
    "xtick.color": SOFT_INK,
    "ytick.color": SOFT_INK,
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

# Set by the report writers: always build bare Figures, never pyplot-managed ones.
_DETACHED = contextvars.ContextVar("fitwell_report_detached", default=False)


def styled():
    """A context in which new artists take the displays' fonts and colours."""
    import matplotlib

    return matplotlib.rc_context(_RC)


@contextlib.contextmanager
def detached_figures():
    """Within this block, new figures bypass pyplot even when it is imported."""
    token = _DETACHED.set(True)
    try:
        yield
    finally:
        _DETACHED.reset(token)


def new_figure(figsize):
    """A constrained-layout figure: pyplot's if the user imported pyplot, else a bare one."""
    if "matplotlib.pyplot" in sys.modules and not _DETACHED.get():
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def release(figure):
    """Let pyplot forget ``figure`` (if it knows it) once it has been saved."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        if getattr(figure.canvas, "manager", None) is not None:
            plt.close(figure)


def axes_or_new(ax, figsize):
    """``ax`` itself, or the single axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    return new_figure(figsize).subplots()


def new_styled_axes(figsize):
    """A new figure's single axes, created under the displays' style (for the report)."""
    with styled():
        return new_figure(figsize).subplots()


def light_frame(ax):
    """The frame every fitwell figure shares: a light grid behind the data, no top/right
    spines."""
    ax.set_axisbelow(True)
    ax.grid(True, color=GRID, linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def tidy(ax, *, integer_x=True):
    """The run plots' axes: :func:`light_frame` with soft spines and tick labels, no tick
    marks and (by default) integer epochs on the x axis."""
    from matplotlib.ticker import MaxNLocator

    light_frame(ax)
    ax.grid(False, which="minor")
    for side in ("left", "bottom"):
        ax.spines[side].set_color(EDGE)
    ax.tick_params(length=0, colors=SOFT_INK)
    if integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _figure_of(display_or_figure, owner):
    figure = getattr(display_or_figure, "figure_", display_or_figure)
    if figure is None or not hasattr(figure, "savefig"):
        raise ParameterError(f"{owner}: expected a display that has been plotted or a "
                             f"matplotlib Figure, got {type(display_or_figure).__name__}; "
                             "call the display's plot() or a from_* method first")
    return figure


def save_figure(display_or_figure, path, *, dpi=150):
    """Save a display's figure (or a figure) as an image; returns the path.

    Parameters
    ----------
    display_or_figure : display or matplotlib.figure.Figure
        Anything with a ``figure_`` attribute, or a figure.
    path : str or os.PathLike
        Target file; its suffix picks the format (``.png``, ``.svg``, ``.pdf``;
        without one, matplotlib's default format and its suffix). Missing parent
        folders are created; an existing file is replaced atomically.
    dpi : int, default=150

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    figure = _figure_of(display_or_figure, "save_figure")
    path = Path(path)
    if not path.suffix:  # as matplotlib does for a file name: the default format's suffix
        path = path.with_name(f"{path.name}.{matplotlib.rcParams['savefig.format']}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with styled(), atomic_write(path, "wb") as handle:
        figure.savefig(handle, format=path.suffix[1:].lower(), dpi=dpi, facecolor="white")
    return path


def figure_png(display_or_figure, *, dpi=150, house_style=True) -> bytes:
    """A display's figure (or a figure) as PNG bytes.

    Parameters
    ----------
    display_or_figure : display or matplotlib.figure.Figure
    dpi : int, default=150
    house_style : bool, default=True
        Save under the style the run displays are drawn with, as :func:`save_figure`
        does; False for a figure drawn with matplotlib's defaults (the experiment
        figures). It matters: automatic ticks are placed when the figure is saved, by
        the tick-label size then in force.

    Returns
    -------
    bytes
    """
    figure = _figure_of(display_or_figure, "figure_png")
    buffer = io.BytesIO()
    with styled() if house_style else contextlib.nullcontext():
        figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
