"""Learning-rate schedules; an alias of :mod:`fitwell.optim.schedules`."""

from .optim.schedules import *  # noqa: F403
from .optim.schedules import __all__  # noqa: F401
