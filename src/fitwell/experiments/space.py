"""Search spaces: ``--grid KEY=V1,V2,...`` (or ``KEY=LOW:HIGH[:log]`` for a search),
checked against the estimator before anything trains.

Values are read as TOML, like ``--set`` (``dropout=0,0.1,0.3``,
``hidden_layer_sizes=[64],[128,64]``, ``normalization=batch,none``), and kept in
that raw form: it is JSON-ready, goes into the study as is, and is normalised —
together with the recipe it belongs to — by :func:`apply_overrides` when a trial runs.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from ..recipe import RecipeError, parse_override, validate_params

__all__ = ["Range", "SpaceError", "parse_grid", "grid_configurations", "validate_space",
           "apply_overrides", "config_label"]

#: keys a sweep sets itself, so a grid may not
_RESERVED = {"random_state": "seeds are chosen with --seeds, not a grid over random_state",
             "callbacks": "callbacks are Python objects and cannot be swept"}


class SpaceError(RecipeError):
    """A grid or range that cannot be swept: unknown key, bad value, empty list, ..."""


@dataclass(frozen=True)
class Range:
    """A continuous (or integer) interval for a TPE search: ``LOW:HIGH[:log]``."""

    low: float
    high: float
    log: bool = False

    @property
    def is_int(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)

    def to_json(self):
        return {"low": self.low, "high": self.high, "log": self.log}


def _split_values(text):
    """Split on commas outside brackets and quotes: ``[64],[128,64]`` → two values."""
    parts, depth, quote, current = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _parse_range(key, text):
    pieces = text.split(":")
    if len(pieces) not in (2, 3) or (len(pieces) == 3 and pieces[2] != "log"):
        raise SpaceError(f"--grid {key}={text}: a range is LOW:HIGH or LOW:HIGH:log")
    bounds = []
    for piece in pieces[:2]:
        _, value = parse_override(f"{key}={piece}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpaceError(f"--grid {key}={text}: range bounds must be numbers, got {piece!r}")
        bounds.append(value)
    low, high = bounds
    if not low < high:
        raise SpaceError(f"--grid {key}={text}: LOW must be below HIGH")
    log = len(pieces) == 3
    if log and low <= 0:
        raise SpaceError(f"--grid {key}={text}: a log range needs LOW > 0")
    return Range(low, high, log)


def parse_grid(texts) -> dict:
    """``["dropout=0,0.1", "alpha=1e-4:1e-1:log"]`` → ``{"dropout": [0, 0.1],
    "alpha": Range(1e-4, 0.1, log=True)}``, in the order given.

    Raises
    ------
    SpaceError
        For a malformed entry, a repeated key, an empty or repeated value.
    """
    grid = {}
    for text in texts or ():
        if "=" not in text:
            raise SpaceError(f"--grid {text!r}: expected KEY=V1,V2,... e.g. "
                             "--grid dropout=0,0.1,0.3")
        key, raw = (part.strip() for part in text.split("=", 1))
        if not key:
            raise SpaceError(f"--grid {text!r}: the key is empty")
        if key in grid:
            raise SpaceError(f"--grid {key}: given twice; list all its values in one --grid")
        if key in _RESERVED:
            raise SpaceError(f"--grid {key}: {_RESERVED[key]}")
        if ":" in raw and not raw.lstrip().startswith(("[", "{", "\"", "'")):
            grid[key] = _parse_range(key, raw)
            continue
        values = []
        for piece in _split_values(raw):
            if not piece:
                raise SpaceError(f"--grid {text!r}: empty value; separate values with commas")
            values.append(parse_override(f"{key}={piece}")[1])
        canonical = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(canonical)) != len(canonical):
            raise SpaceError(f"--grid {key}: a value is listed twice")
        grid[key] = values
    return grid


def grid_configurations(grid) -> list[dict]:
    """Every combination of a grid of value lists, first key slowest."""
    if any(isinstance(v, Range) for v in grid.values()):
        bad = next(k for k, v in grid.items() if isinstance(v, Range))
        raise SpaceError(f"--grid {bad}: a LOW:HIGH range needs --search tpe; a grid search "
                         "needs a list of values")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(grid[k] for k in keys))]


def apply_overrides(base_params, overrides, task="classification", source="--grid") -> dict:
    """``base_params`` with ``overrides`` (raw values) applied, the overrides normalised
    and checked together with the recipe they belong to — a grid value may need the
    recipe's other settings (``weight_decay`` needs the recipe's ``solver="adamw"``).

    Raises
    ------
    SpaceError
        Naming the parameter and the value (``source`` says where they came from).
    """
    try:
        merged = validate_params({**base_params, **overrides}, task=task, source=source)
    except RecipeError as exc:
        raise SpaceError(str(exc)) from None
    return {**base_params, **{k: merged[k] for k in overrides if k in merged}}


def validate_space(base_params, grid, task="classification"):
    """Check every value of ``grid`` with the recipe it belongs to, before any trial:
    every combination of a grid of lists; for a search, every combination of the lists
    with each range's low and high ends.

    Raises
    ------
    SpaceError
        Naming the parameter and the value.
    """
    ends = {k: [v.low, v.high] if isinstance(v, Range) else v for k, v in grid.items()}
    for config in grid_configurations(ends):
        apply_overrides(base_params, config, task, source=f"--grid {config_label(config)}")


def _short(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_short(v) for v in value) + "]"
    return str(value)


def config_label(config) -> str:
    """``{"dropout": 0.1, "alpha": 0.001}`` → ``"dropout=0.1, alpha=0.001"``."""
    return ", ".join(f"{k}={_short(v)}" for k, v in config.items()) or "recipe"
