"""Experiments: single runs, and sweeps and ablations over many seeds built on them.

``sweep(...)`` and ``ablate(...)`` return a tidy table (a pandas ``DataFrame`` when
pandas is installed, else a list of dicts); ``run_sweep`` / ``run_ablation`` return
the full result (trials, rows, the chosen configuration).

The modules, from the bottom up: :mod:`~.space` (grids and ranges),
:mod:`~.definition` (an experiment and its fingerprint), :mod:`~.storage` (database
URLs), :mod:`~.claims` (who runs which unit), :mod:`~.optuna_study` (the only module
touching Optuna), :mod:`~.fit_one` (fit one configuration), :mod:`~.workers` (the
worker pool), :mod:`~.inputs` and :mod:`~.plan` (plan, then execute), :mod:`~.results`
and :mod:`~.stats` (tables and intervals), :mod:`~.sweep` and :mod:`~.ablation`.
"""

from .ablation import AblationResult, ablate, run_ablation
from .fit_one import RunResult, fit_and_evaluate, make_estimator
from .sweep import SweepResult, run_sweep, sweep

__all__ = ["RunResult", "fit_and_evaluate", "make_estimator", "sweep", "run_sweep",
           "SweepResult", "ablate", "run_ablation", "AblationResult"]
