"""AugmentTexts: copies and their labels at fit_resample, the identity elsewhere, and
the recipe's text augmentation."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from fitwell.errors import DataError, ParameterError
from fitwell.text import AugmentTexts
from fitwell.text.resample import as_texts, from_recipe, is_text_augmentation
from fitwell.text.wordnet import WORDNET_DIR

needs_wordnet = pytest.mark.skipif(not os.path.exists(os.path.join(WORDNET_DIR, "data.noun")),
                                   reason="Debian's wordnet-base is not installed")
TEXTS = ["a slow , dull film .", "a tender and funny film .", "brilliant acting !"]
LABELS = np.array(["rotten", "fresh", "fresh"])


@needs_wordnet
def test_fit_resample_keeps_the_originals_first_and_repeats_each_copy_label():
    step = AugmentTexts("eda", n_aug=3, random_state=0)
    X, y = step.fit_resample(TEXTS, LABELS)
    assert X[:3] == TEXTS and len(X) == 3 * 4
    assert y.tolist() == LABELS.tolist() + ["rotten"] * 3 + ["fresh"] * 6
    assert step.fit_resample(TEXTS, LABELS)[0] == X  # seeded afresh each time
    assert AugmentTexts("eda", n_aug=3, random_state=1).fit_resample(TEXTS, LABELS)[0] != X


def test_transform_is_the_identity():
    assert AugmentTexts("swap").fit(TEXTS).transform(pd.Series(TEXTS)) == TEXTS


def test_single_operations_make_n_aug_copies():
    X, y = AugmentTexts("deletion", n_aug=2, alpha=0.3, random_state=0).fit_resample(
        TEXTS, LABELS)
    assert len(X) == 9 and y[3:].tolist() == ["rotten"] * 2 + ["fresh"] * 4


def test_texts_are_checked():
    with pytest.raises(DataError, match="entry 1"):
        as_texts(["a", None])
    with pytest.raises(DataError, match="one column"):
        as_texts(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(DataError, match="3 labels"):
        AugmentTexts("swap").fit_resample(TEXTS[:2], LABELS)


def test_recipe_entries_make_the_step_or_are_refused():
    assert from_recipe(None) is None
    step = from_recipe([("eda", {"n_aug": 16, "alpha": 0.05})], random_state=7)
    assert step.get_params()["n_aug"] == 16 and step.random_state == 7
    assert is_text_augmentation(["backtranslation"]) and not is_text_augmentation(["shift"])
    for bad in (["shift"], ["eda", "swap"], [("eda", {"rate": 0.1})], ["eda!"]):
        with pytest.raises(ParameterError):
            from_recipe(bad)
    with pytest.raises(ParameterError, match="method"):
        AugmentTexts("nope").fit(TEXTS)
