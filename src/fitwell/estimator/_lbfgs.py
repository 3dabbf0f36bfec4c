"""The full-batch L-BFGS solver: scipy's L-BFGS-B on the network's flat parameter buffer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize

__all__ = ["LbfgsRun", "train_lbfgs"]


@dataclass
class LbfgsRun:
    """What :func:`train_lbfgs` did: iterations, the final objective, scipy's verdict, and
    whether the search diverged (the model then holds its starting state)."""

    n_iter: int
    loss: float
    converged: bool
    message: str
    diverged: bool


def train_lbfgs(model, X, y, *, loss, max_iter, max_fun, tol, penalties=(),
                sample_weight=None) -> LbfgsRun:
    """Minimise ``loss(model(X), y) + sum(penalties) / total_weight`` over every parameter.

    The objective is evaluated on the whole of ``X`` in training mode (batch norm
    uses the batch statistics); its gradient is read from ``model.flat_grads``,
    laid out as the ``model.flat_params`` the search writes. ``total_weight`` is
    the number of samples, or the sum of ``sample_weight``. ``max_iter``,
    ``max_fun`` and ``tol`` are L-BFGS-B's ``maxiter``, ``maxfun`` and ``gtol``.
    The model ends with the parameters of the last accepted step — or, when they or
    the objective are not finite, with the state it started from (``diverged``).
    """
    start = model.state_dict()
    flat, flat_grads = model.flat_params, model.flat_grads
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
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol})
    flat[...] = result.x
    state = {**model.params, **model.buffers}
    diverged = not (np.isfinite(result.fun) and all(np.isfinite(v).all() for v in state.values()))
    loss_value = float(result.fun)
    if diverged:
        model.load_state_dict(start)
        loss_value = objective(flat.astype(np.float64))[0]
        model.load_state_dict(start)  # the evaluation ran in training mode
    return LbfgsRun(n_iter=int(result.nit), loss=float(loss_value),
                    converged=result.status == 0 and not diverged, message=str(result.message),
                    diverged=diverged)
