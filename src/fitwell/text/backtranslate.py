"""Back-translation: English → a pivot language → English, with Apertium, offline.

Apertium (Debian's ``apertium`` with ``apertium-eng-spa``) is a rule-based translator; no
neural translation model can be had offline here, so the paraphrases are those of a
rule-based system: word choice and order change where its rules and dictionaries differ
between the languages (``"the movie is a good film"`` → ``"la película es una película
buena"`` → ``"the film is a good film"``), and many short sentences come back unchanged.

A batch of sentences is one ``apertium`` process per direction, one sentence per line
(never a process per sentence); words Apertium does not know pass through unmarked
(``-u``).
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np

from .._validation import check_int, check_number
from ..errors import DataError, ParameterError

__all__ = ["BackTranslation", "translate"]

#: pivot language -> (Debian package, forward pair, backward pair)
PAIRS = {"spa": ("apertium-eng-spa", "eng-spa", "spa-eng")}


def _missing(program_or_pair, package):
    return DataError(f"back-translation needs {program_or_pair}; install the Debian packages "
                     f"apertium and {package} (apt-get install apertium {package})")


def translate(sentences, pair, package="apertium-eng-spa", timeout=600.0) -> list[str]:
    """``sentences`` translated by ``apertium -u PAIR``, in one process.

    Raises
    ------
    DataError
        When ``apertium`` or the language pair is not installed (naming the Debian
        packages) or the translation fails.
    """
    program = shutil.which("apertium")
    if program is None:
        raise _missing("the program apertium", package)
    lines = [" ".join(s.split()) for s in sentences]  # one sentence, one line
    try:
        done = subprocess.run([program, "-u", pair], input="\n".join(lines) + "\n",
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DataError(f"apertium {pair} took longer than {timeout:.0f} s for "
                        f"{len(lines)} sentences; translate smaller batches") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[:1] or ["no message"]
        if "does not exist" in message[0]:
            raise _missing(f"the Apertium pair {pair}", package)
        raise DataError(f"apertium {pair} failed (exit {done.returncode}): {message[0]}")
    out = [line.strip() for line in done.stdout.split("\n")]
    if len(out) > len(lines) and not any(out[len(lines):]):
        out = out[:len(lines)]
    if len(out) != len(lines):
        raise DataError(f"apertium {pair} returned {len(out)} lines for {len(lines)} sentences")
    return out


class BackTranslation:
    """Translate sentences to ``pivot`` and back to English.

    Each sentence is back-translated with probability ``p`` (drawn from ``rng``; the others
    are returned as they are), the chosen ones in batches of ``batch_size``, each batch one
    Apertium process per direction. A sentence that comes back empty is kept as it was.

    Parameters
    ----------
    rng : numpy.random.Generator
    p : float in (0, 1], default=1.0
    pivot : {"spa"}, default="spa"
    batch_size : int, default=5000
    """

    def __init__(self, *, rng, p=1.0, pivot="spa", batch_size=5000):
        if not isinstance(rng, np.random.Generator):
            raise ParameterError(f"rng must be a numpy.random.Generator, got "
                                 f"{type(rng).__name__}")
        if pivot not in PAIRS:
            raise ParameterError(f"pivot must be one of {sorted(PAIRS)}, got {pivot!r}")
        self.rng = rng
        self.p = check_number(p, "p", "BackTranslation", low=0.0, high=1.0, low_open=True)
        self.pivot = pivot
        self.batch_size = check_int(batch_size, "batch_size", "BackTranslation", minimum=1)

    def __call__(self, sentences) -> list[str]:
        """One sentence per sentence: back-translated, or unchanged when not drawn."""
        sentences = list(sentences)
        chosen = np.flatnonzero(self.rng.random(len(sentences)) < self.p)
        package, forward, backward = PAIRS[self.pivot]
        out = list(sentences)
        for start in range(0, len(chosen), self.batch_size):
            batch = chosen[start:start + self.batch_size]
            pivot = translate([sentences[i] for i in batch], forward, package)
            back = translate(pivot, backward, package)
            for index, text in zip(batch, back, strict=True):
                out[index] = text or sentences[index]
        return out

    def __repr__(self):
        return f"BackTranslation(p={self.p}, pivot={self.pivot!r})"
