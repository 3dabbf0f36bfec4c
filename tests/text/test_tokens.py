"""Sentences into words and punctuation marks, and back."""

from fitwell.text.tokens import detokenize, is_word, tokenize, word_positions


def test_words_keep_inner_apostrophes_and_punctuation_marks_stand_alone():
    tokens = tokenize("It's the 21st century's new \"Conan\", isn't it?")
    assert tokens == ["It's", "the", "21st", "century's", "new", '"', "Conan", '"', ",",
                      "isn't", "it", "?"]
    assert word_positions(tokens) == [0, 1, 2, 3, 4, 6, 9, 10]
    assert not is_word(",") and is_word("21st")
    assert detokenize(tokenize("a fine , fine film .")) == "a fine , fine film ."
