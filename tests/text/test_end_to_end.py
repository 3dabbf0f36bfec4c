"""A small end-to-end training on the real review sentences: EDA at fit only, TF-IDF,
FitwellClassifier, scored on sentences it never saw."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fitwell import FitwellClassifier
from fitwell.data.rotten_tomatoes import WHEEL, WHEEL_DIRS, load_rotten_tomatoes
from fitwell.text import AugmentTexts, text_pipeline
from fitwell.text.wordnet import WORDNET_DIR

pytestmark = pytest.mark.skipif(
    not any(os.path.exists(os.path.join(d, WHEEL)) for d in WHEEL_DIRS)
    or not os.path.exists(os.path.join(WORDNET_DIR, "data.noun")),
    reason="needs the review wheel ('make data') and Debian's wordnet-base")


def test_eda_pipeline_learns_the_review_polarity_beyond_the_majority_class():
    texts, labels = load_rotten_tomatoes()
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[:1500], order[1500:2500]
    texts = texts["text"].to_numpy()
    model = text_pipeline(
        FitwellClassifier(hidden_layer_sizes=(32,), max_iter=15, early_stopping=True,
                          n_iter_no_change=3, random_state=0),
        AugmentTexts("eda", n_aug=2, random_state=0), sublinear_tf=True)
    model.fit(texts[train], labels[train])
    majority = max(np.mean(labels[test] == "fresh"), np.mean(labels[test] == "rotten"))
    accuracy = model.score(texts[test], labels[test])
    assert accuracy > majority + 0.05, (accuracy, majority)
    assert model[-1].n_iter_ >= 2 and model.predict(["a wonderful , moving film ."])[0] in \
        ("fresh", "rotten")
