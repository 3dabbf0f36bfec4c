"""``classic_split``'s ``train_rows``: fewer training rows, the same validation and test rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitwell.data import DataError, classic_split, load_dataset
from fitwell.experiments.inputs import resolve_inputs


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _rows(part, X):
    """Indices into ``X`` of each row of ``part`` (rows of digits are unique enough)."""
    lookup = {row.tobytes(): i for i, row in enumerate(X)}
    return [lookup[row.tobytes()] for row in part]


@settings(max_examples=15, deadline=None)
@given(n_rows=st.integers(10, 1149) | st.sampled_from([1140, 1148]),
       seed=st.integers(0, 2**16))
def test_keeps_n_stratified_rows_of_the_training_part(digits, n_rows, seed):
    full = classic_split(digits, random_state=seed, scale=False)
    part = classic_split(digits, random_state=seed, scale=False, train_rows=n_rows)
    assert len(part.y_train) == len(part.X_train) == n_rows
    # validation and test rows are exactly those of the full split
    np.testing.assert_array_equal(part.X_val, full.X_val)
    np.testing.assert_array_equal(part.X_test, full.X_test)
    # the kept rows are training rows of the full split
    kept = set(_rows(part.X_train, digits.X))
    assert kept <= set(_rows(full.X_train, digits.X))
    # stratified: each class within one row of its share (when at least one row of each
    # class can be left out)
    classes, counts = np.unique(full.y_train, return_counts=True)
    kept_counts = np.array([(part.y_train == c).sum() for c in classes])
    if len(full.y_train) - n_rows >= len(classes):
        assert np.all(np.abs(kept_counts - counts * n_rows / len(full.y_train)) <= 1.0)


def test_same_seed_same_rows_and_scaler_fitted_on_the_kept_rows(digits):
    first = classic_split(digits, random_state=3, train_rows=200)
    again = classic_split(digits, random_state=3, train_rows=200)
    other = classic_split(digits, random_state=4, train_rows=200)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    assert not np.array_equal(first.y_train, other.y_train)
    # standardised on the 200 kept rows: mean 0 where a pixel varies
    varying = first.scaler.scale_ != 1.0
    np.testing.assert_allclose(first.X_train.mean(axis=0)[varying], 0.0, atol=1e-9)


def test_all_rows_is_the_full_split(digits):
    full = classic_split(digits, random_state=0)
    n = len(full.y_train)
    np.testing.assert_array_equal(classic_split(digits, random_state=0, train_rows=n).X_train,
                                  full.X_train)


def test_regression_subsample_is_not_stratified():
    split = classic_split(load_dataset("diabetes"), random_state=0, train_rows=50)
    assert len(split.y_train) == 50


@pytest.mark.parametrize("bad, fragment", [
    (5000, "has only 1149 rows; give at most 1149"),
    (0, "positive whole number"),
    (-3, "positive whole number"),
    (True, "positive whole number"),
    (2.5, "positive whole number"),
    (9, "fewer than the 10 classes"),
])
def test_bad_train_rows_is_a_clear_error(digits, bad, fragment):
    with pytest.raises(DataError, match="train_rows") as caught:
        classic_split(digits, random_state=0, train_rows=bad)
    assert fragment in str(caught.value)


def test_the_experiment_fingerprint_knows_the_subsample(digits):
    plain = resolve_inputs("baseline", digits)
    again = resolve_inputs("baseline", digits, train_rows=None)
    part = resolve_inputs("baseline", digits, train_rows=300)
    assert plain.data_hash == again.data_hash
    assert part.data_hash != plain.data_hash
    assert len(part.split.y_train) == 300


def test_sweeps_and_ablations_pass_it_on(digits, tmp_path):
    from fitwell.experiments.ablation import plan_ablation
    from fitwell.experiments.sweep import plan_sweep

    sweep = plan_sweep("baseline", digits, ["dropout=0,0.2"], seeds=1, out=str(tmp_path / "s"),
                       train_rows=120)
    ablation = plan_ablation("improved", digits, seeds=1, out=str(tmp_path / "a"),
                             train_rows=150)
    assert len(sweep.experiment.split.y_train) == 120
    assert len(ablation.experiment.split.y_train) == 150
