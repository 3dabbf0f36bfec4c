"""scikit-learn estimators: drop-in supersets of ``MLPClassifier`` and ``MLPRegressor``.

Every ``MLPClassifier`` / ``MLPRegressor`` parameter keeps its name, default and
meaning, and the fitted attributes are the same, so swapping the class changes
nothing until you ask for more: dropout, normalisation, L1, decoupled weight
decay, AdamW, schedules with warm-up, gradient clipping, label smoothing, class
weights, augmentation, honest early stopping and a per-epoch ``history_``.

The package keeps the scikit-learn contract (:mod:`._params`, :mod:`._targets`,
:mod:`._base`, :mod:`.classifier`, :mod:`.regressor`, :mod:`._docs`, with
:mod:`._inputs` for the range checks and :mod:`._transaction` for all-or-nothing
fits) apart from the training mechanics: :mod:`._network` builds the engine objects,
:mod:`._stochastic` and :mod:`._lbfgs` train and return what the contract stores as
attributes.
"""

from ._targets import is_classifier_target
from .classifier import FitwellClassifier
from .regressor import FitwellRegressor

__all__ = ["FitwellClassifier", "FitwellRegressor", "is_classifier_target"]
