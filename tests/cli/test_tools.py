"""``fitwell schedules`` and ``fitwell gradcheck`` end to end."""

from __future__ import annotations

from fitwell_command import fitwell


def test_schedules_plot(tmp_path):
    out = tmp_path / "schedules.png"
    result = fitwell("schedules", "--epochs", "30", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gradcheck_prints_the_table():
    result = fitwell("gradcheck")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BatchNorm" in result.stdout and "CrossEntropyLoss" in result.stdout
    assert " 0 failed" in result.stdout
