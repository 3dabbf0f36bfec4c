"""Atomic file writes: a file fitwell writes is either the old one or the new one, whole.

Every file a user may already have (model files, recipes, metrics, histories,
predictions, reports, figures, sweep outputs) is written through :func:`atomic_write`:
the content goes to a temporary file in the same folder, is flushed and fsynced, and
then replaces the target with :func:`os.replace` (atomic on POSIX and Windows); the
folder is fsynced too where the platform allows it, so the rename itself survives a
power cut. A failure at any point — an exception in the writer, a full disk, Ctrl-C,
SIGKILL — leaves the old file byte for byte; the temporary file is removed, except
after SIGKILL or a power cut, where a hidden ``.NAME.*.tmp`` file may remain beside it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid

from .errors import FileWriteError

__all__ = ["atomic_write", "write_text", "write_bytes"]


@contextlib.contextmanager
def atomic_write(path, mode="w", *, encoding=None, newline=None):
    """Open a temporary file that replaces ``path`` when the ``with`` block ends cleanly.

    Parameters
    ----------
    path : str or os.PathLike
        The target file. Its folder must exist.
    mode : {"w", "wb"}, default="w"
        Text or binary.
    encoding, newline : str, optional
        As for :func:`open` (text mode only).

    Yields
    ------
    file object
        Write the whole content to it; the target is replaced only after the block
        ends without an exception, the data is flushed and fsynced.

    Raises
    ------
    FileWriteError
        When the operating system refuses the write (full disk, no permission, no
        such folder); other exceptions from the ``with`` block propagate unchanged.

    Notes
    -----
    A new file gets the permissions a plain ``open`` would give it (0o666 less the
    umask); a replaced file keeps its permission bits.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode must be 'w' or 'wb', "
                         f"got {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        with open(descriptor, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.exists(path):
            shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from exc
        raise
    _fsync_folder(folder)


def _write_error(path, exc: OSError) -> FileWriteError:
    """The user-facing error for an operating-system failure while writing ``path``."""
    reason = exc.strerror or str(exc)
    return FileWriteError(
        f"cannot write {path!r}: {reason}; the previous file, if any, is unchanged — free "
        "some disk space, check the folder exists and is writable, or write elsewhere")


def _fsync_folder(folder):
    """Make a rename in ``folder`` durable; a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows: a folder cannot be opened; its renames are durable anyway
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(descriptor)


def write_text(path, text, *, encoding="utf-8", newline=None):
    """Atomically replace ``path`` with ``text``; returns ``path``."""
    with atomic_write(path, "w", encoding=encoding, newline=newline) as handle:
        handle.write(text)
    return path


def write_bytes(path, data):
    """Atomically replace ``path`` with ``data``; returns ``path``."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return path
