"""Loss functions. Each call returns ``(loss, gradient with respect to the input)``."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from .._validation import check_number
from . import _cross_entropy_kernel

__all__ = ["CrossEntropyLoss", "MSELoss", "HalfMSELoss", "HalfPoissonLoss",
           "BinaryCrossEntropyLoss", "softmax"]


def _check_sample_weight(sample_weight, n, owner):
    if sample_weight is None:
        return None
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if sample_weight.shape != (n,):
        raise ValueError(
            f"{owner}: sample_weight must have shape ({n},), got {sample_weight.shape}"
        )
    if np.any(sample_weight < 0) or not np.all(np.isfinite(sample_weight)):
        raise ValueError(f"{owner}: sample_weight must be finite and non-negative")
    return sample_weight


def softmax(logits, out=None):
    """Row-wise softmax of ``(n, C)`` logits, stable (the row maximum is subtracted first).

    NumPy reduces along a short last axis at ~40 ns a row, so for a handful of classes
    the row maximum is taken column by column and the row sums as one matrix product:
    four times faster on many rows, same values.
    """
    logits = np.asarray(logits)
    out = np.subtract(logits, _row_max(logits), out=out)
    np.exp(out, out=out)
    out /= (out @ np.ones(out.shape[1], dtype=out.dtype))[:, None]
    return out


def _row_max(logits):
    """``logits.max(axis=1, keepdims=True)``, column by column when there are few columns."""
    if logits.shape[1] > 32 or logits.shape[1] == 0:
        return np.maximum.reduce(logits, axis=1, keepdims=True)
    largest = logits[:, 0].copy()
    for column in range(1, logits.shape[1]):
        np.maximum(largest, logits[:, column], out=largest)
    return largest[:, None]


def _log_softmax(logits):
    """Stable log-softmax along axis 1 (subtracting the row maximum first)."""
    shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
    sums = np.add.reduce(np.exp(shifted), axis=1, keepdims=True)
    shifted -= np.log(sums, out=sums)
    return shifted


class CrossEntropyLoss:
    """Softmax cross-entropy computed from logits, fused with its gradient.

    With class-index targets ``y`` (ints in ``[0, C)``), label smoothing ``eps``,
    class weights ``w`` and sample weights ``s``, the loss of sample ``i`` is::

        l_i = -sum_c w_c * t_ic * log softmax(z_i)_c,   t_i = (1 - eps) onehot(y_i) + eps / C

    and the result is ``sum_i s_i l_i / sum_i s_i w_{y_i}`` — PyTorch's weighted mean
    (``s = 1``) and scikit-learn's ``np.average`` with sample weights (``w = 1``).
    Probability targets of shape ``(N, C)`` (e.g. from mixup) are smoothed the
    same way and averaged with ``sum_i s_i`` in the denominator, as PyTorch does.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        In ``[0, 1]``.
    weight : array-like of shape (n_classes,), default=None
        Per-class weights.
    """

    def __init__(self, label_smoothing=0.0, weight=None):
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, int | float) \
                or not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}"
            )
        self.label_smoothing = float(label_smoothing)
        if weight is not None:
            weight = np.asarray(weight, dtype=np.float64)
            if weight.ndim != 1 or np.any(weight < 0) or not np.all(np.isfinite(weight)):
                raise ValueError(
                    "CrossEntropyLoss: weight must be a 1-D array of finite non-negative "
                    f"per-class weights, got {weight!r}"
                )
        self.weight = weight

    def __call__(self, logits, target, sample_weight=None):
        """Return ``(loss, dloss/dlogits)`` for a batch.

        Parameters
        ----------
        logits : ndarray of shape (n_samples, n_classes)
        target : ndarray of shape (n_samples,) of ints, or (n_samples, n_classes) of
            probabilities
        sample_weight : ndarray of shape (n_samples,), default=None
        """
        logits = np.asarray(logits)
        if logits.ndim != 2:
            raise ValueError(
                f"CrossEntropyLoss expects logits of shape (n_samples, n_classes), got "
                f"{logits.shape}"
            )
        n, n_classes = logits.shape
        target = np.asarray(target)
        soft = target.ndim == 2
        if soft and target.shape != logits.shape:
            raise ValueError(
                f"CrossEntropyLoss: probability targets must have the logits' shape "
                f"{logits.shape}, got {target.shape}"
            )
        if not soft:
            if target.shape != (n,):
                raise ValueError(
                    f"CrossEntropyLoss: targets must have shape ({n},) or ({n}, {n_classes}), "
                    f"got {target.shape}"
                )
            if target.dtype.kind not in "iu":
                raise ValueError(
                    f"CrossEntropyLoss: class-index targets must be integers, got dtype "
                    f"{target.dtype}"
                )
            if n and self.weight is None and sample_weight is None and logits.dtype.char in "fd":
                return self._plain(logits, target, self.label_smoothing)  # checks the ids
            if n and (np.minimum.reduce(target) < 0 or np.maximum.reduce(target) >= n_classes):
                raise ValueError(
                    f"CrossEntropyLoss: class indices must be in [0, {n_classes}), got values "
                    f"from {target.min()} to {target.max()}"
                )
        weight = self.weight
        if weight is not None and weight.shape != (n_classes,):
            raise ValueError(
                f"CrossEntropyLoss: weight has {weight.shape[0]} entries but the logits have "
                f"{n_classes} classes"
            )
        sample_weight = _check_sample_weight(sample_weight, n, "CrossEntropyLoss")

        eps = self.label_smoothing
        log_probs = _log_softmax(logits)
        # q_i = w * t_i is the weighted target; loss_i = -q_i . log p_i and
        # dloss_i/dz_i = sum(q_i) p_i - q_i.
        if soft:
            q = target.astype(log_probs.dtype, copy=True)
            if eps:
                q *= 1.0 - eps
                q += eps / n_classes
            if weight is not None:
                q *= weight
            denominator_terms = np.ones(n)
        else:
            rows = np.arange(n)
            q = np.full_like(log_probs, eps / n_classes)
            q[rows, target] += 1.0 - eps
            if weight is not None:
                q *= weight
                denominator_terms = weight[target]
            else:
                denominator_terms = np.ones(n)
        per_sample = -np.einsum("ij,ij->i", q, log_probs)
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
            denominator_terms = denominator_terms * sample_weight
        denominator = float(denominator_terms.sum())
        if denominator <= 0:
            raise ValueError("CrossEntropyLoss: the weights of this batch sum to zero")
        loss = float(per_sample.sum()) / denominator

        grad = np.exp(log_probs, out=log_probs)  # reuse: softmax probabilities
        grad *= q.sum(axis=1, keepdims=True)
        grad -= q
        scale = (1.0 / denominator) if sample_weight is None else \
            (sample_weight / denominator)[:, None]
        grad *= scale
        return loss, grad.astype(logits.dtype, copy=False)

    @staticmethod
    def _plain(logits, target, eps):
        """The common case (class ids, no weights) in one compiled pass.

        With ``z`` the logits less their row maximum and ``s_i = sum_c exp(z_ic)``,
        ``q_i = eps / C + (1 - eps) onehot(y_i)`` sums to 1, so the loss of sample ``i``
        is ``log s_i - (1 - eps) z_iy - eps / C sum_c z_ic`` and its gradient
        ``(softmax(z_i) - q_i) / N``: the general path's values without building ``q``
        (:func:`fitwell.nn._cross_entropy_kernel.cross_entropy`).
        """
        grad = np.empty(logits.shape, dtype=logits.dtype)
        loss = _cross_entropy_kernel.cross_entropy(np.ascontiguousarray(logits), target, eps, grad)
        if loss < 0:
            raise ValueError(
                f"CrossEntropyLoss: class indices must be in [0, {logits.shape[1]}), got values "
                f"from {target.min()} to {target.max()}"
            )
        return loss, grad

    def __repr__(self):
        return f"CrossEntropyLoss(label_smoothing={self.label_smoothing})"


class BinaryCrossEntropyLoss:
    """Sigmoid cross-entropy from logits, for binary and multi-label targets.

    ``loss = mean over samples of sum over outputs of
    -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))`` — the per-sample sum over
    labels is scikit-learn's ``log_loss`` convention for multi-label MLPs.
    Computed stably as ``softplus(z) - y z``.

    With label smoothing ``eps`` every target is first pulled towards one half,
    ``y <- (1 - eps) y + eps / 2``, the two-class case of
    :class:`CrossEntropyLoss`'s smoothing.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        In ``[0, 1]``.
    """

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = check_number(label_smoothing, "label_smoothing",
                                            "BinaryCrossEntropyLoss", low=0.0, high=1.0)

    def __call__(self, logits, target, sample_weight=None):
        """Return ``(loss, dloss/dlogits)`` for a batch.

        Parameters
        ----------
        logits : ndarray of shape (n_samples, n_outputs)
        target : ndarray of shape (n_samples, n_outputs) of values in ``[0, 1]``
        sample_weight : ndarray of shape (n_samples,), default=None
        """
        logits = np.asarray(logits)
        target = np.asarray(target, dtype=logits.dtype)
        if logits.ndim != 2 or target.shape != logits.shape:
            raise ValueError(
                f"BinaryCrossEntropyLoss expects logits and targets of one 2-D shape, got "
                f"{logits.shape} and {target.shape}"
            )
        if self.label_smoothing:
            target = target * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        n = logits.shape[0]
        sample_weight = _check_sample_weight(sample_weight, n, "BinaryCrossEntropyLoss")
        per_sample = (np.logaddexp(0.0, logits) - target * logits).sum(axis=1)
        probs = np.exp(-np.logaddexp(0.0, -logits))  # sigmoid, stable for both signs
        grad = probs - target
        if sample_weight is None:
            loss = float(per_sample.mean())
            grad /= n
        else:
            total = sample_weight.sum()
            loss = float((per_sample * sample_weight).sum() / total)
            grad *= (sample_weight / total)[:, None]
        return loss, grad.astype(logits.dtype, copy=False)

    def __repr__(self):
        return f"BinaryCrossEntropyLoss(label_smoothing={self.label_smoothing})"


def _matching_pair(prediction, target, owner):
    """``prediction`` and ``target`` as arrays of one 2-D shape (a 1-D target of a
    one-output network becomes a column), or a ``ValueError`` naming both shapes."""
    prediction = np.asarray(prediction)
    target = np.asarray(target, dtype=prediction.dtype)
    if target.ndim == 1 and prediction.ndim == 2 and prediction.shape[1] == 1:
        target = target[:, None]
    if prediction.ndim != 2 or target.shape != prediction.shape:
        raise ValueError(f"{owner} expects predictions and targets of one 2-D shape, got "
                         f"{prediction.shape} and {target.shape}")
    return prediction, target


class MSELoss:
    """Mean squared error over every element, as PyTorch's ``nn.MSELoss``.

    ``loss = mean((prediction - target) ** 2)``. With sample weights the mean over
    samples is weighted: ``sum_i s_i mean_j(r_ij^2) / sum_i s_i``. (scikit-learn's
    ``MLPRegressor`` minimises half of this: :class:`HalfMSELoss`.)
    """

    def __call__(self, prediction, target, sample_weight=None):
        prediction, target = _matching_pair(prediction, target, "MSELoss")
        n, d = prediction.shape
        sample_weight = _check_sample_weight(sample_weight, n, "MSELoss")
        residual = prediction - target
        if sample_weight is None:
            loss = float(np.einsum("ij,ij->", residual, residual)) / (n * d)
            residual *= 2.0 / (n * d)
        else:
            total = sample_weight.sum()
            per_sample = np.einsum("ij,ij->i", residual, residual) / d
            loss = float((per_sample * sample_weight).sum() / total)
            residual *= (2.0 / (d * total)) * sample_weight[:, None]
        return loss, residual

    def __repr__(self):
        return "MSELoss()"


class HalfMSELoss(MSELoss):
    """Half the mean squared error: scikit-learn's ``squared_error`` for ``MLPRegressor``.

    ``loss = 0.5 * mean((prediction - target) ** 2)``, with sample weights as in
    :class:`MSELoss`; the gradient is half of :class:`MSELoss`'s.
    """

    def __call__(self, prediction, target, sample_weight=None):
        value, grad = super().__call__(prediction, target, sample_weight=sample_weight)
        grad *= 0.5
        return 0.5 * value, grad

    def __repr__(self):
        return "HalfMSELoss()"


class HalfPoissonLoss:
    """Half the Poisson deviance with a log link: scikit-learn's ``loss="poisson"``.

    The network's outputs ``z`` are log-means, ``mu = exp(z)`` (the ``"exp"`` output
    activation). Summed over outputs, averaged over samples (weighted by ``s_i``)::

        loss = sum_j  sum_i s_i [y_ij log(y_ij / mu_ij) - y_ij + mu_ij] / sum_i s_i
        dloss/dz_ij = s_i (mu_ij - y_ij) / sum_i s_i

    with ``y log y = 0`` at ``y = 0``; ``s_i = 1`` without weights. This is
    ``sklearn.neural_network._base.poisson_loss`` of ``mu``, and the gradient
    scikit-learn's MLP back-propagates (``mu - y`` per sample, divided by ``n``).
    Targets must be non-negative.
    """

    def __call__(self, prediction, target, sample_weight=None):
        prediction, target = _matching_pair(prediction, target, "HalfPoissonLoss")
        n = prediction.shape[0]
        sample_weight = _check_sample_weight(sample_weight, n, "HalfPoissonLoss")
        with np.errstate(over="ignore"):
            mean = np.exp(prediction)
        # y log(y / mu) - y + mu, written with log(mu) = z so that mu = 0 cannot occur
        per_element = xlogy(target, target) - target * prediction - target + mean
        grad = mean - target
        if sample_weight is None:
            loss = float(per_element.sum(dtype=np.float64)) / n
            grad *= 1.0 / n
        else:
            total = sample_weight.sum()
            loss = float((per_element.sum(axis=1, dtype=np.float64) * sample_weight).sum()
                         / total)
            grad *= (sample_weight / total)[:, None].astype(grad.dtype)
        return loss, grad

    def __repr__(self):
        return "HalfPoissonLoss()"
