"""What a loaded dataset is: its features, targets and what is known about them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Dataset"]


@dataclass
class Dataset:
    """Features, targets and what is known about them; ``X`` is a pandas ``DataFrame``
    of raw columns for a table read from a file, else a numeric array. For texts,
    ``text_column`` names the one column of ``X``, which holds them."""

    X: np.ndarray
    y: np.ndarray
    task: str
    name: str
    feature_names: list[str] = field(default_factory=list)
    target_name: str | None = None
    image_shape: tuple | None = None
    #: rows from this index on are the dataset's official test set (``None``: no
    #: official split, the test set is drawn at random)
    test_start: int | None = None
    #: whether the features already share one meaningful scale (pixels in ``[0, 1]``),
    #: which :func:`~fitwell.data.classic_split` then keeps instead of standardising
    #: every feature on its own (that would also break the symmetry flips rely on)
    prescaled: bool = False
    text_column: str | None = None
