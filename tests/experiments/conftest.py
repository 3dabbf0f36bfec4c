"""Fixtures of the experiment tests: 400 digits rows, as a Dataset and as an .npz file,
and the tiny recipe as a file."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_experiment import TINY

from fitwell.data import Dataset, load_dataset
from fitwell.recipe import dump_recipe


@pytest.fixture(scope="module")
def small_digits():
    data = load_dataset("digits")
    rows = np.random.default_rng(0).choice(len(data.y), size=400, replace=False)
    return Dataset(data.X[rows], data.y[rows], "classification", "digits400",
                   data.feature_names, "target", (8, 8))


@pytest.fixture(scope="module")
def digits_npz(tmp_path_factory, small_digits):
    path = tmp_path_factory.mktemp("data") / "digits400.npz"
    np.savez(path, X=small_digits.X, y=small_digits.y)
    return str(path)


@pytest.fixture(scope="module")
def tiny_recipe(tmp_path_factory):
    path = tmp_path_factory.mktemp("recipes") / "tiny.toml"
    dump_recipe(TINY, str(path), name="tiny")
    return str(path)
