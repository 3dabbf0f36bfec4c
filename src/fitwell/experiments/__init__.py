"""Experiments: single runs now; sweeps and ablations over many seeds build on them."""

from .runner import RunResult, fit_and_evaluate, make_estimator

__all__ = ["RunResult", "fit_and_evaluate", "make_estimator"]
