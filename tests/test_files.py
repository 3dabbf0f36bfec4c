"""Atomic writes: whatever fails while fitwell writes a file — an exception in the
writer, a full disk, SIGKILL — the file a user already had is left byte for byte."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier, _files
from fitwell.errors import FileWriteError
from fitwell.experiments.results import write_csv
from fitwell.recipe import dump_recipe
from fitwell.report._html import write_page
from fitwell.report._style import save_figure
from fitwell.training.history import History

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    with threadpool_limits(limits=1):
        return FitwellClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    return figure


def _history():
    history = History()
    history.append(epoch=1, train_loss=0.5, val_loss=0.6, train_score=0.9, val_score=0.8,
                   lr=0.01, time=0.1)
    return history


#: every kind of file fitwell writes, each as ``name -> (file name, write(path))``
WRITERS = {
    "model": ("model.npz", lambda path, fitted: fitwell.save(fitted, path, metadata={"v": 2})),
    "recipe": ("recipe.toml", lambda path, fitted: dump_recipe({"alpha": 0.1}, path)),
    "history": ("history.csv", lambda path, fitted: _history().to_csv(path)),
    "results": ("summary.csv", lambda path, fitted: write_csv(path, [{"a": i / 7}
                                                                     for i in range(20)], ["a"])),
    "report": ("report.html", lambda path, fitted: write_page(path, "<html>new</html>\n")),
    "figure": ("figure.png", lambda path, fitted: save_figure(_figure(), path)),
}


@pytest.mark.parametrize("room", [0, 10])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_full_disk_leaves_the_old_file(writer, room, tmp_path, monkeypatch, fitted,
                                         disk_fills_up):
    name, write = WRITERS[writer]
    path = tmp_path / name
    path.write_bytes(b"the user's old file\n")
    disk_fills_up(room)
    with pytest.raises(FileWriteError, match="No space left"):
        write(path, fitted)
    assert path.read_bytes() == b"the user's old file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left
    monkeypatch.undo()
    write(path, fitted)  # the same writer, with room on the disk, replaces the file
    assert path.read_bytes() != b"the user's old file\n"


def test_a_failed_model_save_leaves_the_previous_model_loadable(tmp_path, monkeypatch, fitted):
    path = tmp_path / "model.npz"
    fitwell.save(fitted, path)
    before = path.read_bytes()

    def fails_midway(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise RuntimeError("the writer broke")

    monkeypatch.setattr(np, "savez_compressed", fails_midway)
    with pytest.raises(RuntimeError, match="the writer broke"):
        fitwell.save(fitted, path, metadata={"second": True})
    assert path.read_bytes() == before
    assert np.array_equal(fitwell.load(path).coefs_[0], fitted.coefs_[0])


def test_a_new_file_gets_plain_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    new = _files.write_text(tmp_path / "new.txt", "x")
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o640)
    _files.write_bytes(kept, b"new")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640 and kept.read_bytes() == b"new"


#: a child process that starts replacing a file, says so, and then hangs mid-write
_HANG_MID_WRITE = textwrap.dedent("""
    import sys, time
    from fitwell import _files

    real_open = open

    class HangsMidWrite:
        def __init__(self, handle):
            self.handle, self.hung = handle, False
        def write(self, data):
            written = self.handle.write(data)
            if not self.hung:
                self.hung = True
                self.handle.flush()
                print("writing", flush=True)
                time.sleep(120)
            return written
        def __getattr__(self, name):
            return getattr(self.handle, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()

    _files.open = lambda *args, **kwargs: HangsMidWrite(real_open(*args, **kwargs))
    path = sys.argv[1]
""")

_KILLED_WRITERS = {
    "model": ("model.npz", "import fitwell\n"
                           "fitwell.save(fitwell.load(path), path, metadata={'second': 1})"),
    "recipe": ("recipe.toml", "from fitwell.recipe import dump_recipe\n"
                              "dump_recipe({'alpha': 0.5, 'dropout': 0.2}, path)"),
}


@pytest.mark.parametrize("writer", sorted(_KILLED_WRITERS))
def test_sigkill_mid_write_leaves_the_old_file(writer, tmp_path, fitted):
    name, code = _KILLED_WRITERS[writer]
    path = tmp_path / name
    if writer == "model":
        fitwell.save(fitted, path)
    else:
        path.write_text("the user's old file\n")
    before = path.read_bytes()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    child = subprocess.Popen([sys.executable, "-c", _HANG_MID_WRITE + code, str(path)],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline() == "writing\n"  # blocked inside the write
        leftovers = [p for p in tmp_path.iterdir() if p.name != name]
        assert leftovers and leftovers[0].stat().st_size > 0  # the new content is on its way
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    if writer == "model":
        assert np.array_equal(fitwell.load(path).coefs_[0], fitted.coefs_[0])


def test_a_missing_folder_is_a_clear_error_naming_the_path(tmp_path):
    target = tmp_path / "no-such-folder" / "model.npz"
    with pytest.raises(FileWriteError, match="no-such-folder.*No such file"):
        _files.write_bytes(target, b"data")


def test_an_exception_of_the_writer_itself_is_not_renamed(tmp_path):
    with pytest.raises(KeyError), _files.atomic_write(tmp_path / "f.txt"):
        raise KeyError("the writer's own bug")
    assert list(tmp_path.iterdir()) == []
