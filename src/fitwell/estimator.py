"""scikit-learn estimators: drop-in supersets of ``MLPClassifier`` and ``MLPRegressor``.

Every ``MLPClassifier`` / ``MLPRegressor`` parameter keeps its name, default and
meaning, and the fitted attributes are the same, so swapping the class changes
nothing until you ask for more: dropout, normalisation, L1, decoupled weight
decay, AdamW, schedules with warm-up, gradient clipping, label smoothing, class
weights, augmentation, honest early stopping and a per-epoch ``history_``.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import nn, optim
from ._build import (
    ACTIVATIONS,
    LEARNING_RATES,
    NORMALIZATIONS,
    SOLVERS,
    STOCHASTIC_SOLVERS,
    build_network,
    build_optimizer,
    build_schedule,
)
from ._threads import limit_blas_threads
from .training import (
    NoImprovementStopping,
    ProgressBar,
    Trainer,
    accuracy_from_binary_logits,
    accuracy_from_logits,
)
from .training import r2_score as _r2_from_outputs
from .training.augment import make_augmenter
from .training.history import History

__all__ = ["FitwellClassifier", "FitwellRegressor"]


class _HalfMSELoss:
    """scikit-learn's squared error: half the mean squared error."""

    def __init__(self):
        self._mse = nn.MSELoss()

    def __call__(self, prediction, target, sample_weight=None):
        value, grad = self._mse(prediction, target, sample_weight=sample_weight)
        grad *= 0.5
        return 0.5 * value, grad


class _SmoothedBCELoss:
    """Binary cross-entropy with targets pulled towards 0.5 by ``label_smoothing``."""

    def __init__(self, label_smoothing):
        self.label_smoothing = label_smoothing
        self._bce = nn.BinaryCrossEntropyLoss()

    def __call__(self, logits, target, sample_weight=None):
        if self.label_smoothing:
            target = target * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        return self._bce(logits, target, sample_weight=sample_weight)


class _BaseFitwell(BaseEstimator):
    """Shared machinery of :class:`FitwellClassifier` and :class:`FitwellRegressor`."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto", "full"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(LEARNING_RATES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "normalization": [StrOptions(set(NORMALIZATIONS)), None],
        "num_groups": [Interval(Integral, 1, None, closed="left")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "schedule_kwargs": [dict, None],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "augment": [str, list, tuple, callable, None],
        "image_shape": [tuple, list, None],
        "restore_best_weights": ["boolean"],
        "monitor": [StrOptions({"val_loss", "val_score"})],
        "init": [StrOptions({"glorot_sklearn", "he", "xavier", "lecun"})],
        "dtype": [StrOptions({"float32", "float64"}), type, np.dtype],
        "callbacks": [list, tuple, None],
    }

    def _extra_init(self, **kwargs):
        for name, value in kwargs.items():
            setattr(self, name, value)

    # -- hooks the subclasses fill -------------------------------------------------------
    def _prepare_targets(self, y, incremental, classes=None):
        raise NotImplementedError

    def _loss_and_score(self):
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------
    @property
    def _dtype(self):
        return np.dtype(self.dtype)

    def _hidden(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(isinstance(s, bool) or not isinstance(s, Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes}")
        return [int(s) for s in sizes]

    def _seeds(self):
        """Independent integer seeds for init, dropout, shuffling and the split."""
        rs = check_random_state(self.random_state)
        return [int(s) for s in rs.randint(0, 2**31 - 1, size=4)]

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size == "full":
            return n_samples
        if self.batch_size > n_samples:
            warnings.warn(f"Got `batch_size` less than 1 or larger than sample size. It is going "
                          f"to be clipped to {n_samples}", UserWarning, stacklevel=3)
        return int(np.clip(self.batch_size, 1, n_samples))

    def _check_added_params(self):
        if self.solver == "lbfgs":
            rates = self.dropout if hasattr(self.dropout, "__iter__") else [self.dropout]
            if any(float(r) > 0 for r in rates):
                raise ValueError("dropout needs a stochastic solver: with solver='lbfgs' the "
                                 "random masks break the line search; use solver='adam' or "
                                 "'adamw', or dropout=0")
            if self.augment:
                raise ValueError("augment needs a stochastic solver, not solver='lbfgs'")
        if hasattr(self.dropout, "__iter__"):
            rates = [float(r) for r in self.dropout]
            if any(not 0 <= r < 1 for r in rates):
                raise ValueError(f"every dropout rate must be in [0, 1), got {rates}")
        if self.weight_decay and self.solver not in ("adamw", "lbfgs"):
            raise ValueError(f"weight_decay (decoupled) needs solver='adamw', got solver="
                             f"{self.solver!r}; for an L2 penalty with other solvers use alpha")
        if self.image_shape is not None:
            shape = tuple(self.image_shape)
            if math.prod(shape) != self.n_features_in_:
                raise ValueError(f"image_shape {shape} holds {math.prod(shape)} values but X has "
                                 f"{self.n_features_in_} features")

    def _penalties(self):
        penalties = []
        if self.alpha:
            penalties.append(optim.L2(self.alpha))
        if self.l1:
            penalties.append(optim.L1(self.l1))
        return penalties

    # -- fitting -----------------------------------------------------------------------------
    def _initialize(self, n_features, n_outputs, seeds):
        init_rng = np.random.default_rng(seeds[0])
        self._dropout_rng = np.random.default_rng(seeds[1])
        self._shuffle_rng = np.random.default_rng(seeds[2])
        self.model_, self._linears = build_network(
            n_features, self._hidden(), n_outputs, activation=self.activation,
            dropout=0.0 if self.solver == "lbfgs" else self.dropout,
            normalization=self.normalization, num_groups=self.num_groups, init=self.init,
            rng=init_rng, dropout_rng=self._dropout_rng, dtype=self._dtype)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(self._hidden()) + 2
        self.n_iter_ = 0
        self.t_ = 0
        self.history_ = History()
        self._optimizer = None
        self._lr_scale = 1.0
        if self.solver in STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
                self.best_loss_ = np.inf

    def _split(self, X, y, y_raw, sample_weight, seed):
        """The stratified validation split of ``early_stopping``."""
        stratify = None
        if is_classifier_target(self) and y_raw.ndim == 1:
            stratify = y_raw
            _, counts = np.unique(y_raw, return_counts=True)
            n_val = math.ceil(self.validation_fraction * len(y_raw))
            if counts.min() < 2 or n_val < len(counts):
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction} cannot "
                    f"hold out every class: the smallest class has {counts.min()} samples and the "
                    f"validation set would have {n_val} rows for {len(counts)} classes. Use more "
                    "data, a larger validation_fraction, or early_stopping=False")
        arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
        parts = train_test_split(*arrays, random_state=seed, test_size=self.validation_fraction,
                                 stratify=stratify)
        if sample_weight is None:
            X_tr, X_val, y_tr, y_val = parts
            return X_tr, y_tr, None, (X_val, y_val)
        X_tr, X_val, y_tr, y_val, w_tr, w_val = parts
        return X_tr, y_tr, w_tr, (X_val, y_val, w_val)

    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None,
             validation_data=None):
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        X, y = validate_data(self, X, y, reset=first_pass, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=not is_classifier_target(self))
        y = _ravel_column(y)
        X = X.astype(self._dtype, copy=False)
        if X.shape[0] < 2 and not incremental:
            raise ValueError(f"{type(self).__name__} needs at least 2 samples to fit, got "
                             f"n_samples={X.shape[0]}")
        y_raw = y
        y = self._prepare_targets(y, incremental=not first_pass, classes=classes)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        sample_weight = self._apply_class_weight(y_raw, sample_weight)
        if sample_weight is not None and not np.all(sample_weight > 0):
            # A zero-weight sample is dropped, so that it counts exactly as absent and a
            # mini-batch can never have weights summing to zero.
            keep = sample_weight > 0
            if not keep.any():
                raise ValueError("sample_weight is zero for every sample; at least one sample "
                                 "needs a positive weight")
            X, y, y_raw, sample_weight = X[keep], y[keep], y_raw[keep], sample_weight[keep]
        self._check_added_params()
        seeds = self._seeds()
        if first_pass:
            self._initialize(X.shape[1], self._n_outputs_for(y), seeds)
        if validation_data is not None:
            X_val = validate_data(self, validation_data[0], reset=False,
                                  dtype=[np.float64, np.float32]).astype(self._dtype, copy=False)
            y_val = self._prepare_targets(np.asarray(validation_data[1]), incremental=True)
            validation = (X_val, y_val)
            X_train, y_train, w_train = X, y, sample_weight
        elif self.early_stopping and not incremental and self.solver in STOCHASTIC_SOLVERS:
            X_train, y_train, w_train, validation = self._split(X, y, y_raw, sample_weight,
                                                                seeds[3])
        else:
            X_train, y_train, w_train, validation = X, y, sample_weight, None
        if self.solver == "lbfgs":
            self._fit_lbfgs(X_train, y_train, w_train)
        else:
            self._fit_stochastic(X_train, y_train, w_train, validation, incremental)
        return self

    def _apply_class_weight(self, y_raw, sample_weight):
        return sample_weight

    def _fit_stochastic(self, X, y, sample_weight, validation, incremental):
        n = X.shape[0]
        batch_size = self._batch_size(n)
        n_batches = math.ceil(n / batch_size)
        params = self.model_.params
        if self._optimizer is None:
            self._optimizer = build_optimizer(
                self.solver, params, lr=self.learning_rate_init, momentum=self.momentum,
                nesterovs_momentum=self.nesterovs_momentum, beta_1=self.beta_1,
                beta_2=self.beta_2, epsilon=self.epsilon, weight_decay=self.weight_decay)
        epochs_done = self.n_iter_
        plateau_monitor = self.monitor if validation is not None else "train_loss"
        schedule, interval = build_schedule(
            self.learning_rate, self.solver, lr=self.learning_rate_init,
            max_iter=self.max_iter, warmup_epochs=self.warmup_epochs, power_t=self.power_t,
            n_samples=n, n_batches=n_batches, samples_before=self.t_,
            n_iter_no_change=self.n_iter_no_change, schedule_kwargs=self.schedule_kwargs,
            plateau_mode="max" if plateau_monitor == "val_score" else "min")
        loss, score = self._loss_and_score()
        has_validation = validation is not None
        # As in scikit-learn: early stopping watches the validation metric; without it
        # training stops on the training loss (validation data, if any, is only recorded).
        stop_on_validation = self.early_stopping and has_validation
        # Without it, scikit-learn watches loss_curve_: the loss *with* the L2 penalty.
        monitor = self.monitor if stop_on_validation else "train_objective"
        callbacks = []
        if not incremental:
            patience = self.n_iter_no_change if math.isfinite(self.n_iter_no_change) \
                else self.max_iter + 1
            adaptive = self.learning_rate == "adaptive" and self.solver in ("sgd", "nesterov")
            callbacks.append(NoImprovementStopping(
                monitor=monitor, tol=self.tol, n_iter_no_change=int(patience), adaptive=adaptive,
                restore_best=self.restore_best_weights and stop_on_validation))
        if self.verbose:
            callbacks.append(ProgressBar(force=True, description=type(self).__name__))
        callbacks.extend(self.callbacks or ())
        augment = make_augmenter(self.augment, self.image_shape)
        trainer = Trainer(
            self.model_, loss, self._optimizer, schedule=schedule, schedule_interval=interval,
            plateau_monitor=plateau_monitor,
            penalties=self._penalties(), penalty_scale="batch",
            clip_grad_norm=self.clip_grad_norm, augment=augment,
            one_hot_classes=self._one_hot_classes(), batch_size=batch_size,
            max_epochs=1 if incremental else self.max_iter, shuffle=self.shuffle,
            rng=self._shuffle_rng, callbacks=callbacks, score=score)
        trainer.lr_scale = self._lr_scale
        history = trainer.fit(X, y, sample_weight=sample_weight, validation_data=validation)
        self._lr_scale = trainer.lr_scale
        self.n_iter_ = epochs_done + trainer.epoch
        self.t_ += trainer.samples_seen
        columns = {c: history[c] for c in History.columns if c != "epoch"}  # once, not per row
        for row in range(len(history)):
            self.history_.append(**{c: values[row] for c, values in columns.items()})
        self.loss_curve_.extend(trainer.objective_curve)
        if self.loss_curve_:
            self.loss_ = self.loss_curve_[-1]
        if stop_on_validation:
            self.validation_scores_.extend(history["val_score"])
            finite = [s for s in self.validation_scores_ if math.isfinite(s)]
            self.best_validation_score_ = max(finite) if finite else -np.inf
        elif self.best_loss_ is not None and self.loss_curve_:
            self.best_loss_ = float(min(self.loss_curve_))
        self.best_epoch_ = trainer.restored_epoch or trainer.best_epoch or self.n_iter_
        self.diverged_ = trainer.diverged
        if not incremental and not trainer.diverged and trainer.epoch == self.max_iter \
                and not trainer.stop_training:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=3)

    def _fit_lbfgs(self, X, y, sample_weight):
        """Full-batch L-BFGS-B through scipy, on the model's flat parameter buffer."""
        loss, _ = self._loss_and_score()
        model = self.model_
        flat = model._flat_params
        flat_grads = model._flat_grads
        penalties = self._penalties()
        params, grads = model.params, model.grads
        total_weight = X.shape[0] if sample_weight is None else float(sample_weight.sum())

        def objective(w):
            flat[...] = w
            out = model.forward(X, training=True)
            value, grad = loss(out, y, sample_weight=sample_weight)
            model.backward(grad, need_input_grad=False)
            for penalty in penalties:
                value += penalty(params, grads, scale=1.0 / total_weight)
            return value, flat_grads.astype(np.float64)

        result = scipy.optimize.minimize(
            objective, flat.astype(np.float64), method="L-BFGS-B", jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol})
        flat[...] = result.x
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun)
        self.best_epoch_ = self.n_iter_
        self.diverged_ = False
        if result.status != 0:
            warnings.warn(f"lbfgs failed to converge after {self.n_iter_} iterations: "
                          f"{result.message}. Increase max_iter or scale the data.",
                          ConvergenceWarning, stacklevel=3)

    # -- the fitted network, as scikit-learn shows it -------------------------------------------
    @property
    def coefs_(self):
        """Weight matrices ``(n_in, n_out)`` of each dense layer — live views."""
        check_is_fitted(self, "model_")
        return [linear._params["weight"] for linear in self._linears]

    @property
    def intercepts_(self):
        """Bias vectors of each dense layer — live views."""
        check_is_fitted(self, "model_")
        return [linear._params["bias"] for linear in self._linears]

    def _forward(self, X, fused=True):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        X = X.astype(self._dtype, copy=False)
        # Prediction runs chunks of ~256k values per layer, which stay in the CPU cache,
        # through a copy with each batch norm folded into the dense layer before it
        # (equal up to rounding; decision_function_raw keeps model_'s exact outputs).
        model = nn.fuse_for_inference(self.model_) if fused else self.model_
        widest = max(X.shape[1], *(linear.out_features for linear in self._linears))
        chunk = max(256, 2**18 // widest)
        out = np.empty((X.shape[0], self.n_outputs_), dtype=self._dtype)
        threads = limit_blas_threads(min(chunk, X.shape[0]), model.params.values())
        try:
            for start in range(0, X.shape[0], chunk):
                out[start:start + chunk] = model.forward(X[start:start + chunk], training=False)
        finally:
            threads.restore_original_limits()
        return out

    def __getstate__(self):
        state = super().__getstate__()
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
        tags.input_tags.sparse = False
        return tags


def is_classifier_target(estimator):
    return isinstance(estimator, ClassifierMixin)


def _ravel_column(y):
    """A column-vector ``y`` as 1-D, with scikit-learn's DataConversionWarning."""
    if y.ndim == 2 and y.shape[1] == 1:
        return column_or_1d(y, warn=True)
    return y


def _stochastic_solver(estimator):
    """``partial_fit`` exists only for stochastic solvers, as in scikit-learn."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{estimator.solver} is not stochastic.")
    return True


_ADDED_DOC = """
    Parameters added by fitwell
    ---------------------------
    dropout : float or sequence of float, default=0.0
        Drop probability after each hidden activation (one value, or one per layer).
    normalization : {"batch", "layer", "group"} or None, default=None
        Normalisation after each hidden dense layer, before the activation.
    num_groups : int, default=8
        Groups for ``normalization="group"`` (the largest divisor of the width
        not above it is used).
    l1 : float, default=0.0
        L1 penalty on weight matrices, added like ``alpha`` (divided by the batch size).
    weight_decay : float, default=0.0
        Decoupled weight decay; needs ``solver="adamw"``.
    warmup_epochs : int, default=0
        Linear warm-up from 10 % of the rate before the schedule.
    schedule_kwargs : dict, optional
        Overrides for the schedule named by ``learning_rate`` (e.g. ``{"t_max": 50}``).
    clip_grad_norm : float, optional
        Clip the global gradient norm to this value each step.
    augment : str, list or callable, optional
        Names ("shift", "rotation", "flip", "noise", "mixup"), ``(name, params)``
        pairs or augmenter objects, applied to training batches only.
    image_shape : tuple, optional
        Shape of one row as an image, for the image augmentations.
    restore_best_weights : bool, default=True
        With validation data, end with the state (weights, normalisation
        statistics) of the best validation epoch, as scikit-learn does.
    monitor : {"val_score", "val_loss"}, default="val_score"
        The validation metric early stopping and the plateau schedule watch.
    init : {"glorot_sklearn", "he", "xavier", "lecun"}, default="glorot_sklearn"
        Weight initialisation; the default draws weights and biases as scikit-learn does.
    dtype : {"float32", "float64"}, default="float32"
    callbacks : list of fitwell.training.Callback, optional
"""


class FitwellClassifier(ClassifierMixin, _BaseFitwell):
    """A multi-layer perceptron classifier: ``MLPClassifier`` plus regularisation.

    Parameters shared with ``sklearn.neural_network.MLPClassifier`` have its names,
    defaults and meanings; see its documentation. Notable conventions kept for
    fidelity: ``alpha`` is an L2 penalty ``0.5 * alpha * ||W||^2`` divided by the
    batch size (a known scikit-learn oddity), applied to weight matrices only;
    ``learning_rate`` ``"invscaling"`` and ``"adaptive"`` act on ``solver="sgd"``
    only; stopping follows scikit-learn's ``tol`` / ``n_iter_no_change`` rule.

    Additional ``solver`` values: ``"adamw"`` (decoupled weight decay) and
    ``"nesterov"`` (SGD with Nesterov momentum). Additional ``learning_rate``
    values: ``"step"``, ``"exponential"``, ``"cosine"``, ``"onecycle"``,
    ``"plateau"`` — for every stochastic solver.
    """ + _ADDED_DOC + """
    class_weight : "balanced", dict or None, default=None
        Per-class weights, folded into the sample weights.
    label_smoothing : float, default=0.0

    Attributes
    ----------
    classes_, coefs_, intercepts_, loss_, loss_curve_, best_loss_, validation_scores_,
    best_validation_score_, n_iter_, t_, n_layers_, n_outputs_, out_activation_,
    n_features_in_, feature_names_in_
        As in ``MLPClassifier``.
    history_ : fitwell.training.History
        Per epoch: train/validation loss and accuracy, learning rate, time.
    best_epoch_ : int
        The epoch whose state the model ends with.
    model_ : fitwell.nn.Sequential
        The network.
    """

    _parameter_constraints: dict = {
        **_BaseFitwell._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dropout=0.0, normalization=None, num_groups=8, l1=0.0, weight_decay=0.0,
                 warmup_epochs=0, schedule_kwargs=None, clip_grad_norm=None,
                 label_smoothing=0.0, class_weight=None, augment=None, image_shape=None,
                 restore_best_weights=True, monitor="val_score", init="glorot_sklearn",
                 dtype="float32", callbacks=None):
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
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.augment = augment
        self.image_shape = image_shape
        self.restore_best_weights = restore_best_weights
        self.monitor = monitor
        self.init = init
        self.dtype = dtype
        self.callbacks = callbacks

    # -- targets ---------------------------------------------------------------------------------
    def _prepare_targets(self, y, incremental, classes=None):
        target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"Unknown label type: {target_type!r}. FitwellClassifier needs "
                             "class labels (binary, multiclass or a multilabel indicator matrix); "
                             "for continuous targets use FitwellRegressor")
        if not incremental:
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y if classes is None else classes)
            self.classes_ = self._label_binarizer.classes_
            if len(self.classes_) < 2 and target_type != "multilabel-indicator":
                raise ValueError(f"FitwellClassifier needs samples of at least 2 classes in the "
                                 f"data, got only class {self.classes_.tolist()[0]!r}")
            self._multiclass = self._label_binarizer.y_type_ == "multiclass"
        else:
            present = unique_labels(y)
            unseen = np.setdiff1d(present, self.classes_)
            if len(unseen):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {present}.")
        if self._multiclass:
            return np.searchsorted(self.classes_, y).astype(np.intp)
        return self._label_binarizer.transform(y).astype(self._dtype)

    def _n_outputs_for(self, y):
        n = len(self.classes_) if self._multiclass else y.shape[1]
        self.out_activation_ = "softmax" if self._multiclass else "logistic"
        return n

    def _one_hot_classes(self):
        return len(self.classes_) if self._multiclass else None

    def _apply_class_weight(self, y_raw, sample_weight):
        if self.class_weight is None:
            return sample_weight
        from sklearn.utils.class_weight import compute_sample_weight

        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_)
            if unknown:
                raise ValueError(f"class_weight names classes {sorted(unknown)} that are not in "
                                 f"the data; classes are {list(self.classes_)}")
        weights = compute_sample_weight(self.class_weight, y_raw)
        return weights if sample_weight is None else weights * sample_weight

    def _loss_and_score(self):
        if self._multiclass:
            return nn.CrossEntropyLoss(label_smoothing=self.label_smoothing), accuracy_from_logits
        return _SmoothedBCELoss(self.label_smoothing), accuracy_from_binary_logits

    # -- public API --------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to data matrix X and targets y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (any hashable type) or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative. Samples of weight 0 are left out before training, exactly
            as if absent (they do not count in ``t_`` either).
        validation_data : tuple (X_val, y_val), optional
            Held-out data to evaluate each epoch (and early-stop on with
            ``early_stopping=True``) instead of splitting off ``validation_fraction``.

        Returns
        -------
        self : FitwellClassifier
        """
        return self._fit(X, y, sample_weight=sample_weight, validation_data=validation_data)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``; ``classes`` is required on the first call.

        Only for stochastic solvers: with ``solver="lbfgs"`` the attribute does not
        exist (``AttributeError``), as in scikit-learn.
        """
        self._validate_params()
        first = not hasattr(self, "classes_") or not hasattr(self, "model_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if first:
            return self._partial_first(X, y, sample_weight, classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _partial_first(self, X, y, sample_weight, classes):
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             multi_output=True)
        y = _ravel_column(y)
        self._prepare_targets(np.asarray(classes), incremental=False, classes=classes)
        yt = self._prepare_targets(y, incremental=True)
        self._initialize(X.shape[1], self._n_outputs_for(yt), self._seeds())
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def decision_function_raw(self, X):
        """The network's raw outputs (logits) for ``X``: ``model_.forward(X)`` exactly."""
        return self._forward(X, fused=False)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); for binary problems the
        columns are ``[P(classes_[0]), P(classes_[1])]`` as in scikit-learn."""
        logits = self._forward(X).astype(np.float64)
        if self._multiclass:
            return nn.softmax(logits, out=logits)
        probs = 1.0 / (1.0 + np.exp(-logits))
        if self.n_outputs_ == 1 and self._label_binarizer.y_type_ == "binary":
            return np.hstack([1.0 - probs, probs])
        return probs

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class labels (or indicator matrix for multilabel targets)."""
        logits = self._forward(X)
        if self._multiclass:
            return self.classes_[logits.argmax(axis=1)]
        indicator = (logits > 0).astype(int)
        if self.n_outputs_ == 1:
            indicator = indicator.ravel()
        return self._label_binarizer.inverse_transform(indicator)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``(X, y)`` (subset accuracy for multilabel)."""
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FitwellRegressor(RegressorMixin, _BaseFitwell):
    """A multi-layer perceptron regressor: ``MLPRegressor`` plus regularisation.

    Minimises scikit-learn's squared error, ``0.5 * mean((y - f(x))^2)`` plus the
    penalties; otherwise as :class:`FitwellClassifier`, whose documentation lists
    the added parameters.
    """ + _ADDED_DOC

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 dropout=0.0, normalization=None, num_groups=8, l1=0.0, weight_decay=0.0,
                 warmup_epochs=0, schedule_kwargs=None, clip_grad_norm=None, augment=None,
                 image_shape=None, restore_best_weights=True, monitor="val_score",
                 init="glorot_sklearn", dtype="float32", callbacks=None):
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

    def _prepare_targets(self, y, incremental, classes=None):
        y = np.asarray(y, dtype=self._dtype)
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity; remove or impute those targets")
        if not incremental:
            self._y_1d = y.ndim == 1
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _n_outputs_for(self, y):
        self.out_activation_ = "identity"
        return y.shape[1]

    def _one_hot_classes(self):
        return None

    def _loss_and_score(self):
        return _HalfMSELoss(), _r2_from_outputs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to data matrix X and targets y (see :class:`FitwellClassifier`)."""
        return self._fit(X, y, sample_weight=sample_weight, validation_data=validation_data)

    @available_if(_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``; only for stochastic solvers."""
        self._validate_params()
        incremental = hasattr(self, "model_")
        if not incremental:
            X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                                 multi_output=True, y_numeric=True)
            y = _ravel_column(y)
            yt = self._prepare_targets(y, incremental=False)
            self._initialize(X.shape[1], self._n_outputs_for(yt), self._seeds())
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        out = self._forward(X)
        return out.ravel() if self._y_1d else out

    def score(self, X, y, sample_weight=None):
        """R² on ``(X, y)``."""
        return r2_score(y, self.predict(X), sample_weight=sample_weight)
