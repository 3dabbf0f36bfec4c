"""The inputs every experiment starts from: a validated recipe, a dataset, its split,
the seeds and where the study is stored."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .storage import sqlite_url

__all__ = ["Inputs", "resolve_inputs", "resolve_seeds", "default_out", "storage_url_for"]


@dataclass
class Inputs:
    """A recipe resolved against a dataset, and the split every trial uses."""

    recipe_name: str
    description: str
    params: dict
    task: str
    data_name: str
    split: object
    data_hash: str
    image_shape: tuple | None


def resolve_seeds(seeds) -> list[int]:
    """``5`` → ``[0, 1, 2, 3, 4]``; a sequence of ints is kept (deduplicated)."""
    if isinstance(seeds, bool):
        raise ValueError(f"seeds must be a positive integer or a list of integers, got {seeds}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"--seeds must be at least 1, got {seeds}")
        return list(range(seeds))
    out = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seeds must be non-negative integers, got {seed!r}")
        if seed not in out:
            out.append(seed)
    if not out:
        raise ValueError("seeds is empty")
    return out


def resolve_inputs(recipe, data, overrides=(), target=None, task=None, test_size=0.2,
                   split_seed=42, scale=True) -> Inputs:
    """Load and validate the recipe (a name, a path, a :class:`~fitwell.recipe.Recipe`
    or a dict of parameters) and the data (a name, a path, a
    :class:`~fitwell.data.Dataset` or an ``(X, y)`` pair), and split the data.
    """
    import numpy as np

    from ..data import Dataset, classic_split, load_dataset
    from ..recipe import Recipe, load_recipe, parse_override, validate_params
    from .engine import data_fingerprint

    if isinstance(data, Dataset):
        dataset = data
    elif isinstance(data, tuple) and len(data) == 2:
        X, y = np.asarray(data[0], dtype=np.float64), np.asarray(data[1])
        from ..data import _infer_task

        dataset = Dataset(X, y, task or _infer_task(y), "array",
                          [f"x{i}" for i in range(X.shape[1])])
    else:
        dataset = load_dataset(data, target=target, task=task)
    task = task or dataset.task
    if isinstance(recipe, Recipe):
        name, description = recipe.name, recipe.description
        params = validate_params(recipe.params, task=task, source=recipe.source)
        if overrides:
            applied = dict(parse_override(o) for o in overrides)
            params = validate_params({**params, **applied}, task=task, source="--set")
    elif isinstance(recipe, dict):
        name, description = "recipe", ""
        params = validate_params(recipe, task=task, source="<params>")
        if overrides:
            applied = dict(parse_override(o) for o in overrides)
            params = validate_params({**params, **applied}, task=task, source="--set")
    else:
        loaded = load_recipe(recipe, overrides=overrides, task=task)
        name, description, params = loaded.name, loaded.description, dict(loaded.params)
    split = classic_split(dataset, test_size=test_size,
                         validation_fraction=params.get("validation_fraction", 0.1),
                         random_state=split_seed, scale=scale)
    data_hash = data_fingerprint(dataset.X, dataset.y, test_size=test_size,
                                 validation_fraction=params.get("validation_fraction", 0.1),
                                 split_seed=split_seed, scale=scale)
    return Inputs(name, description, params, task, dataset.name, split, data_hash,
                  dataset.image_shape)


def default_out(kind, recipe_name) -> str:
    return os.path.join("fitwell-output", f"{kind}-{recipe_name}")


def storage_url_for(storage, out) -> str:
    """The storage URL: the one given, or an SQLite file ``study.db`` in ``out``."""
    if storage:
        return storage
    os.makedirs(out, exist_ok=True)
    return sqlite_url(os.path.join(out, "study.db"))
