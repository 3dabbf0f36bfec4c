"""``FitwellRegressor``: a drop-in superset of scikit-learn's ``MLPRegressor``."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from .. import nn
from ..errors import DataError
from ..training import r2_score as r2_from_outputs
from ._base import BaseFitwell, has_stochastic_solver
from ._docs import REGRESSOR_DOC
from ._inputs import check_dtype_range
from ._params import REGRESSOR_CONSTRAINTS
from ._sparse_inputs import ACCEPT_SPARSE
from ._targets import ravel_column, regression_targets

__all__ = ["FitwellRegressor"]


def _r2_of_exp(outputs, y):
    """R² of the means ``exp(outputs)``: the score of a ``loss="poisson"`` network."""
    with np.errstate(over="ignore"):
        return r2_from_outputs(np.exp(outputs), y)


class FitwellRegressor(RegressorMixin, BaseFitwell):
    __doc__ = REGRESSOR_DOC

    _parameter_constraints: dict = REGRESSOR_CONSTRAINTS

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dropout=0.0, normalization=None, num_groups=8, l1=0.0, weight_decay=0.0,
                 warmup_epochs=0, schedule_kwargs=None, clip_grad_norm=None, augment=None,
                 image_shape=None, restore_best_weights=True, monitor="val_score",
                 init="glorot_sklearn", dtype="float32", callbacks=None):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.normalization = normalization
        self.num_groups = num_groups
        self.l1 = l1
        self.weight_decay = weight_decay
        self.warmup_epochs = warmup_epochs
        self.schedule_kwargs = schedule_kwargs
        self.clip_grad_norm = clip_grad_norm
        self.augment = augment
        self.image_shape = image_shape
        self.restore_best_weights = restore_best_weights
        self.monitor = monitor
        self.init = init
        self.dtype = dtype
        self.callbacks = callbacks

    def _prepare_targets(self, y, incremental, classes=None, warm_start=False):
        y = np.asarray(y, dtype=np.float64)
        if np.isfinite(y).all():  # non-finite targets are refused by regression_targets
            check_dtype_range(y, self._dtype, "y")
        y = y.astype(self._dtype, copy=False)
        if self.loss == "poisson" and (y < 0).any():
            raise DataError(f"loss='poisson' needs non-negative targets (counts, rates), but y "
                            f"has the value {y.min():g}; use loss='squared_error' or shift y")
        if not incremental:
            self._y_1d = y.ndim == 1
        return regression_targets(y, self._dtype)

    def _n_outputs_for(self, y):
        # scikit-learn's output activation for each loss (its canonical link)
        self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        return y.shape[1]

    def _architecture(self, params):
        # The loss fixes the output activation: a warm start cannot change it.
        return {**super()._architecture(params), "loss": params.loss}

    def _loss_and_score(self):
        if self.loss == "poisson":
            return nn.HalfPoissonLoss(), _r2_of_exp
        return nn.HalfMSELoss(), r2_from_outputs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to data matrix X and targets y (see :class:`FitwellClassifier`)."""
        return self._fit(X, y, sample_weight=sample_weight, validation_data=validation_data)

    @available_if(has_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``; only for stochastic solvers."""
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _begin_incremental(self, X, y, classes):
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             accept_sparse=ACCEPT_SPARSE,
                             multi_output=True, y_numeric=True)
        y = ravel_column(y)
        encoded = self._prepare_targets(y, incremental=False)
        self._initialize(X.shape[1], self._n_outputs_for(encoded), self._seeds())

    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        out = self._forward(X)
        if self.out_activation_ == "exp":
            with np.errstate(over="ignore"):
                out = np.exp(out, out=out)
        return out.ravel() if self._y_1d else out

    def score(self, X, y, sample_weight=None):
        """R² on ``(X, y)``."""
        return r2_score(y, self.predict(X), sample_weight=sample_weight)
