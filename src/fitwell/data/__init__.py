"""Datasets for the command line and the classic train / validation / test split."""

from ..errors import DataError
from .load import BUNDLED, Dataset, infer_task, load_dataset
from .split import Split, classic_split

__all__ = ["Dataset", "Split", "DataError", "load_dataset", "classic_split", "infer_task",
           "BUNDLED"]
