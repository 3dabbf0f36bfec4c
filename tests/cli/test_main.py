"""The command's dispatch and error policy: the fitwell error family and usage errors exit
2 with one line; anything else is a bug, exit 1, with the traceback on ``--verbose``."""

from __future__ import annotations

import pytest
from fitwell_command import assert_input_error, fitwell

from fitwell import errors
from fitwell.cli import main
from fitwell.training import Trainer

QUICK = ("train", "baseline", "--data", "iris", "--set", "max_iter=2", "--no-report", "-q")
ALL_COMMANDS = ("demo", "train", "evaluate", "predict", "schedules", "gradcheck", "sweep",
                "ablate")


def test_help_lists_every_command_and_each_has_examples():
    result = fitwell("--help")
    assert result.returncode == 0
    for command in ALL_COMMANDS:
        assert command in result.stdout
        sub = fitwell(command, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "examples:" in sub.stdout


def test_usage_errors_are_one_line():
    assert_input_error(fitwell("train"), "required")
    assert_input_error(fitwell("schedules", "--epochs", "many"), "--epochs")
    assert_input_error(fitwell("frobnicate"), "invalid choice")


def test_a_missing_data_file_is_an_input_error():
    assert_input_error(fitwell("train", "improved", "--data", "nonexistent.csv"),
                       "nonexistent.csv")


def _stderr_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize("error", [errors.FitwellError, errors.ParameterError,
                                   errors.DataError, errors.RecipeError, errors.ModelFileError,
                                   errors.ExperimentError, errors.StorageError])
def test_the_error_family_exits_2_with_one_line(monkeypatch, capsys, error):
    def refuse(*args, **kwargs):
        raise error("expected this, received that; do the fix")

    monkeypatch.setattr(Trainer, "fit", refuse)
    assert main(list(QUICK)) == 2
    assert _stderr_lines(capsys) == ["fitwell: error: expected this, received that; do the fix"]


def _break_the_engine(monkeypatch):
    def deep_in_the_engine(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(Trainer, "fit", deep_in_the_engine)


def test_a_plain_value_error_deep_in_the_engine_is_a_bug(monkeypatch, capsys):
    _break_the_engine(monkeypatch)
    assert main(list(QUICK)) == 1
    lines = _stderr_lines(capsys)
    assert "this is a bug" in lines[0] and "report it" in lines[0]
    assert "ValueError: operands could not be broadcast together" in lines[0]
    assert "--verbose" in lines[-1]
    assert not any("Traceback" in line for line in lines)


def test_verbose_shows_the_traceback_of_a_bug(monkeypatch, capsys):
    _break_the_engine(monkeypatch)
    assert main([*QUICK[:-1], "--verbose"]) == 1
    err = capsys.readouterr().err
    assert "this is a bug" in err
    assert "Traceback (most recent call last)" in err and "deep_in_the_engine" in err


def test_a_bad_recipe_override_is_a_recipe_error_not_a_bug(capsys):
    assert main(["train", "baseline", "--data", "iris", "--set", "alpha=-1", "-q"]) == 2
    lines = _stderr_lines(capsys)
    assert len(lines) == 1 and "alpha" in lines[0]
