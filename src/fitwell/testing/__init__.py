"""Tools for proving the engine right: gradient checks against central differences.

``fitwell gradcheck`` runs :func:`check_all` and prints its table.
"""

from . import cases, gradcheck
from .cases import check_all
from .gradcheck import (
    DEFAULT_ATOL,
    DEFAULT_STEP,
    DEFAULT_TOLERANCE,
    GradCheckResult,
    check_layer,
    check_loss,
    check_penalty,
    numeric_gradient,
    relative_error,
)

__all__ = [
    "gradcheck", "cases", "GradCheckResult", "relative_error", "numeric_gradient", "check_layer",
    "check_loss", "check_penalty", "check_all", "DEFAULT_STEP", "DEFAULT_TOLERANCE",
    "DEFAULT_ATOL",
]
