"""The report layer: Display objects, PNGs and the self-contained HTML page.

Histories are built by hand (curves with a known best epoch) except in one test
that trains a tiny classifier; the page is also opened in headless Chromium,
when it is installed, to check that every embedded image decodes and that the
page renders to something that is not blank.
"""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from fitwell import schedules  # noqa: E402
from fitwell.experiments import RunResult  # noqa: E402
from fitwell.report import (  # noqa: E402
    REPORT_FILE,
    ComparisonDisplay,
    GapBarDisplay,
    LearningRateDisplay,
    LossCurveDisplay,
    ScheduleComparisonDisplay,
    ScoreCurveDisplay,
    figure_names,
    plateau_loss,
    save_figure,
    slugify,
    write_report,
)
from fitwell.training.history import History  # noqa: E402
from fitwell.verdict import Verdict  # noqa: E402


def make_history(epochs=20, best=8, lr=None, metric="accuracy"):
    """Validation loss lowest at ``best``, then rising; training loss always falling."""
    history = History()
    for e in range(1, epochs + 1):
        train_loss = 2.0 * math.exp(-e / 5) + 0.05
        val_loss = 2.0 * math.exp(-min(e, best) / 5) + 0.3 + 0.04 * max(0, e - best)
        score = 1 - 0.5 * math.exp(-e / 4)
        history.append(train_loss=train_loss, val_loss=val_loss,
                       train_score=min(score + 0.01 * e / epochs, 1.0),
                       val_score=score - 0.02 * max(0, e - best) / epochs,
                       lr=lr(e - 1) if lr else 0.01, time=0.01)
    return history


def make_run(name, *, best=8, train=0.99, val=0.95, test=0.94, kind="overfitting",
             epochs=20, metric="accuracy"):
    gap = 100 * (train - test)
    return RunResult(name=name, estimator=None, history=make_history(epochs, best),
                     train_score=train, val_score=val, test_score=test, epochs_run=epochs,
                     best_epoch=best, fit_time=1.25,
                     verdict=Verdict(kind, gap, f"{kind}: the train–test gap is {gap:.1f} "
                                                "points — try <dropout> & friends"),
                     params={"hidden_layer_sizes": (32,), "dropout": 0.0}, metric=metric)


@pytest.fixture
def history():
    return make_history()


# ---------------------------------------------------------------------- displays


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
    with pytest.raises(ValueError, match="at least one"):
        GapBarDisplay.from_runs([])


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
    with pytest.raises(ValueError, match="epochs"):
        ScheduleComparisonDisplay.from_schedules(named, epochs=1)


def test_save_figure_accepts_a_display_or_a_figure(tmp_path, history):
    display = LossCurveDisplay.from_history(history)
    path = save_figure(display, tmp_path / "deep" / "loss.png", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save_figure(display.figure_, tmp_path / "again.png").exists()
    with pytest.raises(ValueError, match="display"):
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


# ---------------------------------------------------------------------- the page


def test_slugs_and_figure_names():
    assert slugify("Improved (v2) <AdamW>") == "improved-v2-adamw"
    assert slugify("Réseau") == "reseau" and slugify("***") == "run"
    one = [make_run("Baseline")]
    assert figure_names(one) == ["loss_baseline.png", "score_baseline.png", "lr_baseline.png"]
    two = [make_run("Baseline"), make_run("baseline")]
    names = figure_names(two)
    assert names[:2] == ["comparison.png", "gap.png"]
    assert "loss_baseline.png" in names and "loss_baseline-2.png" in names
    assert len(set(names)) == len(names) == 8


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    runs = [make_run("Baseline <b>", best=6),
            make_run("Improved & co", best=15, train=0.97, test=0.96, kind="good fit")]
    path = write_report(out, runs, "Digits <script>alert(1)</script>",
                        intro="Does dropout close the gap? <i>yes</i>",
                        comparison=["Dropout 0.3 was added.", "The gap fell <a lot>."],
                        dpi=80)
    return path, runs


def test_write_report_writes_every_figure_and_embeds_it(report):
    path, runs = report
    assert path.name == REPORT_FILE and path.exists()
    page = path.read_text(encoding="utf-8")
    for name in figure_names(runs):
        png = path.parent / name
        assert png.read_bytes()[:4] == b"\x89PNG", name
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{data}" in page, f"{name} is not embedded"
    assert page.count("<img ") == len(figure_names(runs)) == 8
    assert page.count("<figcaption>") == 8


def test_report_text_is_escaped_and_complete(report):
    page = report[0].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Baseline &lt;b&gt;" in page and "Improved &amp; co" in page
    assert "&lt;i&gt;yes&lt;/i&gt;" in page and "The gap fell &lt;a lot&gt;." in page
    assert "try &lt;dropout&gt; &amp; friends" in page
    for text in ("99.0%", "95.0%", "94.0%", "5.0", "1.25 s", "verdict-overfitting",
                 "verdict-good-fit", "<table>", "Best epoch"):
        assert text in page, text


def test_report_has_no_external_references(report):
    page = report[0].read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "url(" not in page and "@import" not in page
    sources = re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]*)""", page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    hrefs = re.findall(r"""\bhref\s*=\s*["']?([^"'\s>]*)""", page)
    assert all(h.startswith("#") for h in hrefs)


def test_write_report_with_one_run_has_no_comparison(tmp_path):
    path = write_report(tmp_path, [make_run("solo", metric="R²")], "One")
    page = path.read_text(encoding="utf-8")
    assert not (tmp_path / "comparison.png").exists()
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        figure_names([make_run("solo")]))
    assert "Comparison" not in page and "0.990" in page


# ---------------------------------------------------------------------- Chromium


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed: apt-get install chromium "
                "(the .ci/run script installs it)")


def _run_chromium(binary, profile, *args, timeout=90):
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               "--hide-scrollbars", f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          check=False)


_IMAGE_CHECK = """<script>
window.addEventListener("load", function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
  }
  var out = document.createElement("div");
  out.id = "fitwell-image-check";
  out.textContent = loaded + "/" + images.length;
  document.body.appendChild(out);
});
</script>"""


def test_report_renders_in_headless_chromium(report, tmp_path):
    binary = _chromium()
    path, runs = report
    probe = tmp_path / "probe.html"  # the test copy only carries the script
    probe.write_text(path.read_text(encoding="utf-8").replace(
        "</body>", _IMAGE_CHECK + "</body>"), encoding="utf-8")
    dumped = _run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", probe.as_uri())
    found = re.search(r'id="fitwell-image-check">(\d+)/(\d+)<', dumped.stdout)
    assert found, f"no image count in Chromium's DOM; stderr:\n{dumped.stderr[-2000:]}"
    loaded, total = map(int, found.groups())
    assert total == len(figure_names(runs)) and loaded == total

    shot = tmp_path / "shot.png"
    taken = _run_chromium(binary, tmp_path / "profile-shot", f"--screenshot={shot}",
                          "--window-size=1280,2000", path.as_uri())
    assert shot.exists(), f"no screenshot; stderr:\n{taken.stderr[-2000:]}"
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    grey = pixels[..., :3].mean(axis=2)
    assert grey.std() > 0.05, "the screenshot is blank"
    assert (grey < 0.5).mean() > 0.005, "no dark text or lines in the screenshot"
