"""Model files of table pipelines: the preprocessing round-trips exactly, as plain arrays
and JSON (no pickle), and a damaged description is refused."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier, ModelFileError
from fitwell.tabular import TablePreprocessor, tabular_preprocessor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def fitted(penguins):
    table = penguins(200)
    X, y = fitwell.features_and_target(table, "species")
    with threadpool_limits(limits=1):
        model = fitwell.tabular_pipeline(X, FitwellClassifier(
            hidden_layer_sizes=(16,), normalization="batch", max_iter=20,
            learning_rate_init=0.01, random_state=0)).fit(X, y)
    return model, X


def test_predictions_are_identical_after_load(fitted, tmp_path, penguins):
    model, _ = fitted
    fitwell.save(model, tmp_path / "m.npz")
    again = fitwell.load(tmp_path / "m.npz")
    assert isinstance(again.steps[0][1], TablePreprocessor)
    new = penguins(80, seed=3).drop(columns="species")
    new.loc[0, "island"], new.loc[1, "flipper_length_mm"] = "Atlantis", None
    np.testing.assert_array_equal(again.predict_proba(new), model.predict_proba(new))
    np.testing.assert_array_equal(again.predict(new), model.predict(new))


def test_the_file_holds_no_pickle_and_names_the_columns(fitted, tmp_path):
    model, X = fitted
    fitwell.save(model, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:  # refuses object arrays
        arrays = {name: archive[name] for name in archive.files}
    assert all(a.dtype.kind != "O" for a in arrays.values())
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        assert not any(b"pickle" in archive.read(n) or archive.read(n)[:2] == b"\x80\x04"
                       for n in archive.namelist())
    header = json.loads(arrays["header"].tobytes())
    assert header["tabular"]["columns"] == list(X.columns)
    assert list(arrays["tabular/categories/0"]) == ["Biscoe", "Dream", "Torgersen"]


def test_a_preprocessing_that_does_not_fit_the_network_is_refused(fitted, tmp_path,
                                                                  monkeypatch):
    model, X = fitted
    narrower = tabular_preprocessor(X.drop(columns="island")).fit(X.drop(columns="island"))
    mismatched = Pipeline([("preprocess", narrower), ("model", model[-1])])
    with pytest.raises(ModelFileError, match="gives 12 features, the network takes 15"):
        fitwell.save(mismatched, tmp_path / "m.npz")
    monkeypatch.setattr(fitwell.io, "_check_width", lambda *args: None)
    fitwell.save(mismatched, tmp_path / "m.npz")  # a file that save would not write
    monkeypatch.undo()
    with pytest.raises(ModelFileError, match="gives 12 features, the network takes 15"):
        fitwell.load(tmp_path / "m.npz")
