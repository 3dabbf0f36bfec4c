"""The table's ColumnTransformer: each branch's numbers, unseen categories, gaps, missing
columns, and the pipeline trained from Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier, FitwellRegressor
from fitwell.errors import DataError
from fitwell.tabular import tabular_preprocessor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TRAIN = pd.DataFrame({
    "x": [1.0, np.nan, 3.0, 5.0],
    "flag": pd.Series([True, False, None, True], dtype=object),
    "colour": ["red", "blue", None, "red"],
})


def test_each_branch_computes_what_it_says():
    pre = tabular_preprocessor(TRAIN).fit(TRAIN)
    assert isinstance(pre, ColumnTransformer)
    out = pre.transform(TRAIN)
    x = np.array([1.0, 3.0, 3.0, 5.0])  # the gap takes the median, 3
    np.testing.assert_allclose(out[:, 0], (x - x.mean()) / x.std())
    np.testing.assert_array_equal(out[:, 1], [1, 0, 1, 1])           # flag; gap -> True
    np.testing.assert_array_equal(out[:, 2:4], [[0, 1], [1, 0], [0, 1], [0, 1]])  # blue, red
    np.testing.assert_array_equal(out[:, 4:], [[0, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]])
    assert list(pre.get_feature_names_out()) == [
        "numeric__x", "boolean__flag", "categorical__colour_blue", "categorical__colour_red",
        "missing__x", "missing__flag", "missing__colour"]


def test_unseen_categories_are_all_zero_and_extra_columns_ignored():
    pre = tabular_preprocessor(TRAIN).fit(TRAIN)
    new = pd.DataFrame({"colour": ["green"], "flag": ["false"], "x": [" "], "extra": [1]})
    out = pre.transform(new)
    np.testing.assert_array_equal(out[0, 2:4], [0, 0])
    np.testing.assert_array_equal(out[0, 4:], [1, 0, 0])


def test_missing_columns_and_arrays_are_refused_clearly():
    pre = tabular_preprocessor(TRAIN).fit(TRAIN)
    with pytest.raises(DataError, match=r"lacks the columns \['flag'\]"):
        pre.transform(TRAIN.drop(columns="flag"))
    with pytest.raises(DataError, match="expects a table"):
        pre.transform(np.zeros((2, 3)))


def test_without_scaling_numbers_keep_their_units():
    out = tabular_preprocessor(TRAIN, scale=False).fit_transform(TRAIN)
    np.testing.assert_array_equal(out[:, 0], [1.0, 3.0, 3.0, 5.0])


def test_penguins_train_and_predict_from_python(penguins):
    table = penguins(240)
    X, y = fitwell.features_and_target(table, "species")
    with threadpool_limits(limits=1):
        model = fitwell.tabular_pipeline(table, FitwellClassifier(
            hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, random_state=0),
            target="species").fit(X, y)
    assert model.score(X, y) > 0.9
    new = pd.DataFrame({"island": ["Atlantis", "Dream"], "bill_length_mm": [47.0, None],
                        "bill_depth_mm": [15.1, 18.2], "flipper_length_mm": [215, 195],
                        "body_mass_g": [5000, None], "sex": ["female", None],
                        "tagged": [True, None], "year": [2009, 2008]})
    proba = model.predict_proba(new)
    assert np.isfinite(proba).all() and model.predict(new)[0] == "Gentoo"


def test_a_regressor_on_a_table(penguins):
    table = penguins(120).drop(columns="species")
    X, y = fitwell.features_and_target(table.dropna(subset=["body_mass_g"]), "body_mass_g")
    with threadpool_limits(limits=1):
        model = fitwell.tabular_pipeline(X, FitwellRegressor(
            hidden_layer_sizes=(8,), max_iter=20, random_state=0)).fit(X, y / 1000.0)
    assert model.predict(X).shape == (len(X),)
