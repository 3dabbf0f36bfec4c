"""Sparse X in the estimators: CSR/CSC (matrices and arrays) train, predict and score
as their dense copies do, the training set is never densified, and the augmentations
that need dense rows are refused."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import ParameterError
from fitwell.estimator._sparse_inputs import as_training_matrix

SETTINGS = [
    {"solver": "adam"},
    {"solver": "adam", "dropout": 0.2},
    {"solver": "adam", "normalization": "batch"},
    {"solver": "sgd", "dropout": 0.1, "normalization": "batch", "early_stopping": True},
    {"solver": "lbfgs"},
]


@pytest.fixture(scope="module")
def text_like():
    """TF-IDF-like data: 240 rows, 60 columns, 10 % non-zeros; 3 classes and a target."""
    X = scipy.sparse.random(240, 60, density=0.1, format="csr", random_state=0,
                            dtype=np.float64)
    w = np.random.default_rng(1).standard_normal((60, 3))
    scores = X @ w
    return X, scores.argmax(axis=1), scores[:, 0]


def _pair(cls, settings, **kwargs):
    common = {"hidden_layer_sizes": (16,), "max_iter": 15, "random_state": 0,
              "dtype": "float64", "batch_size": 32, **settings, **kwargs}
    return cls(**common), cls(**common)


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(map(str, s.values())))
@pytest.mark.parametrize("fmt", [scipy.sparse.csr_matrix, scipy.sparse.csc_array],
                         ids=["csr_matrix", "csc_array"])
def test_classifier_on_sparse_x_equals_dense(text_like, settings, fmt):
    X, labels, _ = text_like
    sparse, dense = _pair(FitwellClassifier, settings)
    sparse.fit(fmt(X), labels)
    dense.fit(X.toarray(), labels)
    assert sparse.n_iter_ == dense.n_iter_
    np.testing.assert_allclose(sparse.loss_curve_ if settings["solver"] != "lbfgs"
                               else [sparse.loss_], dense.loss_curve_
                               if settings["solver"] != "lbfgs" else [dense.loss_], rtol=1e-9)
    for a, b in zip(sparse.coefs_, dense.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(sparse.predict_proba(fmt(X)), dense.predict_proba(X.toarray()),
                               rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(sparse.predict(fmt(X)), dense.predict(X.toarray()))
    assert sparse.score(fmt(X), labels) == dense.score(X.toarray(), labels)


@pytest.mark.parametrize("settings", SETTINGS[:3], ids=lambda s: "-".join(map(str, s.values())))
def test_regressor_on_sparse_x_equals_dense(text_like, settings):
    X, _, target = text_like
    sparse, dense = _pair(FitwellRegressor, settings)
    sparse.fit(X, target)
    dense.fit(X.toarray(), target)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(sparse.predict(X), dense.predict(X.toarray()), rtol=1e-8,
                               atol=1e-10)
    assert sparse.score(X, target) == pytest.approx(dense.score(X.toarray(), target), rel=1e-9)


def test_float32_sparse_training_matches_dense_to_rounding(text_like):
    X, labels, _ = text_like
    sparse, dense = _pair(FitwellClassifier, {"solver": "adam"}, dtype="float32", max_iter=5)
    sparse.fit(X, labels)
    dense.fit(X.toarray(), labels)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-4)


def test_partial_fit_and_validation_data_take_sparse_x(text_like):
    X, labels, target = text_like
    model = FitwellClassifier(hidden_layer_sizes=(8,), random_state=0)
    model.partial_fit(X[:100], labels[:100], classes=np.unique(labels))
    model.partial_fit(X[100:], labels[100:])
    assert len(model.history_) == 2
    reg = FitwellRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    reg.fit(X[:200], target[:200], validation_data=(X[200:].tocsc(), target[200:]))
    assert np.isfinite(reg.history_["val_loss"]).all()
    reg.partial_fit(X, target)


def test_training_never_densifies_x(text_like, monkeypatch):
    X, labels, _ = text_like

    def refuse(*args, **kwargs):
        raise AssertionError("X was densified")

    monkeypatch.setattr(scipy.sparse.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(scipy.sparse.csr_matrix, "todense", refuse)
    model = FitwellClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    model.fit(X, labels).predict_proba(X)


def test_as_training_matrix_stores_csr_in_the_training_dtype(text_like):
    X = text_like[0].tocsc()
    stored = as_training_matrix(X, np.float32)
    assert scipy.sparse.issparse(stored) and stored.format == "csr"
    assert stored.dtype == np.float32


@pytest.mark.parametrize("augment", ["noise", ["mixup", "noise"], ("flip", {})])
def test_augmentations_needing_dense_rows_are_refused(text_like, augment):
    X, labels, _ = text_like
    model = FitwellClassifier(max_iter=2, augment=augment, image_shape=(6, 10))
    with pytest.raises(ParameterError, match="needs dense rows"):
        model.fit(X, labels)
    assert not hasattr(model, "model_")


def test_mixup_trains_on_sparse_rows(text_like):
    X, labels, _ = text_like
    model = FitwellClassifier(hidden_layer_sizes=(8,), max_iter=3, augment="mixup",
                              random_state=0).fit(X, labels)
    assert np.isfinite(model.loss_curve_).all()
