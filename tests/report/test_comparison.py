"""Runs compared (fitwell.report.comparison): side-by-side curves and final-score bars,
from stand-in run results."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from report_data import make_run  # noqa: E402

from fitwell.errors import ParameterError  # noqa: E402
from fitwell.report import ComparisonDisplay, GapBarDisplay  # noqa: E402


def test_comparison_display_puts_runs_side_by_side_on_shared_axes():
    runs = [make_run("baseline", best=6), make_run("improved", best=14, kind="good fit")]
    display = ComparisonDisplay.from_runs(runs)
    axes = display.axes_
    assert axes.shape == (2, 2)
    assert axes[0, 0].get_shared_y_axes().joined(axes[0, 0], axes[0, 1])
    assert axes[1, 0].get_shared_y_axes().joined(axes[1, 0], axes[1, 1])
    assert [axes[0, i].get_title(loc="left") for i in range(2)] == ["baseline", "improved"]
    assert axes[0, 1].get_title(loc="right") == "good fit"
    assert [d.best_epoch for d in display.loss_displays_] == [6, 14]
    assert display.figure_.legends, "one legend for the whole figure"


def test_gap_bar_display_labels_the_gap_in_points():
    runs = [make_run("baseline", train=1.0, val=0.95, test=0.93),
            make_run("improved", train=0.97, val=0.96, test=0.955, kind="good fit")]
    display = GapBarDisplay.from_runs(runs)
    assert [t.get_text() for t in display.gap_labels_] == ["gap 7.0 pts", "gap 1.5 pts"]
    tops = [bar.get_y() + bar.get_height() for bar in display.bars_["test"]]
    np.testing.assert_allclose(tops, [93.0, 95.5])
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["baseline", "improved"]
    with pytest.raises(ParameterError, match="at least one"):
        GapBarDisplay.from_runs([])
