"""``FitwellClassifier``: a drop-in superset of scikit-learn's ``MLPClassifier``."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from .. import nn
from ..errors import ParameterError
from ..training import accuracy_from_binary_logits, accuracy_from_logits
from ._base import BaseFitwell, has_stochastic_solver
from ._docs import CLASSIFIER_DOC
from ._params import CLASSIFIER_CONSTRAINTS
from ._sparse_inputs import ACCEPT_SPARSE
from ._targets import (
    check_known_classes,
    check_same_classes,
    class_sample_weight,
    encode_labels,
    fit_label_encoder,
    ravel_column,
)

__all__ = ["FitwellClassifier"]


class FitwellClassifier(ClassifierMixin, BaseFitwell):
    __doc__ = CLASSIFIER_DOC

    _parameter_constraints: dict = CLASSIFIER_CONSTRAINTS

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
    @property
    def _multiclass(self):
        """One label per sample among more than two: softmax over class indices."""
        return self._label_binarizer.y_type_ == "multiclass"

    def _prepare_targets(self, y, incremental, classes=None, warm_start=False):
        if incremental:
            if warm_start:
                check_same_classes(y, self.classes_)
            check_known_classes(y, self.classes_)
        else:
            self._label_binarizer = fit_label_encoder(y, classes)
            self.classes_ = self._label_binarizer.classes_
        return encode_labels(self._label_binarizer, y, self._dtype)

    def _n_outputs_for(self, y):
        self.out_activation_ = "softmax" if self._multiclass else "logistic"
        return len(self.classes_) if self._multiclass else y.shape[1]

    def _one_hot_classes(self):
        return len(self.classes_) if self._multiclass else None

    def _apply_class_weight(self, y_raw, sample_weight):
        return class_sample_weight(self.class_weight, self.classes_, y_raw, sample_weight)

    def _loss_and_score(self):
        smoothing = float(self.label_smoothing)
        if self._multiclass:
            return nn.CrossEntropyLoss(label_smoothing=smoothing), accuracy_from_logits
        return nn.BinaryCrossEntropyLoss(label_smoothing=smoothing), accuracy_from_binary_logits

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

    @available_if(has_stochastic_solver)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``; ``classes`` is required on the first call.

        Only for stochastic solvers: with ``solver="lbfgs"`` the attribute does not
        exist (``AttributeError``), as in scikit-learn.
        """
        self._validate_params()
        if not hasattr(self, "model_") and classes is None:
            raise ParameterError("classes must be passed on the first call to partial_fit.")
        if hasattr(self, "model_") and classes is not None \
                and not np.array_equal(np.unique(classes), self.classes_):
            raise ParameterError(f"`classes={np.unique(classes)}` is not the same as on last "
                                 f"call to partial_fit, was: {self.classes_}; pass the classes "
                                 "of the first call (or none)")
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

    def _begin_incremental(self, X, y, classes):
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             accept_sparse=ACCEPT_SPARSE,
                             multi_output=True)
        y = ravel_column(y)
        # As scikit-learn: a multilabel indicator y defines the labels, not ``classes``.
        labels = y if type_of_target(y).startswith("multilabel") else np.asarray(classes)
        self._prepare_targets(labels, incremental=False, classes=None)
        encoded = self._prepare_targets(y, incremental=True)
        self._initialize(X.shape[1], self._n_outputs_for(encoded), self._seeds())

    def decision_function_raw(self, X):
        """The network's raw outputs (logits) for ``X``: ``model_.forward(X)``, batch norm
        not folded."""
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
