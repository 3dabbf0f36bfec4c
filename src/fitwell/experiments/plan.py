"""The shape every experiment command shares: plan (resolve and check everything, run
nothing), then execute (run or resume the study and return its trials)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .definition import Experiment
from .storage import safe_url, sqlite_url
from .workers import WorkerOptions, run_experiment

__all__ = ["Plan", "plan_experiment", "execute_plan", "default_out", "storage_url_for"]


@dataclass
class Plan:
    """A checked experiment and where it runs: what
    :func:`~fitwell.experiments.sweep.plan_sweep` and
    :func:`~fitwell.experiments.ablation.plan_ablation` return."""

    inputs: object
    experiment: Experiment
    out: str
    storage_url: str
    study_name: str

    @property
    def storage_label(self) -> str:
        """The storage URL with any password masked, for messages."""
        return safe_url(self.storage_url)


def default_out(kind, recipe_name) -> str:
    """``fitwell-output/KIND-RECIPE``."""
    return os.path.join("fitwell-output", f"{kind}-{recipe_name}")


def storage_url_for(storage, out) -> str:
    """The storage URL: the one given, or an SQLite file ``study.db`` in ``out``."""
    if storage:
        return storage
    os.makedirs(out, exist_ok=True)
    return sqlite_url(os.path.join(out, "study.db"))


def plan_experiment(kind, inputs, experiment, *, out=None, storage=None, study=None) -> Plan:
    """Where ``experiment`` runs: ``out`` (default ``fitwell-output/KIND-RECIPE``), the
    storage (default ``study.db`` in ``out``), and the study name (default
    ``KIND-RECIPE-DATA-FINGERPRINT``, so the same command resumes the same study)."""
    out = out or default_out(kind, inputs.recipe_name)
    study_name = study or f"{kind}-{inputs.recipe_name}-{inputs.data_name}-" \
                          f"{experiment.fingerprint()}"
    return Plan(inputs, experiment, out, storage_url_for(storage, out), study_name)


def execute_plan(plan, jobs=1, options=None, on_progress=None) -> list:
    """Run (or resume) a planned experiment; return the study's trials."""
    return run_experiment(plan.experiment, plan.storage_url, plan.study_name, jobs=jobs,
                          options=options or WorkerOptions(), on_progress=on_progress)
