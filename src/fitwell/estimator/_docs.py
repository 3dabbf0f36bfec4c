"""The estimators' docstrings, built from one list of the parameters fitwell adds.

A class docstring must be a plain literal to become ``__doc__``; these are
assembled here and assigned in each class body.
"""

from __future__ import annotations

__all__ = ["CLASSIFIER_DOC", "REGRESSOR_DOC"]

_SHARED = """
    Parameters shared with scikit-learn's MLP have its names, defaults and meanings;
    see its documentation. Notable conventions kept for fidelity: ``alpha`` is an
    L2 penalty ``0.5 * alpha * ||W||^2`` divided by the batch size (a known
    scikit-learn oddity), applied to weight matrices only; ``learning_rate``
    ``"invscaling"`` and ``"adaptive"`` act on ``solver="sgd"`` only; stopping
    follows scikit-learn's ``tol`` / ``n_iter_no_change`` rule. Every numeric
    parameter accepts Python numbers and NumPy scalars alike.

    Fitting is all or nothing: every input and parameter is checked before the
    network is built, and a ``fit``, ``partial_fit`` or refit that raises
    (``KeyboardInterrupt`` included) leaves a fitted estimator exactly as it was.
    A ``KeyboardInterrupt`` during the training epochs instead ends training
    early and the fit completes with what was learnt, with a warning.
    ``warm_start=True`` and ``partial_fit`` continue the fitted network: changing
    its shape (``hidden_layer_sizes``, ``activation``, ``normalization``,
    ``num_groups``, ``dropout``, ``dtype``) in between raises ``ParameterError``
    (as scikit-learn's MLP refuses too); set ``warm_start=False`` to train a new
    network. A changed solver or optimiser setting gets a new optimiser. Values
    of ``X`` (or a regression ``y``) that ``dtype`` cannot hold are refused at
    fit and at predict time, and so are outputs that overflow inside the network:
    predictions are finite or an error.

    ``X`` may be a ``scipy.sparse`` CSR/CSC matrix or array: it stays sparse (the
    first layer multiplies it; see the README), and only the ``"mixup"``
    augmentation (of the named ones) works on it. As in scikit-learn, ``n_iter_``
    counts the epochs of the last ``fit`` or ``partial_fit`` call (``history_``
    holds them all), ``verbose`` prints ``Iteration N, loss = ...`` lines, and
    ``coefs_`` / ``intercepts_`` may be assigned.

    Where fitwell deliberately differs from scikit-learn (the one list; the
    README repeats it, and ``tests/estimator/test_sklearn_suite.py`` runs
    scikit-learn's own MLP tests with exactly these as the failures):

    * ``dtype="float32"`` by default, whatever the dtype of ``X``: twice the speed
      and half the memory; ``dtype="float64"`` gives scikit-learn's precision.
    * ``X`` values beyond ``dtype`` are refused before training (a ``DataError``
      naming the entry), rather than trained into non-finite weights.
    * A diverging stochastic run stops, keeps its best finite state and warns
      (``diverged_``); L-BFGS does the same.
    * Early stopping's stratified split refuses a too-small class with its own
      ``DataError`` naming the class label.
    * ``random_state`` seeds fitwell's own generators: the same seed gives other
      initial weights and shuffles than scikit-learn's (equally distributed).
    * scikit-learn's private internals (``_loss_grad_lbfgs``, ``_backprop``) do not
      exist.

    Additional ``solver`` values: ``"adamw"`` (decoupled weight decay) and
    ``"nesterov"`` (SGD with Nesterov momentum). Additional ``learning_rate``
    values: ``"step"``, ``"exponential"``, ``"cosine"``, ``"onecycle"``,
    ``"plateau"`` — for every stochastic solver.
"""

_ADDED = """
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
        The network's floating-point type.
    callbacks : list of fitwell.training.Callback, optional
        Called during stochastic training, after the stopping rule.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    {sklearn_attributes}
        As in ``{sklearn_name}``.
    history_ : fitwell.training.History
        Per epoch: train/validation loss and score, learning rate, time.
    best_epoch_ : int
        The epoch whose state the model ends with (0: the starting state).
    diverged_ : bool
        Training diverged (a non-finite loss, weights or normalisation statistics)
        and stopped with a :class:`~fitwell.training.DivergenceWarning`. The model
        then holds the better, on the training data, of the starting state and the
        state after the epoch of lowest training loss (or early stopping's best
        epoch), and ``loss_`` is that state's training loss; ``loss_curve_`` and
        ``n_iter_`` count the epochs that completed.
    model_ : fitwell.nn.Sequential
        The network.
"""

CLASSIFIER_DOC = """A multi-layer perceptron classifier: ``MLPClassifier`` plus regularisation.
""" + _SHARED + _ADDED + """    class_weight : "balanced", dict or None, default=None
        Per-class weights, folded into the sample weights.
    label_smoothing : float, default=0.0
        Pull the targets towards the uniform distribution (see
        :class:`fitwell.nn.CrossEntropyLoss` and :class:`fitwell.nn.BinaryCrossEntropyLoss`).
""" + _ATTRIBUTES.format(
    sklearn_attributes="classes_, coefs_, intercepts_, loss_, loss_curve_, best_loss_, "
                       "validation_scores_,\n    best_validation_score_, n_iter_, t_, "
                       "n_layers_, n_outputs_, out_activation_,\n    n_features_in_, "
                       "feature_names_in_",
    sklearn_name="MLPClassifier")

REGRESSOR_DOC = """A multi-layer perceptron regressor: ``MLPRegressor`` plus regularisation.

    Minimises scikit-learn's squared error, ``0.5 * mean((y - f(x))^2)`` plus the
    penalties (:class:`fitwell.nn.HalfMSELoss`), or with ``loss="poisson"`` half
    the Poisson deviance of ``mu = exp(f(x))``, ``mean(y log(y / mu) - y + mu)``
    summed over outputs (:class:`fitwell.nn.HalfPoissonLoss`; the ``"exp"`` output
    activation, so predictions are positive; ``y`` must be non-negative), exactly
    as scikit-learn defines them. ``loss`` is the first positional parameter, as in
    ``MLPRegressor``.
""" + _SHARED + _ADDED + _ATTRIBUTES.format(
    sklearn_attributes="coefs_, intercepts_, loss_, loss_curve_, best_loss_, "
                       "validation_scores_,\n    best_validation_score_, n_iter_, t_, "
                       "n_layers_, n_outputs_, out_activation_,\n    n_features_in_, "
                       "feature_names_in_",
    sklearn_name="MLPRegressor")
