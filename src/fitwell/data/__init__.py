"""Datasets for the command line and the classic train / validation / test split."""

from ..errors import DataError
from .dataset import Dataset
from .fashion_mnist import load_fashion_mnist
from .idx import read_idx
from .load import BUNDLED, infer_task, load_dataset
from .split import Split, classic_split

__all__ = ["Dataset", "Split", "DataError", "load_dataset", "classic_split", "infer_task",
           "BUNDLED", "load_fashion_mnist", "read_idx"]
