"""Sentences as tokens: words and punctuation marks, and back.

A token is a word (letters, digits and underscores, with an inner apostrophe as in
``century's``) or one punctuation mark. Augmenters change words only; punctuation marks
keep their places. Tokens are joined with single spaces, the form the review snippets
already have (``it's a fine film , really .``); a bag-of-words vectorizer sees the same
words either way.
"""

from __future__ import annotations

import re

__all__ = ["tokenize", "detokenize", "is_word", "word_positions"]

_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def tokenize(sentence: str) -> list[str]:
    """``"A fine, fine film."`` → ``["A", "fine", ",", "fine", "film", "."]``."""
    return _TOKEN.findall(sentence)


def detokenize(tokens) -> str:
    """The tokens joined by single spaces."""
    return " ".join(tokens)


def is_word(token: str) -> bool:
    """Whether ``token`` is a word (not a punctuation mark)."""
    return token[:1].isalnum() or token[:1] == "_"


def word_positions(tokens) -> list[int]:
    """The indices of the words among ``tokens``."""
    return [i for i, token in enumerate(tokens) if is_word(token)]
