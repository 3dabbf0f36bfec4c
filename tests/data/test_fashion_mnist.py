"""Fashion-MNIST from a folder of IDX files: the official split, scaling, and clear errors."""

import gzip
import os
import struct

import numpy as np
import pytest

from fitwell.data import classic_split, load_dataset, load_fashion_mnist
from fitwell.data.fashion_mnist import FASHION_MNIST_DIR
from fitwell.errors import DataError


def write_idx(path, array, compress=True):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with open(path, "wb") as handle:
        handle.write(gzip.compress(data) if compress else data)


@pytest.fixture
def small_fashion(tmp_path):
    """A folder in Fashion-MNIST's layout: 200 training and 50 test 4×5 images."""
    rng = np.random.default_rng(0)
    parts = {"train": 200, "t10k": 50}
    arrays = {}
    for part, n in parts.items():
        images = rng.integers(0, 256, size=(n, 4, 5), dtype=np.uint8)
        labels = np.tile(np.arange(10, dtype=np.uint8), n // 10)
        write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{part}-labels-idx1-ubyte", labels, compress=False)
        arrays[part] = images, labels
    return tmp_path, arrays


def test_folder_loads_with_official_split_and_scaled_pixels(small_fashion):
    folder, arrays = small_fashion
    dataset = load_dataset(str(folder))
    assert dataset.X.shape == (250, 20) and dataset.X.dtype == np.float32
    assert dataset.image_shape == (4, 5) and dataset.test_start == 200
    assert dataset.task == "classification"
    train_images, train_labels = arrays["train"]
    np.testing.assert_allclose(dataset.X[:200], train_images.reshape(200, -1) / 255.0,
                               rtol=1e-6)
    np.testing.assert_array_equal(dataset.y[200:], arrays["t10k"][1])
    assert 0.0 <= dataset.X.min() and dataset.X.max() <= 1.0


def test_split_keeps_the_official_test_set_and_stratifies_validation(small_fashion):
    folder, arrays = small_fashion
    dataset = load_fashion_mnist(folder)
    split = classic_split(dataset, test_size=0.5, validation_fraction=0.2, random_state=3,
                          scale=False)
    np.testing.assert_array_equal(split.X_test, dataset.X[200:])  # test_size is ignored
    assert len(split.y_train) == 160 and len(split.y_val) == 40
    assert np.bincount(split.y_val).tolist() == [4] * 10  # stratified
    again = classic_split(dataset, validation_fraction=0.2, random_state=3, scale=False)
    np.testing.assert_array_equal(again.X_val, split.X_val)
    other = classic_split(dataset, validation_fraction=0.2, random_state=4, scale=False)
    assert not np.array_equal(other.X_val, split.X_val)


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(tmp_path)


def test_files_that_do_not_belong_together_are_refused(small_fashion):
    folder, _ = small_fashion
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(7, dtype=np.uint8))
    os.remove(folder / "t10k-labels-idx1-ubyte")
    with pytest.raises(DataError, match="50 test images but 7 labels"):
        load_fashion_mnist(folder)


def test_labels_out_of_range_are_refused(small_fashion):
    folder, _ = small_fashion
    write_idx(folder / "train-labels-idx1-ubyte", np.full(200, 10, dtype=np.uint8),
              compress=False)
    with pytest.raises(DataError, match="label 10 is out of range"):
        load_fashion_mnist(folder)


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_DIR),
                    reason="Debian's dataset-fashion-mnist package is not installed")
def test_the_installed_package_by_name():
    dataset = load_dataset("fashion-mnist")
    assert dataset.X.shape == (70000, 784) and dataset.test_start == 60000
    assert np.bincount(dataset.y[:60000]).tolist() == [6000] * 10
    assert np.bincount(dataset.y[60000:]).tolist() == [1000] * 10


def test_pixels_keep_their_scale_through_the_split(small_fashion):
    folder, _ = small_fashion
    dataset = load_fashion_mnist(folder)
    split = classic_split(dataset, validation_fraction=0.2, random_state=0, scale=True)
    assert split.scaler is None
    assert 0.0 <= split.X_train.min() and split.X_train.max() <= 1.0
