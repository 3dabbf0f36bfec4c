"""The learning-curve displays (fitwell.report.curves): loss, score and learning rate of
one run, from hand-built histories with a known best epoch and from a trained classifier."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402
from report_data import make_history  # noqa: E402

from fitwell import schedules  # noqa: E402
from fitwell.errors import ParameterError  # noqa: E402
from fitwell.report import (  # noqa: E402
    LearningRateDisplay,
    LossCurveDisplay,
    ScoreCurveDisplay,
    save_figure,
)


@pytest.fixture
def history():
    return make_history()


def test_loss_curve_from_history_marks_the_best_epoch(history):
    display = LossCurveDisplay.from_history(history, best_epoch=8, name="baseline")
    assert isinstance(display.figure_, Figure)
    assert display.ax_.figure is display.figure_
    train = display.lines_["train"].get_ydata()
    val = display.lines_["validation"].get_ydata()
    np.testing.assert_allclose(train, history["train_loss"])
    np.testing.assert_allclose(val, history["val_loss"])
    assert list(display.best_line_.get_xdata()) == [8, 8]
    assert display.best_marker_.get_xdata()[0] == 8
    assert display.best_marker_.get_ydata()[0] == pytest.approx(history["val_loss"][7])
    assert "best epoch 8" in display.best_annotation_.get_text()
    assert "baseline" in display.ax_.get_title(loc="left")
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert labels == ["training", "validation", "best epoch"]


def test_best_epoch_defaults_to_the_lowest_validation_loss(history):
    display = LossCurveDisplay.from_history(history)
    assert display.best_epoch == history.best_epoch("val_loss") == 8
    assert LossCurveDisplay.from_history(history, mark_best=False).best_line_ is None


@pytest.mark.parametrize("build", [
    lambda h, ax: LossCurveDisplay.from_history(h, ax=ax),
    lambda h, ax: ScoreCurveDisplay.from_history(h, ax=ax),
    lambda h, ax: LearningRateDisplay.from_history(h, ax=ax),
], ids=["loss", "score", "lr"])
def test_from_history_draws_on_the_given_axes(history, build):
    figure = Figure()
    ax = figure.subplots()
    display = build(history, ax)
    assert display.ax_ is ax and display.figure_ is figure
    assert len(ax.lines) >= 1


def test_plot_returns_self_and_can_redraw_elsewhere(history):
    display = ScoreCurveDisplay(history["epoch"], history["train_score"], history["val_score"],
                                best_epoch=5, name="run")
    first, second = Figure().subplots(), Figure().subplots()
    assert display.plot(ax=first) is display and display.ax_ is first
    assert display.plot(ax=second, name="again") is display and display.ax_ is second
    assert "again" in second.get_title(loc="left")
    assert list(display.best_line_.get_xdata()) == [5, 5]


def test_score_curve_shows_accuracy_as_percent_and_r2_as_number(history):
    accuracy = ScoreCurveDisplay.from_history(history, best_epoch=8)
    assert accuracy.ax_.get_ylabel() == "accuracy"
    assert accuracy.ax_.yaxis.get_major_formatter()(0.5, 0).endswith("%")
    assert "val" in accuracy.best_annotation_.get_text()
    r2 = ScoreCurveDisplay.from_history(history, metric="R²")
    assert r2.ax_.get_ylabel() == "R²"
    assert "R²" in r2.ax_.get_title(loc="left")


def test_learning_rate_display_uses_a_log_axis_only_for_decades():
    step = LearningRateDisplay.from_history(make_history(lr=schedules.StepDecay(0.1, 5)))
    assert step.log_scale_ and step.ax_.get_yscale() == "log"
    cosine = LearningRateDisplay.from_history(make_history(lr=schedules.CosineAnnealing(0.1, 20)))
    assert not cosine.log_scale_ and cosine.ax_.get_yscale() == "linear"
    np.testing.assert_allclose(cosine.line_.get_ydata(),
                               [schedules.CosineAnnealing(0.1, 20)(t) for t in range(20)])


def test_non_finite_values_are_left_out_not_fatal(tmp_path):
    history = make_history(epochs=6, best=3)
    history.append(train_loss=math.inf, val_loss=math.nan, train_score=math.nan,
                   val_score=math.nan, lr=0.01, time=0.0)
    display = LossCurveDisplay.from_history(history, best_epoch=3)
    assert np.isnan(display.lines_["train"].get_ydata()[-1])
    assert save_figure(display, tmp_path / "loss.png").stat().st_size > 0


def test_displays_build_from_a_trained_classifier():
    from sklearn.datasets import load_iris

    from fitwell import FitwellClassifier

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    clf = FitwellClassifier(hidden_layer_sizes=(8,), max_iter=12, random_state=0,
                            learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X[::2], y[::2], validation_data=(X[1::2], y[1::2]))
    history = clf.history_
    loss = LossCurveDisplay.from_history(history, best_epoch=clf.best_epoch_, name="iris")
    score = ScoreCurveDisplay.from_history(history, best_epoch=clf.best_epoch_)
    lr = LearningRateDisplay.from_history(history)
    assert len(loss.lines_["validation"].get_xdata()) == len(history) == clf.n_iter_
    assert loss.best_line_.get_xdata()[0] == clf.best_epoch_
    assert np.isfinite(score.lines_["train"].get_ydata()).all()
    assert np.allclose(lr.line_.get_ydata(), 0.01)


def test_curves_of_different_lengths_are_refused(history):
    with pytest.raises(ParameterError, match="same length"):
        LossCurveDisplay([1, 2, 3], [1.0, 0.5, 0.4], [1.0, 0.6])
