"""The one look and the saving of every figure (fitwell.report._style)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")

from report_data import grid_sweep, make_history  # noqa: E402

from fitwell.errors import ParameterError  # noqa: E402
from fitwell.report import COLORS, LossCurveDisplay, save_figure  # noqa: E402
from fitwell.report._style import GRID, figure_png  # noqa: E402
from fitwell.report.experiment_plots import ParameterEffectsDisplay  # noqa: E402


@pytest.fixture
def history():
    return make_history()


def test_save_figure_accepts_a_display_or_a_figure(tmp_path, history):
    display = LossCurveDisplay.from_history(history)
    path = save_figure(display, tmp_path / "deep" / "loss.png", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save_figure(display.figure_, tmp_path / "again.png").exists()
    with pytest.raises(ParameterError, match="display"):
        save_figure(object(), tmp_path / "x.png")


def test_drawing_needs_no_pyplot_but_works_with_it(tmp_path):
    """Without pyplot, figures are bare; once the user imports pyplot, displays make
    pyplot figures (``plt.show()`` works) while the report leaves none open."""
    code = f"""
import sys
from fitwell.report import LossCurveDisplay, write_report
from fitwell.training.history import History
h = History()
for i in range(5):
    h.append(train_loss=1 / (i + 1), val_loss=1.2 / (i + 1), lr=0.1)
LossCurveDisplay.from_history(h)
assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
import matplotlib.pyplot as plt
display = LossCurveDisplay.from_history(h)
assert plt.get_fignums() == [display.figure_.number]
class Run:
    name, history, train_score, val_score, test_score = "r", h, 0.9, 0.8, 0.8
    epochs_run, best_epoch, fit_time, gap, metric = 5, 5, 0.1, 10.0, "accuracy"
write_report({str(tmp_path)!r}, [Run(), Run()], "t")
assert len(plt.get_fignums()) == 1, plt.get_fignums()
"""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)
    assert (tmp_path / "report.html").exists()


def test_figure_png_is_the_image_save_figure_writes(tmp_path, history):
    display = LossCurveDisplay.from_history(history)
    png = figure_png(display, dpi=50)
    assert png == save_figure(display, tmp_path / "loss.png", dpi=50).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ParameterError, match="display"):
        figure_png(object())


def test_run_and_experiment_figures_share_the_palette_and_frame(history):
    loss = LossCurveDisplay.from_history(history)
    effects = ParameterEffectsDisplay.from_rows(grid_sweep().rows, ["dropout"])
    for ax in (loss.ax_, effects.ax_):
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
        assert ax.xaxis.get_gridlines()[0].get_color() == GRID
        assert ax.get_axisbelow() is True
    assert loss.lines_["validation"].get_color() == COLORS["validation"]
    points = [line for line in effects.ax_.lines if line.get_marker() == "o"]
    assert points and all(line.get_color() == COLORS["validation"] for line in points)
