"""Search spaces: --grid values read as TOML, ranges, and what is refused."""

from __future__ import annotations

import pytest

from fitwell.experiments.space import Range, SpaceError, parse_grid


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
