"""``fitwell sweep`` and ``fitwell ablate`` as a user runs them: exit codes, outputs, and
one clear line for bad input."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import numpy as np
import pytest

from fitwell.data import load_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    digits = load_dataset("digits")
    rows = np.random.default_rng(1).choice(len(digits.y), size=300, replace=False)
    path = tmp_path_factory.mktemp("data") / "digits300.npz"
    np.savez(path, X=digits.X[rows], y=digits.y[rows])
    return str(path)


def fitwell(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "fitwell", *args], capture_output=True,
                          text=True, timeout=timeout)


FAST = ("--set", "max_iter=5", "--set", "hidden_layer_sizes=[16]")


def test_sweep_writes_the_table_the_best_recipe_and_the_report(tmp_path, data):
    out = tmp_path / "sweep"
    run = fitwell("sweep", "baseline", "--data", data, "--grid", "dropout=0,0.2",
                  "--grid", "alpha=0,0.01", "--seeds", "2", *FAST, "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "4 configurations × 2 seeds, sorted by validation" in run.stdout
    assert "8 trials complete, 0 failed" in run.stdout
    for name in ("summary.csv", "trials.csv", "best_recipe.toml", "report.html", "study.db"):
        assert (out / name).is_file(), name
    best = tomllib.loads((out / "best_recipe.toml").read_text(encoding="utf-8"))
    assert best["max_iter"] == 5 and best["dropout"] in (0, 0.2)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("data:image/png;base64,") == 3  # heat-map, per key, curves
    # the chosen recipe trains as it is
    train = fitwell("train", str(out / "best_recipe.toml"), "--data", data, "--no-report",
                    "-q", "--out", str(tmp_path / "train"))
    assert train.returncode == 0, train.stderr
    # the same command again resumes the finished study: nothing runs again
    again = fitwell("sweep", "baseline", "--data", data, "--grid", "dropout=0,0.2",
                    "--grid", "alpha=0,0.01", "--seeds", "2", *FAST, "--out", str(out),
                    "--no-report")
    assert again.returncode == 0 and "8 trials complete" in again.stdout


def test_a_tpe_search_runs_from_the_command_line(tmp_path, data):
    run = fitwell("sweep", "baseline", "--data", data, "--search", "tpe", "--trials", "3",
                  "--grid", "alpha=1e-4:1e-1:log", "--seeds", "2", *FAST, "--no-report",
                  "--out", str(tmp_path), "--jobs", "2")
    assert run.returncode == 0, run.stderr
    assert "3 configurations × 2 seeds" in run.stdout


class _Run:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def fitwell_here(capsys, *args):
    """The command in this process (same code path as the console script, faster)."""
    from fitwell.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return _Run(code, captured.out, captured.err)


def _one_line_error(run, *fragments):
    assert run.returncode == 2, (run.returncode, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("fitwell: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _free_port():
    import socket

    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bad_input_exits_2_with_one_clear_line(tmp_path, data):
    """As a user sees it: unknown grid key, out-of-range value, unreachable storage."""
    common = ("sweep", "baseline", "--data", data, "--out", str(tmp_path))
    _one_line_error(fitwell(*common, "--grid", "drpout=0,0.1"),
                    "--grid drpout", "unknown key 'drpout'", "did you mean 'dropout'")
    _one_line_error(fitwell(*common, "--grid", "dropout=0,1.5"), "dropout = 1.5",
                    "not allowed")
    port = _free_port()
    run = fitwell(*common, "--grid", "dropout=0,0.1", "--storage",
                  f"postgresql://me:secret@127.0.0.1:{port}/nowhere", timeout=60)
    _one_line_error(run, "cannot use storage", f"127.0.0.1:{port}", "refused")
    assert "secret" not in run.stderr
    assert not (tmp_path / "study.db").exists()


@pytest.mark.parametrize(("grid", "fragments"), [
    ("drpout=0,0.1", ("drpout", "did you mean 'dropout'")),
    ("dropout=0,1.5", ("dropout", "1.5")),
    ("alpha=0,-1", ("alpha", "-1")),
    ("random_state=1,2", ("random_state", "--seeds")),
    ("dropout=0:0.5", ("dropout", "--search tpe")),
    ("weight_decay=0.1", ("weight_decay", "adamw")),
    ("dropout=0,0", ("dropout", "listed twice")),
])
def test_a_bad_grid_is_refused_before_any_trial(capsys, tmp_path, data, grid, fragments):
    run = fitwell_here(capsys, "sweep", "baseline", "--data", data, "--grid", grid,
                       "--out", str(tmp_path))
    _one_line_error(run, *fragments)
    assert not (tmp_path / "study.db").exists()


def test_sweep_production_over_weight_decay_runs(capsys, tmp_path):
    """The issue's command: production sets solver="adamw", so weight_decay may be swept."""
    run = fitwell_here(capsys, "sweep", "production", "--data", "iris", "--grid",
                       "weight_decay=0.01,0.1", "--seeds", "1", "--set", "max_iter=3",
                       "--set", "hidden_layer_sizes=[8]", "--no-report", "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    best = tomllib.loads((tmp_path / "best_recipe.toml").read_text())
    assert best["solver"] == "adamw" and best["weight_decay"] in (0.01, 0.1)
    assert "weight_decay" in (tmp_path / "summary.csv").read_text().splitlines()[0]


def test_a_bad_storage_url_is_refused(capsys, tmp_path, data):
    common = ("sweep", "baseline", "--data", data, "--out", str(tmp_path))
    _one_line_error(fitwell_here(capsys, *common, "--storage", "nonsense"),
                    "not a database URL")
    _one_line_error(fitwell_here(capsys, *common, "--storage",
                                 f"sqlite:///{tmp_path}/missing/study.db"),
                    "does not exist")


def test_a_study_name_cannot_be_reused_for_another_sweep(capsys, tmp_path, data):
    common = ("--data", data, "--seeds", "1", *FAST, "--no-report", "--out", str(tmp_path),
              "--study", "mine", "-q")
    first = fitwell_here(capsys, "sweep", "baseline", "--grid", "dropout=0,0.1", *common)
    assert first.returncode == 0, first.stderr
    second = fitwell_here(capsys, "sweep", "baseline", "--grid", "dropout=0,0.3", *common)
    _one_line_error(second, "study 'mine'", "different experiment", "configurations")


def test_ablate_refuses_a_recipe_with_nothing_to_remove(capsys, tmp_path, data):
    recipe = tmp_path / "plain.toml"
    recipe.write_text("alpha = 0.0\nmax_iter = 5\n", encoding="utf-8")
    run = fitwell_here(capsys, "ablate", str(recipe), "--data", data, "--out", str(tmp_path))
    _one_line_error(run, "uses none of the techniques")


def test_the_commands_are_listed_in_the_help(capsys):
    from fitwell.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    listing = capsys.readouterr().out
    assert "sweep" in listing and "ablate" in listing
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = capsys.readouterr().out
    assert "--storage URL" in text and "--jobs" in text and "--grid" in text
