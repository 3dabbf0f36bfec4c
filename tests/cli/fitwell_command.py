"""Running the ``fitwell`` command as a user does (a subprocess), and what an input error
must look like."""

from __future__ import annotations

import os
import subprocess
import sys

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def fitwell(*args, cwd=None, timeout=180):
    return subprocess.run([sys.executable, "-m", "fitwell", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=ENV, timeout=timeout)


def assert_input_error(result, *fragments):
    """Exit code 2, one clear line on stderr, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fitwell: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
