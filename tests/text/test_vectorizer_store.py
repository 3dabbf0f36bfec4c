"""A fitted TfidfVectorizer as plain arrays and back, and text models in model files."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from fitwell import FitwellClassifier
from fitwell.errors import ModelFileError
from fitwell.io import load, save
from fitwell.text import AugmentingPipeline, AugmentTexts, text_pipeline
from fitwell.text.store import from_plain, to_plain

TEXTS = ["a good film", "a bad film , really bad", "good good fun", "dull and slow"]
NEW = TEXTS + ["new words film", "", "GOOD Film!"]


@pytest.mark.parametrize("params", [
    {"sublinear_tf": True, "ngram_range": (1, 2)}, {"use_idf": False},
    {"min_df": 2, "stop_words": "english"}, {"analyzer": "char_wb", "ngram_range": (2, 3)},
    {"max_features": 3, "norm": "l1", "lowercase": False}])
def test_round_trip_gives_the_same_matrix_and_parameters(params):
    vectorizer = TfidfVectorizer(**params).fit(TEXTS)
    spec, arrays = to_plain(vectorizer)
    assert all(a.dtype.kind in "Uf" for a in arrays.values())
    restored = from_plain(spec, arrays)
    assert restored.get_params() == vectorizer.get_params()
    assert (restored.transform(NEW) != vectorizer.transform(NEW)).nnz == 0


def test_callables_and_corrupt_descriptions_are_refused():
    with pytest.raises(ModelFileError, match="tokenizer"):
        to_plain(TfidfVectorizer(tokenizer=str.split).fit(TEXTS))
    spec, arrays = to_plain(TfidfVectorizer().fit(TEXTS))
    with pytest.raises(ModelFileError, match="idf"):
        from_plain(spec, {**arrays, "idf": arrays["idf"][:-1]})
    with pytest.raises(ModelFileError, match="distinct"):
        from_plain(spec, {**arrays, "vocabulary": np.array(["a", "a", "b", "c", "d", "e",
                                                             "f", "g", "h", "i"])})


def test_a_text_pipeline_is_saved_without_pickle_and_predicts_raw_text(tmp_path):
    labels = np.array([1, 0, 1, 0])
    model = text_pipeline(FitwellClassifier(hidden_layer_sizes=(4,), max_iter=3,
                                            random_state=0),
                          AugmentTexts("swap", n_aug=2, random_state=3), sublinear_tf=True)
    model.fit(TEXTS, labels)
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert isinstance(loaded, AugmentingPipeline)
    assert loaded[0].get_params() == model[0].get_params()
    np.testing.assert_array_equal(loaded.predict_proba(NEW), model.predict_proba(NEW))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert "text/vocabulary" in archive.files and "text/idf" in archive.files
    plain = text_pipeline(FitwellClassifier(hidden_layer_sizes=(4,), max_iter=2)).fit(
        TEXTS, labels)
    save(plain, tmp_path / "plain.npz")
    assert load(tmp_path / "plain.npz")[0] == "passthrough"
