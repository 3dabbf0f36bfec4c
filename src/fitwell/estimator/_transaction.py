"""All or nothing: a fit that fails leaves the estimator exactly as it was.

:func:`fit_transaction` notes what a fit may change — the attributes, the lists and
history that grow in place, the random generators the network draws from and, when
the fit continues an existing network (``warm_start``, ``partial_fit``), that
network's state and its optimiser's — and puts it all back if the fit raises
anything, ``KeyboardInterrupt`` included. A fit that starts a new network builds
new objects and copies no arrays.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

import numpy as np

__all__ = ["fit_transaction"]

# The optimisers' running state (see fitwell.optim): step count, moments, momentum.
_OPTIMIZER_STATE = ("t", "m", "v", "momentum_buffer")


class _Saved:
    """What :func:`fit_transaction` restores."""

    def __init__(self, estimator, continues):
        self.attributes = dict(vars(estimator))
        self.containers = {name: copy.deepcopy(value) for name, value in self.attributes.items()
                           if name.endswith("_") and isinstance(value, list)
                           or name == "history_"}
        self.generators = {name: value.bit_generator.state
                           for name, value in self.attributes.items()
                           if isinstance(value, np.random.Generator)}
        model = self.attributes.get("model_") if continues else None
        self.model_state = None if model is None else model.state_dict()
        optimizer = self.attributes.get("_optimizer") if continues else None
        self.optimizer_state = None if optimizer is None else {
            name: copy.deepcopy(getattr(optimizer, name)) for name in _OPTIMIZER_STATE
            if hasattr(optimizer, name)}

    def restore(self, estimator):
        state = vars(estimator)
        state.clear()
        state.update(self.attributes)
        state.update(copy.deepcopy(self.containers))
        for name, generator_state in self.generators.items():
            # Dropout layers share these generators: restore them in place.
            state[name].bit_generator.state = generator_state
        if self.model_state is not None:
            state["model_"].load_state_dict(self.model_state)
        if self.optimizer_state is not None:
            optimizer = state["_optimizer"]
            for name, value in self.optimizer_state.items():
                current = getattr(optimizer, name)
                if isinstance(value, np.ndarray):
                    np.copyto(current, value)  # the compiled updates hold these arrays
                elif isinstance(value, dict):
                    for key, array in value.items():
                        np.copyto(current[key], array)
                else:
                    setattr(optimizer, name, value)


@contextmanager
def fit_transaction(estimator, *, continues):
    """Run the body as one transaction on ``estimator``.

    Parameters
    ----------
    estimator : BaseFitwell
    continues : bool
        The fit trains the existing network further (``warm_start`` or
        ``partial_fit``), so its parameters, buffers and optimiser state are
        copied to be restored on failure.
    """
    saved = _Saved(estimator, continues)
    try:
        yield
    except BaseException:
        saved.restore(estimator)
        raise
