"""Assigned ``coefs_`` / ``intercepts_``: scikit-learn lets a user (and its tests) set
them, then continue training or predict. An assigned list is kept as it is (its
items may still be replaced) until the network is next used, then copied in."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["WEIGHTS", "assign_weights", "assigned_weights", "adopt_assigned_weights",
           "drop_assigned_weights"]

WEIGHTS = (("coefs_", "weight"), ("intercepts_", "bias"))
"""Fitted attribute -> the key of the dense layers' parameter it lists."""


def _slot(name):
    return f"_assigned_{name}"


def assign_weights(estimator, name, value):
    """Keep ``value`` (a list of arrays) as the assigned ``estimator.<name>``."""
    estimator.__dict__[_slot(name)] = value


def assigned_weights(estimator, name):
    """The list assigned to ``estimator.<name>`` and not yet adopted, or None."""
    return estimator.__dict__.get(_slot(name))


def adopt_assigned_weights(estimator, linears):
    """Copy assigned lists into the ``linears``' parameters (shapes checked)."""
    for name, key in WEIGHTS:
        assigned = estimator.__dict__.pop(_slot(name), None)
        if assigned is None:
            continue
        shapes = [linear.params[key].shape for linear in linears]
        received = [np.shape(value) for value in assigned]
        if received != shapes:
            raise ParameterError(f"the assigned {name} have shapes {received} but the "
                                 f"network's are {shapes}; assign arrays of those shapes")
        for linear, value in zip(linears, assigned, strict=True):
            linear.params[key][...] = value


def drop_assigned_weights(estimator):
    """Forget assigned lists (a fit without warm start begins a fresh network)."""
    for name, _ in WEIGHTS:
        estimator.__dict__.pop(_slot(name), None)
