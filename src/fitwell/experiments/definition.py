"""What an experiment is: a recipe's parameters, its configurations and its seeds, and
the fingerprint that tells whether two runs are the same experiment.

A *unit* is one (configuration, seed) pair; every unit ends as exactly one finished
trial of the study (see :mod:`fitwell.experiments.workers`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

from .space import Range

__all__ = ["Configuration", "Experiment", "unit_name", "data_fingerprint"]


@dataclass(frozen=True)
class Configuration:
    """One configuration: an id, a label and the recipe keys it changes (raw TOML values)."""

    id: str
    label: str
    overrides: dict


@dataclass
class Experiment:
    """What to run: a recipe's parameters, the configurations and the seeds.

    Either ``configurations`` (a grid, an ablation) or ``space`` with ``n_trials``
    (a TPE search whose configurations are proposed while it runs).
    """

    kind: str
    recipe_name: str
    base_params: dict
    seeds: list
    task: str
    split: object
    data_name: str
    data_hash: str
    configurations: list = field(default_factory=list)
    space: dict | None = None
    n_trials: int | None = None
    image_shape: tuple | None = None

    @property
    def config_ids(self) -> list[str]:
        if self.space is not None:
            return [f"t{k}" for k in range(self.n_trials)]
        return [c.id for c in self.configurations]

    def configuration(self, config_id) -> Configuration:
        """The fixed configuration named ``config_id`` (grids and ablations)."""
        return next(c for c in self.configurations if c.id == config_id)

    def units(self) -> list[tuple[str, int]]:
        """Every (configuration id, seed), configuration-major."""
        return [(c, s) for c in self.config_ids for s in self.seeds]

    def definition(self) -> dict:
        """Everything that makes two runs the same experiment, JSON-ready."""
        space = None if self.space is None else {
            k: v.to_json() if isinstance(v, Range) else v for k, v in self.space.items()}
        return {
            "kind": self.kind, "recipe": self.recipe_name,
            "params": json.loads(json.dumps(self.base_params, sort_keys=True, default=str)),
            "configurations": [[c.id, c.overrides] for c in self.configurations],
            "space": space, "n_trials": self.n_trials, "seeds": list(self.seeds),
            "task": self.task, "data": self.data_name, "data_hash": self.data_hash,
        }

    def fingerprint(self) -> str:
        """The first 10 hex digits of the SHA-256 of :meth:`definition`."""
        text = json.dumps(self.definition(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def unit_name(config_id, seed) -> str:
    """``"c3/seed=1"``: the name of a unit in the claims table and the trials."""
    return f"{config_id}/seed={seed}"


def data_fingerprint(X, y, **split_options) -> str:
    """A hash of the raw data and how it is split (not of scaled floats, which may differ
    in the last bit between machines)."""
    digest = hashlib.sha256()
    for array in (np.ascontiguousarray(X), np.ascontiguousarray(np.asarray(y))):
        digest.update(str((array.dtype.str, array.shape)).encode())
        if array.dtype.kind == "O":
            digest.update(json.dumps(array.tolist(), default=str).encode())
        else:
            digest.update(array.tobytes())
    digest.update(json.dumps(split_options, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]
