"""The sweep and ablation figures (fitwell.report.experiment_plots), from hand-built
configuration rows: every number drawn is the one in the rows, in points."""

from __future__ import annotations

import math

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402
from report_data import ablation, curve_history, grid_sweep, search_sweep  # noqa: E402

from fitwell.report.experiment_plots import (  # noqa: E402
    AblationContributionsDisplay,
    BestWorstCurvesDisplay,
    ParameterEffectsDisplay,
    SweepHeatmapDisplay,
)


def _texts(labels):
    return [label.get_text() for label in labels]


def test_heatmap_puts_each_mean_in_its_cell():
    rows = grid_sweep().rows[:3]  # the (dropout 0, alpha 1e-4) cell has no row
    display = SweepHeatmapDisplay.from_rows(rows, "dropout", "alpha")
    assert display.x_values == [0.0, 0.2] and display.y_values == [0.0001, 0.01]
    np.testing.assert_array_equal(display.scores, [[np.nan, 94.0], [95.5, 97.0]])
    assert _texts(display.ax_.texts) == ["—", "94.0", "95.5", "97.0"]
    assert _texts(display.ax_.get_xticklabels()) == ["0", "0.2"]
    assert _texts(display.ax_.get_yticklabels()) == ["0.0001", "0.01"]
    assert display.ax_.get_xlabel() == "dropout" and display.colorbar_ is not None
    assert "validation" in display.ax_.get_title()


def test_heatmap_draws_on_given_axes():
    ax = Figure().subplots()
    display = SweepHeatmapDisplay([[1.0]], ["a"], ["b"], x_key="x", y_key="y")
    assert display.plot(ax=ax) is display and display.ax_ is ax


def test_parameter_effects_one_panel_per_key_and_the_best_per_value():
    display = ParameterEffectsDisplay.from_rows(grid_sweep().rows, ["dropout", "alpha"])
    assert list(display.axes_) == ["dropout", "alpha"]
    dropout = display.axes_["dropout"]
    assert _texts(dropout.get_xticklabels()) == ["0", "0.2"]
    (best,) = [line for line in dropout.lines if line.get_label() == "best per value"]
    np.testing.assert_array_equal(best.get_ydata(), [95.5, 97.0])
    assert dropout.get_ylabel() == "validation accuracy (%)"
    assert display.axes_["alpha"].get_ylabel() == ""


def test_parameter_effects_leave_out_rows_without_a_complete_seed():
    rows = grid_sweep().rows
    rows[3] = {**rows[3], "seeds": 0}
    display = ParameterEffectsDisplay.from_rows(rows, ["alpha"])
    assert len(display.configurations) == 3
    (best,) = [line for line in display.ax_.lines if line.get_label() == "best per value"]
    np.testing.assert_array_equal(best.get_ydata(), [94.0, 97.0])


def test_parameter_effects_use_a_log_axis_for_a_log_range():
    result = search_sweep()
    display = ParameterEffectsDisplay.from_rows(result.rows, result.params_keys,
                                                log_keys=["alpha"], continuous_keys=["alpha"])
    assert display.axes_["alpha"].get_xscale() == "log"
    assert display.axes_["normalization"].get_xscale() == "linear"
    assert _texts(display.axes_["normalization"].get_xticklabels()) == ["batch", "layer"]


def test_best_worst_curves_in_points_one_line_per_seed_and_score():
    best = [curve_history(0.97), curve_history(0.96)]
    display = BestWorstCurvesDisplay.from_histories("dropout=0.2", best, "dropout=0",
                                                    [curve_history(0.93)])
    left, right = display.axes_
    assert len(left.lines) == 4 and len(right.lines) == 2
    np.testing.assert_allclose(left.lines[0].get_ydata(), [50.0, 80.0, 99.0])
    validation = left.lines[1].get_ydata()
    assert validation[0] == pytest.approx(40.0) and math.isnan(validation[1])
    assert left.get_title() == "best: dropout=0.2" and right.get_title() == "worst: dropout=0"
    assert left.get_shared_y_axes().joined(left, right)
    assert _texts(left.get_legend().get_texts()) == ["training", "validation"]


def test_ablation_contributions_one_bar_per_removed_technique():
    result = ablation(deltas=((1.5, 1.0, -0.8), (math.nan, -1.0, 0.5), (0.1, -0.1, 0.0)))
    display = AblationContributionsDisplay.from_rows(result.rows)
    assert display.techniques == ["dropout <p>", "penalties", "all techniques together"]
    widths = [patch.get_width() for patch in display.axes_["val"].patches]
    assert widths == pytest.approx([1.5, 0.1]), "no bar for a missing contribution"
    assert [p.get_width() for p in display.axes_["gap"].patches] == pytest.approx([-0.8, 0.5,
                                                                                   0.0])
    assert _texts(display.ax_.get_yticklabels()) == display.techniques
    assert set(_texts(display.axes_["test"].get_yticklabels())) == {""}
    assert "gap" in display.axes_["gap"].get_xlabel()
