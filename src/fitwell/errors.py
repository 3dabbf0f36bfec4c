"""fitwell's exception family: every error that means "your input is wrong".

Each is a :class:`ValueError`, so scikit-learn's conventions (and ``except ValueError``)
still hold; each message says what was expected, what was received, and the fix. The
``fitwell`` command turns exactly this family (and argparse's usage errors) into exit
code 2 with one line; anything else is a bug in fitwell.
"""

from __future__ import annotations

__all__ = [
    "FitwellError", "ParameterError", "DataError", "RecipeError", "ModelFileError",
    "ExperimentError", "StorageError", "ExportError", "FileWriteError",
]


class FitwellError(ValueError):
    """Base class of every user-facing input error raised by fitwell."""


class ParameterError(FitwellError):
    """A hyper-parameter or argument has a wrong type or value."""


class DataError(FitwellError):
    """A data set cannot be read or does not fit the task."""


class RecipeError(FitwellError):
    """A recipe file or an override is wrong (unknown key, bad value, bad TOML)."""


class ModelFileError(FitwellError):
    """A model file is missing, truncated, tampered with or from another version."""


class ExperimentError(FitwellError):
    """A sweep or ablation cannot run as asked (bad grid, clashing study, no trials)."""


class StorageError(FitwellError):
    """The experiment storage cannot be opened or used."""


class ExportError(FitwellError):
    """A model cannot be exported as asked (not fitted, unsupported, no onnx package)."""


class FileWriteError(FitwellError):
    """A file cannot be written (full disk, no permission, missing folder); the old file,
    if any, is left as it was."""
