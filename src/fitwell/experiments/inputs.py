"""The inputs every experiment starts from: a validated recipe, a dataset, its split and
the seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import Dataset, classic_split, infer_task, load_dataset
from ..errors import ExperimentError
from ..recipe import Recipe, load_recipe, parse_override, validate_params
from .definition import data_fingerprint

__all__ = ["Inputs", "resolve_inputs", "resolve_seeds"]


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
    """``5`` → ``[0, 1, 2, 3, 4]``; a sequence of ints is kept (deduplicated).

    Raises
    ------
    ExperimentError
        For a count below 1, a negative or non-integer seed, or no seeds.
    """
    if isinstance(seeds, bool):
        raise ExperimentError(f"seeds must be a positive integer or a list of integers, "
                              f"got {seeds}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ExperimentError(f"--seeds must be at least 1, got {seeds}")
        return list(range(seeds))
    out = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ExperimentError(f"seeds must be non-negative integers, got {seed!r}")
        if seed not in out:
            out.append(seed)
    if not out:
        raise ExperimentError("seeds is empty; give a count (5) or a list of integers")
    return out


def _dataset(data, target, task) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, tuple) and len(data) == 2:
        X, y = np.asarray(data[0], dtype=np.float64), np.asarray(data[1])
        return Dataset(X, y, task or infer_task(y), "array",
                       [f"x{i}" for i in range(X.shape[1])])
    return load_dataset(data, target=target, task=task)


def _recipe(recipe, overrides, task) -> tuple[str, str, dict]:
    """``(name, description, params)`` of a recipe given in any accepted form."""
    if not isinstance(recipe, Recipe | dict):
        loaded = load_recipe(recipe, overrides=overrides, task=task)
        return loaded.name, loaded.description, dict(loaded.params)
    if isinstance(recipe, Recipe):
        name, description, source, params = (recipe.name, recipe.description, recipe.source,
                                             recipe.params)
    else:
        name, description, source, params = "recipe", "", "<params>", recipe
    params = validate_params(params, task=task, source=source)
    if overrides:
        applied = dict(parse_override(o) for o in overrides)
        params = validate_params({**params, **applied}, task=task, source="--set")
    return name, description, params


def resolve_inputs(recipe, data, overrides=(), target=None, task=None, test_size=0.2,
                   split_seed=42, scale=True, train_rows=None) -> Inputs:
    """Load and validate the recipe (a name, a path, a :class:`~fitwell.recipe.Recipe`
    or a dict of parameters) and the data (a name, a path, a
    :class:`~fitwell.data.Dataset` or an ``(X, y)`` pair), and split the data
    (:func:`~fitwell.data.classic_split`; ``train_rows`` keeps that many training rows).
    """
    dataset = _dataset(data, target, task)
    task = task or dataset.task
    name, description, params = _recipe(recipe, overrides, task)
    validation_fraction = params.get("validation_fraction", 0.1)
    split = classic_split(dataset, test_size=test_size, validation_fraction=validation_fraction,
                          random_state=split_seed, scale=scale, train_rows=train_rows)
    # train_rows joins the fingerprint only when given, so earlier studies still resume
    subsample = {} if train_rows is None else {"train_rows": train_rows}
    data_hash = data_fingerprint(dataset.X, dataset.y, test_size=test_size,
                                 validation_fraction=validation_fraction,
                                 split_seed=split_seed, scale=scale, **subsample)
    return Inputs(name, description, params, task, dataset.name, split, data_hash,
                  dataset.image_shape)
