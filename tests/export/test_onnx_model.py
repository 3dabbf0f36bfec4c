"""ONNX export: the graph's outputs equal ``predict_proba`` / ``predict`` on thousands of
rows (onnxruntime), with and without preprocessing, with every normalisation; malformed
requests are clear errors."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import DataError, ExportError
from fitwell.export import OPSET, onnx_inputs, to_onnx
from fitwell.training.augment import RandomShift

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROWS = 5000  # the rows every agreement is checked on
TOLERANCE = 1e-5


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _run(model, X):
    proto = to_onnx(model)
    session = ort.InferenceSession(proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in proto.graph.output]
    return dict(zip(names, session.run(None, onnx_inputs(model, X)), strict=True))


def _small(cls, **params):
    return cls(**{"hidden_layer_sizes": (24, 12), "max_iter": 15, "learning_rate_init": 0.01,
                  "random_state": 0, **params})


def _classification(n_classes, n=400, seed=0):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5,
                               n_classes=n_classes, random_state=seed)
    return X, y


def _fresh_rows(width, seed=1):
    return np.random.default_rng(seed).normal(scale=1.5, size=(ROWS, width))


@pytest.mark.parametrize("labels, params", [
    (None, {"normalization": "batch", "dropout": 0.2}),
    (None, {"normalization": "layer", "activation": "tanh"}),
    (None, {"normalization": "group", "num_groups": 4, "activation": "gelu"}),
    (["ant", "bee", "cat"], {"normalization": "batch", "activation": "leaky_relu"}),
    (None, {"normalization": "batch", "dtype": "float64", "activation": "logistic"}),
], ids=["batch", "layer-tanh", "group-gelu", "strings-leaky", "float64"])
def test_multiclass_probabilities_and_labels(labels, params):
    X, y = _classification(3)
    if labels is not None:
        y = np.asarray(labels)[y]
    model = _small(FitwellClassifier, **params).fit(X, y)
    fresh = _fresh_rows(X.shape[1])
    out = _run(model, fresh)
    assert np.abs(out["probabilities"] - model.predict_proba(fresh)).max() < TOLERANCE
    np.testing.assert_array_equal(out["label"], model.predict(fresh))


def test_binary_with_string_labels():
    X, y = _classification(2)
    model = _small(FitwellClassifier, normalization="batch").fit(X, np.array(["no", "yes"])[y])
    fresh = _fresh_rows(X.shape[1])
    out = _run(model, fresh)
    assert out["probabilities"].shape == (ROWS, 2)
    assert np.abs(out["probabilities"] - model.predict_proba(fresh)).max() < TOLERANCE
    np.testing.assert_array_equal(out["label"], model.predict(fresh))


def test_multilabel_indicators():
    X, Y = make_multilabel_classification(n_samples=300, n_features=8, n_classes=4,
                                          random_state=0)
    model = _small(FitwellClassifier, normalization="layer").fit(X, Y)
    fresh = _fresh_rows(X.shape[1]) + 3
    out = _run(model, fresh)
    assert np.abs(out["probabilities"] - model.predict_proba(fresh)).max() < TOLERANCE
    np.testing.assert_array_equal(out["label"], model.predict(fresh))


@pytest.mark.parametrize("outputs", [1, 3])
def test_regressor_predictions(outputs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    Y = X @ rng.normal(size=(6, outputs))
    model = _small(FitwellRegressor, normalization="batch").fit(X, Y.ravel() if outputs == 1
                                                                 else Y)
    fresh = _fresh_rows(6)
    predicted = _run(model, fresh)["predictions"]
    assert predicted.shape == (ROWS, outputs)
    expected = model.predict(fresh).reshape(ROWS, outputs)
    assert np.abs(predicted - expected).max() < TOLERANCE * max(1.0, np.abs(expected).max())


def test_a_poisson_regressor_exports_its_exp_output():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.3))
    model = _small(FitwellRegressor, loss="poisson").fit(X, y)
    fresh = _fresh_rows(4)
    predicted = _run(model, fresh)["predictions"].ravel()
    expected = model.predict(fresh)
    assert (predicted > 0).all()
    assert np.abs(predicted - expected).max() < TOLERANCE * max(1.0, np.abs(expected).max())


def test_a_standard_scaler_in_front_is_part_of_the_graph():
    X, y = _classification(3)
    X = X * 50 + 100
    model = make_pipeline(StandardScaler(), _small(FitwellClassifier,
                                                   normalization="batch")).fit(X, y)
    fresh = _fresh_rows(X.shape[1]) * 50 + 100
    out = _run(model, fresh)
    assert np.abs(out["probabilities"] - model.predict_proba(fresh)).max() < TOLERANCE


@pytest.fixture(scope="module")
def table_model(penguins):
    X, y = fitwell.features_and_target(penguins(300), "species")
    with threadpool_limits(limits=1):
        return fitwell.tabular_pipeline(X, _small(FitwellClassifier, normalization="batch",
                                                  max_iter=30)).fit(X, y)


def _new_penguins(penguins):
    table = penguins(ROWS, seed=7, gaps=400).drop(columns="species")
    table.loc[:99, "island"] = "Atlantis"  # a category the model never saw
    table.loc[100:199, "sex"] = " "
    return table


def test_table_preprocessing_is_part_of_the_graph(table_model, penguins):
    table = _new_penguins(penguins)
    out = _run(table_model, table)
    assert np.abs(out["probabilities"] - table_model.predict_proba(table)).max() < TOLERANCE
    np.testing.assert_array_equal(out["label"], table_model.predict(table))
    proto = to_onnx(table_model)
    inputs = {i.name: i.type.tensor_type.elem_type for i in proto.graph.input}
    assert inputs == {**{c: onnx.TensorProto.DOUBLE for c in (
        "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year",
        "tagged")}, "island": onnx.TensorProto.STRING, "sex": onnx.TensorProto.STRING}
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", OPSET),
                                                                    ("ai.onnx.ml", 3)]


def test_a_table_regressor(penguins):
    table = penguins(300).drop(columns="species").dropna(subset=["body_mass_g"])
    X, y = fitwell.features_and_target(table, "body_mass_g")
    model = fitwell.tabular_pipeline(X, _small(FitwellRegressor, normalization="batch")).fit(
        X, y / 1000)
    fresh = _new_penguins(penguins).drop(columns="body_mass_g")
    predicted = _run(model, fresh)["predictions"].ravel()
    assert np.abs(predicted - model.predict(fresh)).max() < TOLERANCE


def test_a_saved_model_exports_to_a_file(table_model, tmp_path):
    fitwell.save(table_model, tmp_path / "m.npz")
    to_onnx(fitwell.load(tmp_path / "m.npz"), tmp_path / "m.onnx")
    onnx.checker.check_model(str(tmp_path / "m.onnx"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "m.onnx"]  # no temporary


def test_malformed_requests_are_clear_errors(table_model):
    X, y = _classification(3)
    with pytest.raises(ExportError, match="got RandomShift"):
        to_onnx(RandomShift(1, image_shape=(2, 4)))
    with pytest.raises(ExportError, match="not fitted yet"):
        to_onnx(FitwellClassifier())
    with pytest.raises(ExportError, match=r"Pipeline of \['PCA', 'FitwellClassifier'\]"):
        from sklearn.decomposition import PCA

        to_onnx(make_pipeline(PCA(2), _small(FitwellClassifier)).fit(X, y))
    with pytest.raises(ExportError, match="opset must be an integer of at least 17"):
        to_onnx(_small(FitwellClassifier).fit(X, y), opset=12)
    with pytest.raises(DataError, match=r"lacks the columns \['island'\]"):
        onnx_inputs(table_model, pd.DataFrame({"year": [2008]}).assign(
            **{c: [1.0] for c in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                                  "body_mass_g", "tagged", "sex")}))
