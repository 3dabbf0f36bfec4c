"""The four "easy data augmentation" operations of Wei & Zou (2019) and their combination.

Wei, J. and Zou, K., "EDA: Easy Data Augmentation Techniques for Boosting Performance on
Text Classification Tasks", EMNLP 2019, https://arxiv.org/abs/1901.11196.

Each augmenter maps a list of sentences to a list of the same length, one new sentence per
sentence, drawing from the ``np.random.Generator`` it was given. For a sentence of ``l``
words and a rate ``α``, the operations that change a count of words change
``n = max(1, int(α·l))`` of them:

* :class:`SynonymReplacement` — ``n`` distinct non-stop words that have WordNet synonyms
  are each replaced (every occurrence) by one synonym drawn uniformly;
* :class:`RandomInsertion` — ``n`` times, a synonym of a random non-stop word is inserted
  at a random position;
* :class:`RandomSwap` — ``n`` times, two random words trade places;
* :class:`RandomDeletion` — each word is deleted with probability ``p = α`` (one random
  word is kept when all would go).

Punctuation marks are never replaced, swapped or deleted and keep their places among the
tokens (see :mod:`.tokens`); a sentence without words is returned unchanged. Words are
lower-cased where they are replaced by a synonym, as in the paper's code; others keep
their case.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .._validation import check_int, check_number
from ..errors import ParameterError
from .tokens import detokenize, is_word, tokenize, word_positions
from .wordnet import WORDNET_DIR, load_wordnet

__all__ = ["SynonymReplacement", "RandomInsertion", "RandomSwap", "RandomDeletion", "EDA",
           "changes_for"]


def changes_for(alpha, n_words) -> int:
    """``max(1, int(α·l))``: how many words an operation of rate ``α`` changes."""
    return max(1, int(alpha * n_words))


def _generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator "
                             f"(np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


class _Augmenter:
    """Shared: the rate, the generator, and sentence-by-sentence application."""

    def __init__(self, alpha, rng):
        self.alpha = check_number(alpha, "alpha", type(self).__name__, low=0.0, high=1.0,
                                  low_open=True)
        self.rng = _generator(rng)

    def __call__(self, sentences) -> list[str]:
        """One augmented sentence per sentence of ``sentences`` (a list of ``str``)."""
        out = []
        for sentence in sentences:
            if not isinstance(sentence, str):
                raise ParameterError(f"augmenters take sentences as str, got "
                                     f"{type(sentence).__name__}: {sentence!r}")
            tokens = tokenize(sentence)
            out.append(detokenize(self._tokens(tokens)) if word_positions(tokens)
                       else sentence)
        return out

    def __repr__(self):
        return f"{type(self).__name__}(alpha={self.alpha})"


class _WithSynonyms(_Augmenter):
    def __init__(self, alpha, rng, wordnet_dir=WORDNET_DIR):
        super().__init__(alpha, rng)
        self.wordnet = load_wordnet(wordnet_dir)

    def _candidates(self, tokens):
        """Distinct lower-case non-stop words of ``tokens`` that have synonyms."""
        seen = []
        for token in tokens:
            word = token.lower()
            if is_word(token) and word not in ENGLISH_STOP_WORDS and word not in seen \
                    and self.wordnet.synonyms(word):
                seen.append(word)
        return seen


class SynonymReplacement(_WithSynonyms):
    """Replace ``n`` distinct non-stop words by a WordNet synonym each.

    ``"the acting is brilliant"`` → ``"the acting is superb"``. The chosen word is replaced
    wherever it occurs; a synonym of several words (``"motion picture"``) adds words.
    Stop words (scikit-learn's English list) and words without synonyms stay.

    Parameters
    ----------
    alpha : float in (0, 1]
        Rate: ``n = max(1, int(α·l))`` for ``l`` words.
    rng : numpy.random.Generator
    wordnet_dir : str
        The folder of WordNet's ``data.*`` files (Debian's ``wordnet-base``).
    """

    def _tokens(self, tokens):
        candidates = self._candidates(tokens)
        if not candidates:
            return tokens
        n = min(changes_for(self.alpha, len(word_positions(tokens))), len(candidates))
        chosen = {candidates[i] for i in self.rng.permutation(len(candidates))[:n]}
        replacement = {}
        for word in candidates:  # in sentence order, so the draws do not depend on hashing
            if word in chosen:
                synonyms = self.wordnet.synonyms(word)
                replacement[word] = synonyms[self.rng.integers(len(synonyms))]
        return [replacement.get(t.lower(), t) if is_word(t) else t for t in tokens]


class RandomInsertion(_WithSynonyms):
    """Insert, ``n`` times, a synonym of a random non-stop word at a random position.

    ``"a tender film"`` → ``"a tender cinema film"``. Nothing is inserted into a sentence
    none of whose words has a synonym.
    """

    def _tokens(self, tokens):
        candidates = self._candidates(tokens)
        if not candidates:
            return tokens
        tokens = list(tokens)
        for _ in range(changes_for(self.alpha, len(word_positions(tokens)))):
            synonyms = self.wordnet.synonyms(candidates[self.rng.integers(len(candidates))])
            tokens.insert(int(self.rng.integers(len(tokens) + 1)),
                          synonyms[self.rng.integers(len(synonyms))])
        return tokens


class RandomSwap(_Augmenter):
    """Swap two random words, ``n`` times; punctuation stays where it is.

    ``"a slow , dull film"`` → ``"a film , dull slow"``. A one-word sentence is unchanged.
    """

    def _tokens(self, tokens):
        positions = word_positions(tokens)
        tokens = list(tokens)
        if len(positions) < 2:
            return tokens
        for _ in range(changes_for(self.alpha, len(positions))):
            i, j = self.rng.choice(len(positions), size=2, replace=False)
            a, b = positions[i], positions[j]
            tokens[a], tokens[b] = tokens[b], tokens[a]
        return tokens


class RandomDeletion(_Augmenter):
    """Delete each word with probability ``p = α``; punctuation stays.

    ``"a slow , dull film"`` → ``"slow , film"``. At least one word survives: when every
    word is drawn for deletion, one of them, chosen at random, is kept.
    """

    def _tokens(self, tokens):
        positions = word_positions(tokens)
        drop = self.rng.random(len(positions)) < self.alpha
        if drop.all():
            drop[self.rng.integers(len(positions))] = False
        dropped = {p for p, d in zip(positions, drop, strict=True) if d}
        return [t for i, t in enumerate(tokens) if i not in dropped]


class EDA:
    """``n_aug`` augmented copies of each sentence, as Wei & Zou's ``eda`` makes them.

    For each sentence, ``⌊n_aug/4⌋ + 1`` copies are made with each of the four operations
    (synonym replacement at ``alpha_sr``, random insertion at ``alpha_ri``, random swap at
    ``alpha_rs``, random deletion with ``p_rd``), shuffled, and the first ``n_aug`` kept.
    An operation whose rate is 0 is left out (the copies come from the others).

    Parameters
    ----------
    alpha_sr, alpha_ri, alpha_rs, p_rd : float in [0, 1], default=0.1
    n_aug : int, default=4
        Copies per sentence (the paper uses 16 for small sets, 4 for large ones).
    rng : numpy.random.Generator
    wordnet_dir : str
    """

    def __init__(self, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, n_aug=4, *,
                 rng, wordnet_dir=WORDNET_DIR):
        rates = {"alpha_sr": alpha_sr, "alpha_ri": alpha_ri, "alpha_rs": alpha_rs,
                 "p_rd": p_rd}
        rates = {k: check_number(v, k, "EDA", low=0.0, high=1.0) for k, v in rates.items()}
        if not any(rates.values()):
            raise ParameterError("EDA needs at least one operation with a rate above 0; got "
                                 "alpha_sr = alpha_ri = alpha_rs = p_rd = 0")
        self.n_aug = check_int(n_aug, "n_aug", "EDA", minimum=1)
        self.rng = _generator(rng)
        kinds = ((SynonymReplacement, "alpha_sr"), (RandomInsertion, "alpha_ri"),
                 (RandomSwap, "alpha_rs"), (RandomDeletion, "p_rd"))
        self.operations = []
        for kind, key in kinds:
            if rates[key]:
                extra = {"wordnet_dir": wordnet_dir} if key in ("alpha_sr", "alpha_ri") else {}
                self.operations.append(kind(rates[key], rng=self.rng, **extra))

    def __call__(self, sentences) -> list[list[str]]:
        """For each sentence, its ``n_aug`` augmented copies."""
        per_operation = self.n_aug // len(self.operations) + 1
        copies = [[] for _ in sentences]
        for operation in self.operations:
            for _ in range(per_operation):
                for index, new in enumerate(operation(sentences)):
                    copies[index].append(new)
        return [[group[i] for i in self.rng.permutation(len(group))[:self.n_aug]]
                for group in copies]
