"""The four EDA operations and EDA on fixed sentences with fixed seeds: what changes and
what must not."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

from fitwell.errors import ParameterError
from fitwell.text import EDA, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement
from fitwell.text.eda import changes_for
from fitwell.text.tokens import is_word, tokenize
from fitwell.text.wordnet import WORDNET_DIR, load_wordnet

needs_wordnet = pytest.mark.skipif(not os.path.exists(os.path.join(WORDNET_DIR, "data.noun")),
                                   reason="Debian's wordnet-base is not installed")

SENTENCES = [
    "the acting is brilliant , but the plot is a slow , dull mess .",
    "a tender , funny and moving film about growing old .",
    "wow !",
    "...",
    "it's the 21st century's new \" conan \" and he's going to make a splash .",
]


def _punctuation(sentence):
    return [t for t in tokenize(sentence) if not is_word(t)]


def _words(sentence):
    return [t for t in tokenize(sentence) if is_word(t)]


def test_changes_for_is_max_of_one_and_alpha_times_words():
    assert changes_for(0.1, 5) == 1 and changes_for(0.1, 25) == 2 and changes_for(0.5, 9) == 4


@pytest.mark.parametrize("make", [lambda rng: RandomSwap(0.2, rng=rng),
                                  lambda rng: RandomDeletion(0.2, rng=rng)])
def test_one_output_per_sentence_punctuation_in_place_and_same_seed_same_output(make):
    out = make(np.random.default_rng(3))(SENTENCES)
    assert len(out) == len(SENTENCES) and all(out)
    assert out == make(np.random.default_rng(3))(SENTENCES)
    for before, after in zip(SENTENCES, out, strict=True):
        assert _punctuation(after) == _punctuation(before)
    assert out[3] == "..."  # no words: unchanged


def test_random_swap_keeps_every_word_and_moves_some():
    rng = np.random.default_rng(0)
    out = RandomSwap(0.2, rng=rng)(SENTENCES)
    for before, after in zip(SENTENCES, out, strict=True):
        assert Counter(_words(after)) == Counter(_words(before))
    assert out[0] != SENTENCES[0] and out[2] == "wow !"  # one word: nothing to swap


def test_random_deletion_rate_is_alpha_and_never_empties_a_sentence():
    rng = np.random.default_rng(1)
    sentence = " ".join(f"w{i}" for i in range(50)) + " ."
    deleted = [50 - len(_words(s)) for s in RandomDeletion(0.2, rng=rng)([sentence] * 200)]
    assert abs(np.mean(deleted) / 50 - 0.2) < 0.02  # 10,000 draws: sd of the rate 0.004
    for after in RandomDeletion(0.9, rng=rng)(["wow !", "a b"] * 50):
        assert _words(after) and after.endswith(("!", "a", "b"))


@needs_wordnet
def test_synonym_replacement_uses_real_wordnet_synonyms_and_keeps_stop_words():
    wordnet = load_wordnet()
    out = SynonymReplacement(0.2, rng=np.random.default_rng(0))(SENTENCES[:2])
    for before, after in zip(SENTENCES[:2], out, strict=True):
        assert after != before
        assert _punctuation(after) == _punctuation(before)
        old, new = set(before.split()), set(after.split())
        replaced = old - new
        assert 1 <= len(replaced) <= changes_for(0.2, len(_words(before)))
        assert not replaced & {"the", "is", "a", "but", "and", "about"}
        added = " ".join(w for w in after.split() if w not in old)
        assert any(s in added for word in replaced for s in wordnet.synonyms(word))


@needs_wordnet
def test_random_insertion_adds_n_synonyms_of_the_sentence_words():
    wordnet = load_wordnet()
    sentence = SENTENCES[1]
    out = RandomInsertion(0.2, rng=np.random.default_rng(0))([sentence])[0]
    synonyms = {s for w in _words(sentence) for s in wordnet.synonyms(w)}
    inserted = list((Counter(out.split()) - Counter(sentence.split())).elements())
    n = changes_for(0.2, len(_words(sentence)))
    assert n <= len(inserted) and " ".join(inserted)
    assert Counter(sentence.split()) <= Counter(out.split())  # nothing lost
    assert all(any(word in s.split() for s in synonyms) for word in inserted)


@needs_wordnet
def test_eda_makes_n_aug_copies_of_each_sentence_by_all_four_operations():
    eda = EDA(n_aug=9, rng=np.random.default_rng(0))
    copies = eda(SENTENCES)
    assert [len(c) for c in copies] == [9] * len(SENTENCES)
    assert all(all(copy) for group in copies for copy in group)
    assert sum(copy != SENTENCES[0] for copy in copies[0]) >= 7
    assert copies == EDA(n_aug=9, rng=np.random.default_rng(0))(SENTENCES)
    assert [type(op).__name__ for op in EDA(0, 0.1, 0, 0.1, rng=np.random.default_rng(0))
            .operations] == ["RandomInsertion", "RandomDeletion"]


def test_bad_arguments_are_parameter_errors():
    with pytest.raises(ParameterError, match="Generator"):
        RandomSwap(0.1, rng=np.random.RandomState(0))
    with pytest.raises(ParameterError, match="alpha"):
        RandomSwap(0.0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="at least one"):
        EDA(0, 0, 0, 0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match="str"):
        RandomSwap(0.1, rng=np.random.default_rng(0))([3])
