"""Augmentation as a fit-only resampling step of a scikit-learn pipeline.

:class:`AugmentTexts` follows imbalanced-learn's sampler convention: ``fit_resample(X, y)``
returns the training texts followed by their augmented copies (with the labels repeated),
and ``transform`` is the identity, so a fitted pipeline predicts on raw texts untouched.
:class:`~.pipeline.AugmentingPipeline` calls ``fit_resample`` when it fits and nothing
else ever does, so only texts a pipeline is *fitted* on are augmented — inside
``cross_val_score`` and ``GridSearchCV`` that is each split's training part, never its
validation or test part.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import check_int, check_number, check_option
from ..errors import DataError, ParameterError
from .backtranslate import BackTranslation
from .eda import EDA, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement
from .wordnet import WORDNET_DIR

__all__ = ["AugmentTexts", "METHODS", "as_texts", "from_recipe", "is_text_augmentation"]

#: method -> what each sentence gains
METHODS = {
    "eda": "n_aug copies, Wei & Zou's four operations at rate alpha",
    "backtranslation": "one copy, back-translated through Spanish (Apertium)",
    "eda+backtranslation": "n_aug EDA copies and one back-translated copy",
    "synonym": "n_aug copies by synonym replacement",
    "insertion": "n_aug copies by random insertion",
    "swap": "n_aug copies by random swap",
    "deletion": "n_aug copies by random deletion",
}
_SINGLE = {"synonym": SynonymReplacement, "insertion": RandomInsertion, "swap": RandomSwap,
           "deletion": RandomDeletion}


def as_texts(X, what="X") -> list[str]:
    """``X`` (a list, array or pandas Series of ``str``, or a one-column table) as a list.

    Raises
    ------
    DataError
        For anything that is not a sequence of texts, naming the first bad entry.
    """
    if hasattr(X, "columns"):
        if len(X.columns) != 1:
            raise DataError(f"{what}: expected texts (one column), got a table with columns "
                            f"{list(X.columns)}; select the text column")
        X = X.iloc[:, 0]
    if isinstance(X, str) or not hasattr(X, "__len__"):
        raise DataError(f"{what}: expected a sequence of texts, got {type(X).__name__}")
    texts = list(np.asarray(X, dtype=object).ravel()) if hasattr(X, "shape") else list(X)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"{what}: entry {index} is {text!r} ({type(text).__name__}), not "
                            "a text; fill or drop empty cells first")
    return texts


class AugmentTexts(BaseEstimator):
    """Add augmented copies of the training texts, at fit only.

    Parameters
    ----------
    method : str, default="eda"
        One of :data:`METHODS`.
    n_aug : int, default=4
        Copies per sentence made by EDA or a single operation.
    alpha : float in (0, 1], default=0.1
        The rate of every EDA operation (α of the paper).
    random_state : int or None
        Seed of the ``np.random.Generator`` made afresh at each ``fit_resample``.
    wordnet_dir : str
        WordNet's folder (Debian's ``wordnet-base``).
    """

    def __init__(self, method="eda", n_aug=4, alpha=0.1, random_state=None,
                 wordnet_dir=WORDNET_DIR):
        self.method = method
        self.n_aug = n_aug
        self.alpha = alpha
        self.random_state = random_state
        self.wordnet_dir = wordnet_dir

    def _copies(self, texts, rng) -> list[list[str]]:
        method = check_option(self.method, "method", "AugmentTexts", tuple(METHODS))
        n_aug = check_int(self.n_aug, "n_aug", "AugmentTexts", minimum=1)
        alpha = check_number(self.alpha, "alpha", "AugmentTexts", low=0.0, high=1.0,
                             low_open=True)
        copies = [[] for _ in texts]
        if method in ("eda", "eda+backtranslation"):
            eda = EDA(alpha, alpha, alpha, alpha, n_aug, rng=rng, wordnet_dir=self.wordnet_dir)
            copies = eda(texts)
        elif method in _SINGLE:
            extra = {"wordnet_dir": self.wordnet_dir} if method in ("synonym", "insertion") \
                else {}
            operation = _SINGLE[method](alpha, rng=rng, **extra)
            for _ in range(n_aug):
                for group, new in zip(copies, operation(texts), strict=True):
                    group.append(new)
        if method.endswith("backtranslation"):
            for group, new in zip(copies, BackTranslation(rng=rng)(texts), strict=True):
                group.append(new)
        return copies

    def fit_resample(self, X, y):
        """``(texts + copies, labels + their labels)``: the originals first, in order,
        then each sentence's copies."""
        texts = as_texts(X)
        y = np.asarray(y)
        if len(y) != len(texts):
            raise DataError(f"X holds {len(texts)} texts but y holds {len(y)} labels")
        copies = self._copies(texts, np.random.default_rng(self.random_state))
        source = [i for i, group in enumerate(copies) for _ in group]
        return texts + [t for group in copies for t in group], \
            np.concatenate([y, y[np.asarray(source, dtype=np.intp)]])

    def fit(self, X, y=None):
        """Nothing to learn (the copies are made by :meth:`fit_resample`)."""
        self._copies([], np.random.default_rng(0))  # validates the parameters
        return self

    def transform(self, X):
        """The texts unchanged: nothing is augmented outside fitting."""
        return as_texts(X)


def _entries(augment):
    if augment is None:
        return []
    return [augment] if isinstance(augment, str | tuple) else list(augment)


def is_text_augmentation(augment) -> bool:
    """Whether a recipe's ``augment`` names text augmentation (a method of
    :data:`METHODS`, alone or as ``(name, options)``)."""
    entries = _entries(augment)
    return bool(entries) and all(
        (entry if isinstance(entry, str) else entry[0]) in METHODS
        for entry in entries if isinstance(entry, str | tuple | list))


def from_recipe(augment, random_state=None) -> AugmentTexts | None:
    """The :class:`AugmentTexts` step a recipe's ``augment`` asks for, or ``None``.

    ``augment = ["eda"]`` or ``augment = [{name = "eda", n_aug = 16, alpha = 0.1}]``
    (one entry: combine with ``"eda+backtranslation"``); ``random_state`` seeds it.

    Raises
    ------
    ParameterError
        For another augmentation (the image ones), more than one entry or an unknown
        option, saying what is allowed.
    """
    entries = _entries(augment)
    if not entries:
        return None
    if len(entries) != 1 or not is_text_augmentation(entries):
        raise ParameterError(f"texts take one text augmentation, one of {sorted(METHODS)} "
                             f"(options n_aug, alpha), got augment = {augment!r}")
    entry = entries[0]
    name, options = (entry, {}) if isinstance(entry, str) else (entry[0], dict(entry[1]))
    unknown = sorted(set(options) - {"n_aug", "alpha"})
    if unknown:
        raise ParameterError(f"text augmentation {name!r} takes the options n_aug and alpha, "
                             f"got {unknown}")
    step = AugmentTexts(name, random_state=random_state, **options)
    return step.fit([])
