"""One home for the checks of numbers and options that every layer shares.

Every check accepts Python numbers and every NumPy scalar type (``np.float32(0.1)``,
``np.int64(3)``) and refuses ``bool``, NaN and infinity; each raises
:class:`fitwell.errors.ParameterError` with what was expected and what was received.
"""

from __future__ import annotations

import math
import numbers

from .errors import ParameterError

__all__ = ["check_number", "check_int", "check_positive_int", "check_option", "is_number"]


def is_number(value) -> bool:
    """True for a real number (Python or NumPy scalar), False for ``bool`` and the rest."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _interval(low, high, low_open, high_open) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lower = "-inf" if low is None else f"{low:g}"
    upper = "inf" if high is None else f"{high:g}"
    return f"{left}{lower}, {upper}{right}"


def check_number(value, name: str, owner: str, *, low: float | None = 0.0,
                 high: float | None = None, low_open: bool = False,
                 high_open: bool = False) -> float:
    """Return ``value`` as a Python float if it is a finite number in the interval.

    The interval is ``[low, high]``, each end open when ``low_open`` / ``high_open``
    and unbounded when ``None``.
    """
    valid = is_number(value) and math.isfinite(value)
    if valid:
        value = float(value)
        if low is not None:
            valid = value > low if low_open else value >= low
        if valid and high is not None:
            valid = value < high if high_open else value <= high
    if not valid:
        raise ParameterError(
            f"{owner}: {name} must be a number in "
            f"{_interval(low, high, low_open, high_open)}, got {value!r}")
    return value


def check_int(value, name: str, owner: str, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as a Python int if it is an integer (not ``bool``) in range."""
    valid = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if valid:
        value = int(value)
        valid = (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not valid:
        if minimum is not None and maximum is not None:
            wanted = f"an integer in [{minimum}, {maximum}]"
        elif minimum is not None:
            wanted = f"an integer >= {minimum}"
        elif maximum is not None:
            wanted = f"an integer <= {maximum}"
        else:
            wanted = "an integer"
        raise ParameterError(f"{owner}: {name} must be {wanted}, got {value!r}")
    return value


def check_positive_int(value, name: str, owner: str) -> int:
    """Return ``value`` as a Python int if it is an integer >= 1."""
    return check_int(value, name, owner, minimum=1)


def check_option(value, name: str, owner: str, allowed):
    """Return ``value`` if it is one of ``allowed`` (compared with ``==``)."""
    for option in allowed:
        if isinstance(value, type(option)) and value == option:
            return value
    choices = ", ".join(repr(option) for option in allowed)
    raise ParameterError(f"{owner}: {name} must be one of {choices}, got {value!r}")
