"""What the classifier and the regressor share: fitting (inputs, weights, the split,
the choice of solver) and the fitted network as scikit-learn shows it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from .. import optim
from ..errors import DataError, ParameterError
from ..training import EpochLog
from ..training.augment import make_augmenter
from ..training.callbacks import DivergenceWarning, check_callbacks
from ..training.history import History
from ._inputs import check_dtype_range, check_validation_pair
from ._lbfgs import train_lbfgs
from ._network import build_network, build_optimizer, build_schedule, dropout_rates
from ._params import (
    PARAMETER_CONSTRAINTS,
    STOCHASTIC_SOLVERS,
    batch_size_for,
    check_combinations,
    hidden_sizes,
    plain_params,
)
from ._sparse_inputs import ACCEPT_SPARSE, as_training_matrix, check_sparse_augment
from ._stochastic import initial_attributes, record_run, stopping_callback, train_stochastic
from ._targets import drop_zero_weights, is_classifier_target, ravel_column, validation_split
from ._transaction import fit_transaction
from ._weights import (
    adopt_assigned_weights,
    assign_weights,
    assigned_weights,
    drop_assigned_weights,
)

__all__ = ["BaseFitwell", "has_stochastic_solver"]


class BaseFitwell(BaseEstimator):
    """Shared machinery of :class:`FitwellClassifier` and :class:`FitwellRegressor`.

    A subclass encodes its targets (``_prepare_targets``, ``_n_outputs_for``),
    names its loss and score (``_loss_and_score``) and may weight its classes
    (``_apply_class_weight``).
    """

    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def _prepare_targets(self, y, incremental, classes=None, warm_start=False):
        raise NotImplementedError

    def _n_outputs_for(self, y):
        raise NotImplementedError

    def _loss_and_score(self):
        raise NotImplementedError

    def _one_hot_classes(self):
        return None

    def _apply_class_weight(self, y_raw, sample_weight):
        return sample_weight

    @property
    def _dtype(self):
        return np.dtype(self.dtype)

    def _seeds(self):
        """Independent integer seeds for init, dropout, shuffling and the split."""
        rs = check_random_state(self.random_state)
        return [int(s) for s in rs.randint(0, 2**31 - 1, size=4)]

    def _penalties(self, params):
        penalties = []
        if params.alpha:
            penalties.append(optim.L2(params.alpha))
        if params.l1:
            penalties.append(optim.L1(params.l1))
        return penalties

    # -- fitting -----------------------------------------------------------------------------
    def _initialize(self, n_features, n_outputs, seeds):
        """A fresh network and fresh fitted attributes (``load`` calls this too)."""
        params = plain_params(self)
        hidden = hidden_sizes(params.hidden_layer_sizes)
        init_rng = np.random.default_rng(seeds[0])
        self._dropout_rng = np.random.default_rng(seeds[1])
        self._shuffle_rng = np.random.default_rng(seeds[2])
        self._built_architecture = self._architecture(params)
        self.model_, self._linears = build_network(
            n_features, hidden, n_outputs, activation=params.activation,
            dropout=0.0 if params.solver == "lbfgs" else params.dropout,
            normalization=params.normalization, num_groups=params.num_groups,
            init=params.init, rng=init_rng, dropout_rng=self._dropout_rng, dtype=self._dtype)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(hidden) + 2
        self.n_iter_ = 0
        self.t_ = 0
        self.history_ = History()
        self._optimizer = None
        self._lr_scale = 1.0
        if params.solver in STOCHASTIC_SOLVERS:
            for name, value in initial_attributes(params.early_stopping).items():
                setattr(self, name, value)
        adopt_assigned_weights(self, self._linears)

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None,
             validation_data=None):
        """Fit as one transaction: everything is checked before the network is built
        or trained, and a failure at any point (``KeyboardInterrupt`` included)
        leaves the estimator as it was. A ``KeyboardInterrupt`` *during* training
        ends training early instead, and the fit completes (see
        :class:`~fitwell.training.Trainer`)."""
        params = plain_params(self)
        first_pass = not hasattr(self, "model_") or (not params.warm_start and not incremental)
        if not params.warm_start and not incremental:
            drop_assigned_weights(self)  # a fresh fit starts from a fresh network
        with fit_transaction(self, continues=not first_pass):
            if incremental and first_pass:
                self._begin_incremental(X, y, classes)
            self._fit_checked(params, X, y, sample_weight, incremental, classes,
                              validation_data, first_pass=first_pass and not incremental)
        return self

    def _begin_incremental(self, X, y, classes):
        """The first ``partial_fit``: labels and a fresh network."""
        raise NotImplementedError

    def _architecture(self, params):
        """What the network's shape depends on, by parameter name."""
        hidden = hidden_sizes(params.hidden_layer_sizes)
        dropout = 0.0 if params.solver == "lbfgs" else params.dropout
        return {"hidden_layer_sizes": tuple(hidden), "activation": params.activation,
                "normalization": params.normalization,
                "num_groups": params.num_groups if params.normalization == "group" else None,
                "dropout": tuple(dropout_rates(dropout, len(hidden))),
                "dtype": np.dtype(params.dtype).name}

    def _check_continuation(self, params):
        """A warm start or ``partial_fit`` trains the network it has: its shape must be
        the one the parameters describe (else the model could not even be saved and
        loaded), as scikit-learn's MLP also refuses to continue a changed network."""
        built, wanted = self._built_architecture, self._architecture(params)
        changed = [name for name in wanted if wanted[name] != built[name]]
        if changed:
            what = ", ".join(f"{name} from {built[name]!r} to {wanted[name]!r}"
                             for name in changed)
            raise ParameterError(
                f"{type(self).__name__} cannot continue training (warm_start or partial_fit) a "
                f"network whose shape changed: {what}. Set warm_start=False to train a new "
                f"network, or set the parameters back")

    def _fit_checked(self, params, X, y, sample_weight, incremental, classes, validation_data,
                     first_pass):
        X, y = validate_data(self, X, y, reset=first_pass, dtype=[np.float64, np.float32],
                             accept_sparse=ACCEPT_SPARSE, multi_output=True,
                             y_numeric=not is_classifier_target(self))
        y = ravel_column(y)
        check_dtype_range(X, params.dtype, "X", getattr(self, "feature_names_in_", None))
        X = as_training_matrix(X, np.dtype(params.dtype))
        if scipy.sparse.issparse(X):
            check_sparse_augment(make_augmenter(self.augment, params.image_shape))
        if X.shape[0] < 2 and not incremental and params.normalization == "batch":
            raise DataError(f"{type(self).__name__} with normalization='batch' needs at least "
                            f"2 samples to fit (batch statistics), got n_samples={X.shape[0]}")
        if not first_pass:
            self._check_continuation(params)
            adopt_assigned_weights(self, self._linears)
        y_raw = y
        y = self._prepare_targets(y, incremental=not first_pass, classes=classes,
                                  warm_start=not first_pass and not incremental)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        sample_weight = self._apply_class_weight(y_raw, sample_weight)
        X, y, y_raw, sample_weight = drop_zero_weights(X, y, y_raw, sample_weight)
        check_combinations(params, self.n_features_in_)
        user_callbacks = check_callbacks(self.callbacks, type(self).__name__)
        if validation_data is not None:
            X_val, y_val = check_validation_pair(validation_data)
            X_val = validate_data(self, X_val, reset=False, dtype=[np.float64, np.float32],
                                  accept_sparse=ACCEPT_SPARSE)
            check_dtype_range(X_val, params.dtype, "validation X")
            X_val = as_training_matrix(X_val, np.dtype(params.dtype))
            y_val = self._prepare_targets(ravel_column(np.asarray(y_val)), incremental=True)
            check_consistent_length(X_val, y_val)
            validation_data = (X_val, y_val)
        seeds = self._seeds()
        if first_pass:
            self._initialize(X.shape[1], self._n_outputs_for(y), seeds)
        self._check_outputs(y, "y")
        if validation_data is not None:
            self._check_outputs(validation_data[1], "validation y")
            X_train, y_train, w_train, validation = X, y, sample_weight, validation_data
        elif params.early_stopping and not incremental and params.solver in STOCHASTIC_SOLVERS:
            X_train, y_train, w_train, validation = validation_split(
                X, y, y_raw, sample_weight, fraction=params.validation_fraction, seed=seeds[3],
                stratify=is_classifier_target(self) and y_raw.ndim == 1)
        else:
            X_train, y_train, w_train, validation = X, y, sample_weight, None
        if params.solver == "lbfgs":
            self._fit_lbfgs(params, X_train, y_train, w_train)
        else:
            self._fit_stochastic(params, X_train, y_train, w_train, validation, incremental,
                                 user_callbacks)

    def _check_outputs(self, y, name):
        """Encoded targets must have the network's number of outputs."""
        columns = 1 if y.ndim == 1 else y.shape[1]
        expected = 1 if y.ndim == 1 else self.n_outputs_
        if columns != expected:
            raise DataError(f"{name} has {columns} columns but the fitted network has "
                            f"{self.n_outputs_} outputs; a warm start or partial_fit needs "
                            "targets of the shape of the first fit (or warm_start=False)")

    def _fit_stochastic(self, params, X, y, sample_weight, validation, incremental,
                        user_callbacks):
        if incremental and params.early_stopping:
            raise ParameterError("partial_fit does not support early_stopping=True: it trains "
                                 "one epoch on the data it is given; set early_stopping=False "
                                 "or use fit")
        n = X.shape[0]
        batch_size = batch_size_for(params.batch_size, n)
        spec = (params.solver, params.momentum, params.nesterovs_momentum, params.beta_1,
                params.beta_2, params.epsilon, params.weight_decay, params.learning_rate)
        if self._optimizer is None or self._optimizer_spec != spec:
            # A warm start keeps the optimiser's state unless its definition changed.
            self._optimizer_spec = spec
            self._optimizer = build_optimizer(
                params.solver, self.model_.params, lr=params.learning_rate_init,
                momentum=params.momentum, nesterovs_momentum=params.nesterovs_momentum,
                beta_1=params.beta_1, beta_2=params.beta_2, epsilon=params.epsilon,
                weight_decay=params.weight_decay, learning_rate=params.learning_rate)
        plateau_monitor = params.monitor if validation is not None else "train_loss"
        schedule, interval = build_schedule(
            params.learning_rate, params.solver, lr=params.learning_rate_init,
            max_iter=params.max_iter, warmup_epochs=params.warmup_epochs,
            power_t=params.power_t, n_samples=n, n_batches=math.ceil(n / batch_size),
            samples_before=self.t_, n_iter_no_change=params.n_iter_no_change,
            schedule_kwargs=params.schedule_kwargs,
            plateau_mode="max" if plateau_monitor == "val_score" else "min")
        loss, score = self._loss_and_score()
        # As in scikit-learn: early stopping watches the validation metric; without it
        # training stops on the training loss (validation data, if any, is only recorded).
        stop_on_validation = params.early_stopping and validation is not None
        callbacks = []
        if not incremental:
            # Without validation, scikit-learn watches loss_curve_: the loss *with* the L2
            # penalty.
            callbacks.append(stopping_callback(
                monitor=params.monitor if stop_on_validation else "train_objective",
                tol=params.tol, n_iter_no_change=params.n_iter_no_change,
                max_iter=params.max_iter,
                adaptive=params.learning_rate == "adaptive" and params.solver in ("sgd",
                                                                                  "nesterov"),
                restore_best=params.restore_best_weights and stop_on_validation))
        if params.verbose:
            callbacks.append(EpochLog())
        callbacks.extend(user_callbacks)
        run = train_stochastic(
            self.model_, X, y, loss=loss, score=score, optimizer=self._optimizer,
            schedule=schedule, schedule_interval=interval, plateau_monitor=plateau_monitor,
            penalties=self._penalties(params), clip_grad_norm=params.clip_grad_norm,
            augment=make_augmenter(self.augment, params.image_shape),
            one_hot_classes=self._one_hot_classes(), batch_size=batch_size,
            max_epochs=1 if incremental else params.max_iter, shuffle=params.shuffle,
            rng=self._shuffle_rng, callbacks=callbacks, lr_scale=self._lr_scale,
            sample_weight=sample_weight, validation=validation)
        self._lr_scale = run.lr_scale
        self._optimizer.lr = run.next_lr  # scikit-learn's _optimizer.learning_rate
        record_run(self, run, stop_on_validation=stop_on_validation)
        if not incremental and not run.diverged and run.epochs == params.max_iter \
                and not run.stopped:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({params.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=3)

    def _fit_lbfgs(self, params, X, y, sample_weight):
        loss, _ = self._loss_and_score()
        run = train_lbfgs(self.model_, X, y, loss=loss, penalties=self._penalties(params),
                          sample_weight=sample_weight, max_iter=params.max_iter,
                          max_fun=params.max_fun, tol=params.tol)
        self.n_iter_ = run.n_iter
        self.loss_ = run.loss
        self.best_epoch_ = self.n_iter_
        self.diverged_ = run.diverged
        if run.diverged:
            warnings.warn(f"lbfgs diverged (non-finite objective or weights) after "
                          f"{self.n_iter_} iterations; the model keeps its starting state "
                          f"(loss {run.loss:.4g}). Scale the data, raise alpha or use "
                          "dtype='float64'.", DivergenceWarning, stacklevel=3)
        elif not run.converged:
            warnings.warn(f"lbfgs failed to converge after {self.n_iter_} iterations: "
                          f"{run.message}. Increase max_iter or scale the data.",
                          ConvergenceWarning, stacklevel=3)

    # -- the fitted network, as scikit-learn shows it -------------------------------------------
    @property
    def coefs_(self):
        """Weight matrices ``(n_in, n_out)`` of each dense layer — live views.

        Assignable, as in scikit-learn: an assigned list (its items may still be
        replaced) is copied into the network at the next ``predict``, warm start
        or ``partial_fit`` — or, before the first fit, into the network that a
        ``partial_fit`` or warm-started ``fit`` builds.
        """
        return self._weights("coefs_", "weight")

    @coefs_.setter
    def coefs_(self, value):
        assign_weights(self, "coefs_", value)

    @property
    def intercepts_(self):
        """Bias vectors of each dense layer — live views; assignable like ``coefs_``."""
        return self._weights("intercepts_", "bias")

    @intercepts_.setter
    def intercepts_(self, value):
        assign_weights(self, "intercepts_", value)

    def _weights(self, name, key):
        assigned = assigned_weights(self, name)
        if assigned is not None:
            return assigned
        check_is_fitted(self, "model_")
        return [linear.params[key] for linear in self._linears]

    def _forward(self, X, fused=True):
        """The network's outputs for ``X``; ``fused`` folds batch norm (equal up to
        rounding; ``decision_function_raw`` keeps ``model_``'s exact outputs).

        Depends only on fitted attributes, never on parameters set since the fit.
        Values the network's dtype cannot hold are refused, and so are outputs that
        overflow inside the network: an answer is finite or an error.
        """
        check_is_fitted(self, "model_")
        adopt_assigned_weights(self, self._linears)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                          accept_sparse=ACCEPT_SPARSE)
        dtype = self._linears[0].params["weight"].dtype
        check_dtype_range(X, dtype, "X", getattr(self, "feature_names_in_", None))
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.model_.predict(as_training_matrix(X, dtype), fold_batch_norm=fused)
        if not np.isfinite(out).all():
            rows = np.flatnonzero(~np.isfinite(out).all(axis=1))
            raise DataError(
                f"the network's outputs overflow {dtype.name} for {len(rows)} rows of X (first: "
                f"row {rows[0]}, largest |value| {np.abs(X[rows[0]]).max():.3g}); scale the "
                f"data as it was for fit, or fit with dtype='float64'")
        return out

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__, and popping
        # from it would take the optimiser from the estimator being pickled.
        state = dict(super().__getstate__())
        # The optimiser holds views into the model's flat buffer, which pickling
        # cannot keep; a warm start after unpickling begins with a fresh optimiser.
        state.pop("_optimizer", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "model_" in state:
            self._optimizer = None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def has_stochastic_solver(estimator):
    """``partial_fit`` exists only for stochastic solvers, as in scikit-learn."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{estimator.solver} is not stochastic.")
    return True
