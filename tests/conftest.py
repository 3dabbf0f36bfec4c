"""Fixtures shared across test folders: a penguins-like table (text categories, empty
cells, a boolean column), as the classic Palmer penguins data looks."""

from __future__ import annotations

import errno
import os

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

#: per species: bill length, bill depth, flipper length, body mass
_SPECIES = {"Adelie": (38.8, 18.3, 190.0, 3700.0), "Chinstrap": (48.8, 18.4, 196.0, 3730.0),
            "Gentoo": (47.5, 15.0, 217.0, 5080.0)}


def penguins_table(n=300, seed=0, gaps=8) -> pd.DataFrame:
    """``n`` penguins: species (the target), island and sex (text), four measurements,
    tagged (True/False), year; ``gaps`` empty cells in bill length, body mass, sex and
    tagged."""
    rng = np.random.default_rng(seed)
    species = rng.choice(list(_SPECIES), n)
    island = np.where(species == "Gentoo", "Biscoe",
                      np.where(species == "Chinstrap", "Dream",
                               rng.choice(["Biscoe", "Dream", "Torgersen"], n)))
    means = np.array([_SPECIES[s] for s in species])
    table = pd.DataFrame({
        "species": species, "island": island,
        "bill_length_mm": (means[:, 0] + rng.normal(0, 2.5, n)).round(1),
        "bill_depth_mm": (means[:, 1] + rng.normal(0, 1.0, n)).round(1),
        "flipper_length_mm": (means[:, 2] + rng.normal(0, 6.0, n)).round(0),
        "body_mass_g": (means[:, 3] + rng.normal(0, 400.0, n)).round(0),
        "sex": rng.choice(["male", "female"], n),
        "tagged": rng.choice([True, False], n),
        "year": rng.choice([2007, 2008, 2009], n),
    })
    for column in ("bill_length_mm", "body_mass_g", "sex", "tagged"):
        table[column] = table[column].astype(object)
        table.loc[rng.choice(n, gaps, replace=False), column] = None
    return table


@pytest.fixture(scope="session")
def penguins_csv(tmp_path_factory):
    """The penguins table written as a CSV file, missing cells as ``NA``."""
    path = tmp_path_factory.mktemp("penguins") / "penguins.csv"
    penguins_table().to_csv(path, index=False, na_rep="NA")
    return path


@pytest.fixture(scope="session")
def penguins():
    """:func:`penguins_table`, to build tables of other sizes and seeds."""
    return penguins_table


@pytest.fixture
def one_blas_thread():
    """Small matrices: BLAS threads only add overhead, and pytest-xdist runs workers in
    parallel."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris_str(iris):
    X, y = iris
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_features=8, n_classes=4,
                                          random_state=0)
    return StandardScaler().fit_transform(X), Y


@pytest.fixture(scope="module")
def regression():
    X, Y = make_regression(n_samples=120, n_features=6, n_targets=3, noise=0.1, random_state=0)
    return X, Y / Y.std(axis=0)


class DiskFillsUp:
    """A file that takes ``room`` bytes (or characters), then fails as a full disk does."""

    def __init__(self, handle, room):
        self._handle, self._room = handle, room

    def write(self, data):
        if len(data) > self._room:
            self._handle.write(data[:self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()


@pytest.fixture
def disk_fills_up(monkeypatch):
    """``disk_fills_up(room)``: from now on, files that fitwell's atomic writer opens take
    ``room`` bytes, then fail as a full disk does."""
    from fitwell import _files

    def fill(room):
        real_open = open
        monkeypatch.setattr(_files, "open", lambda *args, **kwargs: DiskFillsUp(
            real_open(*args, **kwargs), room), raising=False)

    return fill
