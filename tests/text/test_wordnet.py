"""The WordNet reader against the installed database and a hand-written data file."""

from __future__ import annotations

import os

import pytest

from fitwell.errors import DataError
from fitwell.text.wordnet import WORDNET_DIR, WordNet, load_wordnet

needs_wordnet = pytest.mark.skipif(not os.path.exists(os.path.join(WORDNET_DIR, "data.noun")),
                                   reason="Debian's wordnet-base is not installed")


@needs_wordnet
def test_the_installed_database_has_its_lemmas_and_real_synonyms():
    wordnet = load_wordnet()
    assert 140_000 < len(wordnet) < 160_000  # WordNet 3.0: about 147,000 lemmas
    assert "film" in wordnet.synonyms("movie")
    assert "flick" in wordnet.synonyms("Movie")  # case-insensitive
    assert "movie" not in wordnet.synonyms("movie")
    assert "motion picture" in wordnet.synonyms("film")  # collocations with spaces
    assert wordnet.synonyms("qwertyuiop") == ()
    assert load_wordnet() is wordnet  # parsed once per process


def _write(folder, pos, lines):
    (folder / f"data.{pos}").write_text(
        "  1 This software and database is being provided\n" + "".join(lines))


def test_synset_lines_are_read_with_their_hex_word_count_and_markers_dropped(tmp_path):
    words = " ".join(f"w{i} 0" for i in range(11))  # 11 words: count "0b"
    _write(tmp_path, "noun", [f"00001 03 n 0b {words} 000 | gloss\n",
                              "00002 03 n 02 big_apple 0 new_york 0 000 | a city\n"])
    _write(tmp_path, "adj", ["00003 00 a 02 able(a) 0 capable(p) 0 000 | gloss\n"])
    _write(tmp_path, "verb", [])
    _write(tmp_path, "adv", [])
    wordnet = load_wordnet(tmp_path)
    assert wordnet.synonyms("w0") == tuple(sorted(f"w{i}" for i in range(1, 11)))
    assert wordnet.synonyms("big apple") == ("new york",)
    assert wordnet.synonyms("able") == ("capable",)
    assert isinstance(wordnet, WordNet) and len(wordnet) == 15


def test_a_missing_database_names_the_debian_package(tmp_path):
    with pytest.raises(DataError, match="wordnet-base"):
        load_wordnet(tmp_path / "nowhere")


def test_a_corrupt_data_file_is_a_data_error(tmp_path):
    for pos in ("noun", "verb", "adj", "adv"):
        _write(tmp_path, pos, ["00001 03 n zz w 0\n"])
    with pytest.raises(DataError, match="wndb"):
        load_wordnet(tmp_path)
