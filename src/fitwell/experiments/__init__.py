"""Experiments: single runs, and sweeps and ablations over many seeds built on them.

``sweep(...)`` and ``ablate(...)`` return a tidy table (a pandas ``DataFrame`` when
pandas is installed, else a list of dicts); ``run_sweep`` / ``run_ablation`` return
the full result (trials, rows, the chosen configuration).
"""

from .ablation import ablate, run_ablation
from .runner import RunResult, fit_and_evaluate, make_estimator
from .sweep import run_sweep, sweep

__all__ = ["RunResult", "fit_and_evaluate", "make_estimator", "sweep", "run_sweep", "ablate",
           "run_ablation"]
