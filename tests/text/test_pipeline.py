"""Leakage: validation and test texts are never augmented — in fit, in cross_val_score
and in GridSearchCV — and a text pipeline trains on the real review sentences."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from fitwell import FitwellClassifier
from fitwell.errors import ParameterError
from fitwell.text import AugmentingPipeline, AugmentTexts, text_pipeline

#: every text a sampler was asked to augment, across clones (clone deep-copies params)
SEEN: list[str] = []


class RecordingAugment(AugmentTexts):
    """AugmentTexts ("swap") that records the texts it augments."""

    def fit_resample(self, X, y):
        SEEN.extend(X)
        return super().fit_resample(X, y)


def _texts(n=120, seed=0):
    rng = np.random.default_rng(seed)
    good, bad = ["great", "tender", "funny", "moving"], ["dull", "slow", "tired", "awful"]
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        words = rng.choice(good if label else bad, 3).tolist() + [f"id{i}", "film", "."]
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


def _model(**params):
    return text_pipeline(FitwellClassifier(hidden_layer_sizes=(8,), max_iter=5,
                                           random_state=0, **params),
                         RecordingAugment("swap", n_aug=2, random_state=0))


@pytest.fixture(autouse=True)
def _clear():
    SEEN.clear()


def test_fit_augments_the_training_texts_only_not_the_validation_data():
    texts, y = _texts()
    model = _model().fit(texts[:80], y[:80], validation_data=(texts[80:], y[80:]))
    assert set(SEEN) == set(texts[:80])
    assert model[-1].n_features_in_ == len(model[1].vocabulary_)
    assert not any(f"id{i}" in model[1].vocabulary_ for i in range(80, 120))


def test_early_stopping_holds_out_validation_texts_before_augmenting():
    texts, y = _texts()
    model = _model(early_stopping=True, validation_fraction=0.25).fit(texts, y)
    assert len(SEEN) == 90 and set(SEEN) < set(texts)  # 30 held out, never augmented
    held_out = set(texts) - set(SEEN)
    assert not any(t.split()[3] in model[1].vocabulary_ for t in held_out)
    assert model[-1].validation_scores_  # the held-out texts scored every epoch


def test_cross_val_score_augments_each_training_fold_only():
    texts, y = _texts()
    folds = list(KFold(4).split(texts))
    cross_val_score(_model(), texts, y, cv=folds)
    assert len(SEEN) == 4 * 90
    for k, (train, test) in enumerate(folds):
        assert set(SEEN[90 * k:90 * (k + 1)]) == {texts[i] for i in train}
        assert not {texts[i] for i in test} & set(SEEN[90 * k:90 * (k + 1)])


def test_grid_search_augments_training_folds_only_and_refits_on_all():
    texts, y = _texts()
    folds = list(KFold(3).split(texts))
    search = GridSearchCV(_model(), {"augment__n_aug": [1, 2]}, cv=folds).fit(texts, y)
    assert len(SEEN) == 2 * 3 * 80 + 120  # 2 settings × 3 folds, then the refit on all
    for start in range(0, 6 * 80, 80):
        chunk = set(SEEN[start:start + 80])
        assert any(chunk == {texts[i] for i in train} for train, _ in folds)
    assert search.best_estimator_[0].n_aug in (1, 2)


def test_prediction_never_augments():
    texts, y = _texts()
    model = _model().fit(texts, y)
    SEEN.clear()
    model.predict(texts)
    model.score(texts, y)
    assert SEEN == []


def test_fit_parameters_other_than_validation_data_are_refused():
    texts, y = _texts()
    with pytest.raises(ParameterError, match="validation_data"):
        _model().fit(texts, y, model__sample_weight=np.ones(len(y)))
    assert isinstance(_model(), AugmentingPipeline)
