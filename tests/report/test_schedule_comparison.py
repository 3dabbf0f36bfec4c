"""Learning-rate schedules compared without training (fitwell.report.schedules)."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from fitwell import schedules  # noqa: E402
from fitwell.errors import ParameterError  # noqa: E402
from fitwell.report import ScheduleComparisonDisplay, plateau_loss  # noqa: E402


def test_schedule_comparison_draws_every_schedule_and_drives_plateau():
    plateau = schedules.ReduceLROnPlateau(0.1, patience=5)
    named = {
        "constant": schedules.Constant(0.1),
        "step": schedules.StepDecay(0.1, 30),
        "cosine": schedules.CosineAnnealing(0.1, 100),
        "warm-up": schedules.Warmup(schedules.CosineAnnealing(0.1, 90), 10),
        "onecycle": schedules.OneCycle(0.1, 100),
        "plateau": plateau,
        "lambda": lambda t: 0.1 / (1 + t),
    }
    display = ScheduleComparisonDisplay.from_schedules(named, epochs=100)
    assert list(display.axes_) == list(named)
    assert "synthetic" in display.axes_["plateau"].get_title(loc="left")
    assert "synthetic" not in display.axes_["cosine"].get_title(loc="left")
    trace = display.traces["plateau"]
    assert trace[0] == 0.1 and trace[-1] < 0.1, "the plateau must trigger a reduction"
    assert plateau.lr == 0.1, "the caller's schedule must not be advanced"
    np.testing.assert_allclose(display.traces["step"][[0, 29, 30]], [0.1, 0.1, 0.01])
    loss = plateau_loss(100)
    assert loss.shape == (100,) and loss[-1] < loss[0]
    assert abs(loss[70:].mean() - loss[40:70].mean()) < 0.005, "flat after the plateau"
    with pytest.raises(ParameterError, match="epochs"):
        ScheduleComparisonDisplay.from_schedules(named, epochs=1)
