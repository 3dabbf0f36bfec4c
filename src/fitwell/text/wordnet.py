"""Synonyms from Princeton WordNet 3.0 as Debian's ``wordnet-base`` installs it.

The four data files ``data.noun``, ``data.verb``, ``data.adj`` and ``data.adv`` are read
directly (format ``wndb(5WN)``): license lines start with two spaces; every other line is
one synset,

    synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id ...] p_cnt ...

with ``w_cnt`` two hexadecimal digits. The synonyms of a word are the other words of every
synset it belongs to (underscores become spaces; an adjective's syntactic marker such as
``(a)`` or ``(ip)`` is dropped). The parsed table (about 147,000 lemmas) is built once per
process and kept: building it takes a few tenths of a second, looking a word up then costs
a dictionary access.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from ..errors import DataError

__all__ = ["WordNet", "load_wordnet", "WORDNET_DIR", "PARTS_OF_SPEECH"]

#: where Debian's wordnet-base puts the database
WORDNET_DIR = "/usr/share/wordnet"
PARTS_OF_SPEECH = ("noun", "verb", "adj", "adv")
_MARKER = re.compile(r"\((?:a|p|ip)\)$")


class WordNet:
    """Lemma → synonyms, read from the ``data.*`` files of ``directory``.

    Parameters
    ----------
    synonyms : dict[str, tuple[str, ...]]
        Lower-case lemma (spaces between the words of a collocation) → its synonyms,
        sorted, the lemma itself excluded.
    """

    def __init__(self, synonyms):
        self._synonyms = synonyms

    def __len__(self):
        return len(self._synonyms)

    def __contains__(self, word):
        return word.lower() in self._synonyms

    def synonyms(self, word) -> tuple[str, ...]:
        """The synonyms of ``word`` (case-insensitive), sorted; empty when it has none."""
        return self._synonyms.get(word.lower(), ())


def _synset_words(line):
    fields = line.split(" ", 4 + 2 * 255)
    count = int(fields[3], 16)
    words = []
    for index in range(count):
        word = _MARKER.sub("", fields[4 + 2 * index]).replace("_", " ").lower()
        if word not in words:
            words.append(word)
    return words


def _parse(directory):
    groups: dict[str, set[str]] = {}
    for pos in PARTS_OF_SPEECH:
        path = os.path.join(directory, f"data.{pos}")
        try:
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("  "):
                        continue
                    words = _synset_words(line)
                    for word in words:
                        groups.setdefault(word, set()).update(words)
        except FileNotFoundError:
            raise DataError(f"WordNet data file {path} is missing; install the Debian package "
                            "wordnet-base (apt-get install wordnet-base) or give the folder "
                            "holding data.noun, data.verb, data.adj and data.adv") from None
        except (OSError, ValueError, IndexError) as exc:
            raise DataError(f"WordNet data file {path} is unreadable or not in wndb(5WN) "
                            f"format ({exc}); reinstall the Debian package wordnet-base") \
                from None
    return {word: tuple(sorted(group - {word})) for word, group in groups.items()}


@lru_cache(maxsize=4)
def _cached(directory):
    return WordNet(_parse(directory))


def load_wordnet(directory=WORDNET_DIR) -> WordNet:
    """The WordNet of ``directory`` (parsed once per process and folder).

    Raises
    ------
    DataError
        When a data file is missing or unreadable, naming the Debian package
        ``wordnet-base``.
    """
    return _cached(os.path.abspath(os.fspath(directory)))
