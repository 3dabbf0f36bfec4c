"""Sweeps: the table against the stored trials, a failing trial, a TPE search, bad grids
refused before anything runs."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats as scipy_stats
from tiny_experiment import TINY, study_of, units_of

from fitwell.experiments import run_sweep, sweep
from fitwell.experiments.space import SpaceError
from fitwell.experiments.storage import sqlite_url
from fitwell.recipe import validate_params


# -- the small sweep ------------------------------------------------------------------------
def test_small_sweep_table_matches_the_stored_trials(tmp_path, small_digits):
    result = run_sweep(TINY, small_digits, {"dropout": [0.0, 0.3], "alpha": [0.0, 0.01]},
                       seeds=2, out=str(tmp_path))
    study = study_of(sqlite_url(tmp_path / "study.db"))
    trials = study.get_trials()
    assert len(trials) == 8
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert set(units_of(trials).values()) == {1}
    # Direct computation from the stored trials, grouped by their Optuna params.
    groups = {}
    for t in trials:
        key = (t.params["dropout"], t.params["alpha"])
        groups.setdefault(key, []).append(t)
    assert len(groups) == 4 and all(len(g) == 2 for g in groups.values())
    assert sorted(t.user_attrs["fitwell_seed"] for g in groups.values() for t in g) == \
        [0, 0, 0, 0, 1, 1, 1, 1]
    rows = {(r["overrides"]["dropout"], r["overrides"]["alpha"]): r for r in result.rows}
    for key, group in groups.items():
        val = np.array([100 * t.value for t in group])
        test = np.array([100 * t.user_attrs["fitwell_test"] for t in group])
        gap = np.array([100 * (t.user_attrs["fitwell_train"] - t.user_attrs["fitwell_test"])
                        for t in group])
        row = rows[key]
        assert row["seeds"] == 2 and row["failed"] == 0
        for name, values in (("val", val), ("test", test), ("gap", gap)):
            assert row[f"{name}_mean"] == pytest.approx(values.mean())
            assert row[f"{name}_std"] == pytest.approx(values.std(ddof=1))
            half = scipy_stats.t.ppf(0.975, 1) * values.std(ddof=1) / math.sqrt(2)
            assert row[f"{name}_ci_low"] == pytest.approx(values.mean() - half)
            high = values.mean() + half
            if name != "gap":  # a score interval is cut at 100 points
                high = min(high, 100.0)
            assert row[f"{name}_ci_high"] == pytest.approx(high)
    means = [r["val_mean"] for r in result.rows]
    assert means == sorted(means, reverse=True)  # sorted by validation
    assert result.best["config"] == result.rows[0]["config"]
    best = result.best_params()
    assert best["dropout"] == result.best["overrides"]["dropout"]
    assert validate_params(best) == best


def test_the_table_is_tidy_and_a_rerun_repeats_nothing(tmp_path, small_digits):
    grid = ["dropout=0,0.2", "hidden_layer_sizes=[8],[16]"]
    first = sweep(TINY, small_digits, grid, seeds=2, out=str(tmp_path))
    again = run_sweep(TINY, small_digits, grid, seeds=2, out=str(tmp_path))
    assert len(again.trials) == 8  # nothing ran twice
    records = first.to_dict("records") if hasattr(first, "to_dict") else first
    assert len(records) == 4
    assert {"rank", "label", "dropout", "hidden_layer_sizes", "val_mean", "val_std",
            "val_ci_low", "test_mean", "gap_mean"} <= set(records[0])


def test_a_trial_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path, small_digits):
    # image_shape (3, 3) passes validation but cannot hold 64 features: the fit raises
    result = run_sweep(TINY, small_digits, {"image_shape": [[8, 8], [3, 3]]}, seeds=2,
                       out=str(tmp_path))
    assert result.n_failed == 2 and result.n_complete == 2
    failed = [r for r in result.records if r["status"] == "error"]
    assert len(failed) == 2 and "image_shape" in failed[0]["error"]
    assert result.best["overrides"]["image_shape"] == [8, 8]
    states = Counter(t.state.name for t in result.trials)
    assert states == {"COMPLETE": 2, "FAIL": 2}


def test_a_tpe_search_proposes_configurations_and_runs_each_with_every_seed(tmp_path,
                                                                             small_digits):
    result = run_sweep(TINY, small_digits, ["dropout=0:0.5", "alpha=1e-4:1e-1:log",
                                            "activation=relu,tanh"],
                       seeds=2, search="tpe", trials=4, out=str(tmp_path))
    assert len(result.rows) == 4 and result.n_complete == 8
    for row in result.rows:
        trials = [t for t in result.trials if t.user_attrs["fitwell_config"] == row["config"]]
        assert len({(t.params["dropout"], t.params["alpha"]) for t in trials}) == 1
        assert 0 <= row["overrides"]["dropout"] <= 0.5
        assert 1e-4 <= row["overrides"]["alpha"] <= 0.1


def test_bad_grids_are_refused_before_anything_runs(tmp_path, small_digits):
    with pytest.raises(SpaceError, match="drpout"):
        run_sweep(TINY, small_digits, ["drpout=0,0.1"], seeds=1, out=str(tmp_path))
    with pytest.raises(SpaceError, match="dropout = 1.5"):
        run_sweep(TINY, small_digits, ["dropout=0,1.5"], seeds=1, out=str(tmp_path))
    with pytest.raises(SpaceError, match="needs --search tpe"):
        run_sweep(TINY, small_digits, ["dropout=0:0.5"], seeds=1, out=str(tmp_path))
    assert not (tmp_path / "study.db").exists()


def test_a_sweep_over_the_production_recipes_weight_decay_runs(tmp_path, small_digits):
    """weight_decay is valid with the production recipe's solver="adamw": the trials run
    and the best recipe keeps both."""
    result = run_sweep("production", small_digits, ["weight_decay=0.01,0.1"], seeds=1,
                       overrides=["max_iter=3", "hidden_layer_sizes=[8]"], out=str(tmp_path))
    assert result.n_complete == 2
    assert sorted(row["overrides"]["weight_decay"] for row in result.rows) == [0.01, 0.1]
    best = result.best_params()
    assert best["solver"] == "adamw" and best["weight_decay"] in (0.01, 0.1)
