"""Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 70,000 grey 28×28 images of ten kinds of
clothing, read from the four original IDX files.

Debian's ``dataset-fashion-mnist`` package installs them in
``/usr/share/datasets/fashion-mnist``; any folder holding the same four files (plain or
``.gz``) works too. The official split is kept: the 60,000 training images come first,
the 10,000 test images last (:attr:`~fitwell.data.Dataset.test_start`).
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import DataError
from .dataset import Dataset
from .idx import read_idx

__all__ = ["load_fashion_mnist", "is_fashion_mnist_folder", "FASHION_MNIST_DIR",
           "FASHION_MNIST_NAMES", "CLASS_NAMES"]

#: where Debian's ``dataset-fashion-mnist`` package installs the files
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
#: the names the command and :func:`~fitwell.data.load_dataset` accept for it
FASHION_MNIST_NAMES = ("fashion-mnist", "fashion_mnist")
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
_INSTALL_HINT = ("install Debian's package (apt-get install dataset-fashion-mnist), or pass the "
                 "folder holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                 "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")


def _find(folder, stem):
    for candidate in (stem + ".gz", stem):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def is_fashion_mnist_folder(path) -> bool:
    """Whether ``path`` is a folder holding the four IDX files (plain or ``.gz``)."""
    return os.path.isdir(path) and all(_find(path, stem) for stem in _FILES.values())


def _images_and_labels(folder, part):
    images = read_idx(_find(folder, _FILES[f"{part}_images"]))
    labels = read_idx(_find(folder, _FILES[f"{part}_labels"]))
    if images.ndim != 3 or images.dtype != np.uint8 or labels.ndim != 1 \
            or labels.dtype != np.uint8:
        raise DataError(f"{folder}: the {part} files hold {images.dtype} images of shape "
                        f"{images.shape} and {labels.dtype} labels of shape {labels.shape}; "
                        "expected uint8 images (n, height, width) and uint8 labels (n,)")
    if len(images) != len(labels):
        raise DataError(f"{folder}: {len(images)} {part} images but {len(labels)} labels; "
                        "the files do not belong together — fetch them again")
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise DataError(f"{folder}: {part} label {int(labels.max())} is out of range; expected "
                        f"0..{len(CLASS_NAMES) - 1}")
    return images, labels


def load_fashion_mnist(folder=None) -> Dataset:
    """Load Fashion-MNIST with its official split.

    Parameters
    ----------
    folder : str, optional
        Folder holding the four IDX files; Debian's package location by default.

    Returns
    -------
    Dataset
        ``X`` of shape ``(70000, 784)``, ``float32`` pixels scaled to ``[0, 1]``
        (``x = pixel / 255``); ``y`` the labels 0–9 (:data:`CLASS_NAMES`);
        ``image_shape=(28, 28)``; ``test_start=60000``: the official test images are the
        last 10,000 rows, which :func:`~fitwell.data.classic_split` keeps as the test set;
        ``prescaled=True``: the split keeps the pixel scale.

    Raises
    ------
    DataError
        When the files are missing (the message says how to get them) or malformed.
    """
    folder = FASHION_MNIST_DIR if folder is None else os.fspath(folder)
    if not is_fashion_mnist_folder(folder):
        raise DataError(f"Fashion-MNIST not found in {folder}: expected its four IDX files "
                        f"there; {_INSTALL_HINT}")
    train_images, train_labels = _images_and_labels(folder, "train")
    test_images, test_labels = _images_and_labels(folder, "test")
    if train_images.shape[1:] != test_images.shape[1:]:
        raise DataError(f"{folder}: training images are {train_images.shape[1:]} but test "
                        f"images {test_images.shape[1:]}; expected the same size")
    image_shape = tuple(int(s) for s in train_images.shape[1:])
    pixels = np.concatenate([train_images, test_images]).reshape(
        len(train_images) + len(test_images), -1)
    X = pixels.astype(np.float32)
    X *= np.float32(1.0 / 255.0)
    y = np.concatenate([train_labels, test_labels]).astype(np.int64)
    features = [f"pixel{i}" for i in range(X.shape[1])]
    return Dataset(X, y, "classification", "fashion-mnist", features, "label", image_shape,
                   test_start=len(train_images), prescaled=True)
