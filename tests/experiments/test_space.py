"""Search spaces: --grid values read as TOML, ranges, and what is refused."""

from __future__ import annotations

import pytest

from fitwell.experiments.space import (
    Range,
    SpaceError,
    apply_overrides,
    parse_grid,
    validate_space,
)
from fitwell.recipe import load_recipe


def test_parse_grid_reads_toml_values_and_ranges():
    grid = parse_grid(["hidden_layer_sizes=[64],[128, 64]", "normalization=batch,none",
                       "alpha=1e-4:1e-1:log", "dropout=0,0.5"])
    assert grid["hidden_layer_sizes"] == [[64], [128, 64]]
    assert grid["normalization"] == ["batch", "none"]
    assert grid["alpha"] == Range(1e-4, 0.1, log=True)
    assert grid["dropout"] == [0, 0.5]
    for bad in ("dropout", "dropout=", "dropout=0,,1", "x=1:0", "alpha=0:1:log"):
        with pytest.raises(SpaceError):
            parse_grid([bad])


@pytest.fixture(scope="module")
def production():
    return load_recipe("production").params


def test_a_grid_value_is_checked_with_the_recipe_it_belongs_to(production):
    """The production recipe sets solver="adamw", so its weight decay can be swept;
    alone, weight_decay=0.1 would need solver="adamw"."""
    assert production["solver"] == "adamw"
    validate_space(production, parse_grid(["weight_decay=0.01,0.1"]))
    validate_space(production, parse_grid(["weight_decay=1e-3:1e-1:log", "dropout=0,0.2"]))
    params = apply_overrides(production, {"weight_decay": 0.1, "hidden_layer_sizes": [32]})
    assert params == {**production, "weight_decay": 0.1, "hidden_layer_sizes": (32,)}


@pytest.mark.parametrize(("recipe", "grid", "fragments"), [
    ("baseline", ["weight_decay=0.01,0.1"], ("--grid weight_decay=0.01", "adamw")),
    ("production", ["solver=adamw,adam"], ("--grid solver=adam", "weight_decay", "adamw")),
    ("production", ["solver=adam", "weight_decay=0,0.1"],
     ("--grid solver=adam, weight_decay=0.1", "adamw")),
    ("production", ["solver=adam", "weight_decay=0:0.1"], ("weight_decay=0.1", "adamw")),
    ("production", ["dropout=0,1.5"], ("--grid dropout=1.5", "dropout = 1.5")),
])
def test_a_grid_value_invalid_with_its_recipe_is_refused(recipe, grid, fragments):
    with pytest.raises(SpaceError) as error:
        validate_space(load_recipe(recipe).params, parse_grid(grid))
    for fragment in fragments:
        assert fragment in str(error.value)


def test_a_grid_value_valid_with_another_grid_value_is_accepted():
    """weight_decay needs adamw: a grid that always sets it passes over an Adam recipe."""
    validate_space(load_recipe("baseline").params,
                   parse_grid(["solver=adamw", "weight_decay=0.01,0.1"]))
