"""Sweeps: the table against the stored trials, resume after kill -9, several workers on
one study (SQLite and a real PostgreSQL server), the statistics and the claims."""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import optuna
import pytest
from scipy import stats as scipy_stats

from fitwell.data import Dataset, load_dataset
from fitwell.experiments import run_sweep, sweep
from fitwell.experiments.engine import WorkerOptions
from fitwell.experiments.space import Range, SpaceError, parse_grid
from fitwell.experiments.stats import paired_differences, summarize, verdict
from fitwell.experiments.storage import ClaimTable, open_storage, sqlite_url, worker_identity
from fitwell.recipe import validate_params

#: a small, fast network; each trial takes a few hundredths of a second
TINY = {"hidden_layer_sizes": [16], "max_iter": 8, "batch_size": 64, "tol": 0.0,
        "validation_fraction": 0.25, "learning_rate_init": 0.01, "random_state": 0}


@pytest.fixture(scope="module")
def small_digits():
    data = load_dataset("digits")
    rows = np.random.default_rng(0).choice(len(data.y), size=400, replace=False)
    return Dataset(data.X[rows], data.y[rows], "classification", "digits400",
                   data.feature_names, "target", (8, 8))


@pytest.fixture(scope="module")
def digits_npz(tmp_path_factory, small_digits):
    path = tmp_path_factory.mktemp("data") / "digits400.npz"
    np.savez(path, X=small_digits.X, y=small_digits.y)
    return str(path)


@pytest.fixture(scope="module")
def tiny_recipe(tmp_path_factory):
    from fitwell.recipe import dump_recipe

    path = tmp_path_factory.mktemp("recipes") / "tiny.toml"
    dump_recipe(TINY, str(path), name="tiny")
    return str(path)


def _study(url):
    summaries = optuna.study.get_all_study_summaries(url)
    assert len(summaries) == 1
    return optuna.load_study(study_name=summaries[0].study_name, storage=url)


def _units(trials, state="COMPLETE"):
    return Counter(t.user_attrs["fitwell_unit"] for t in trials if t.state.name == state)


# -- the small sweep ------------------------------------------------------------------------
def test_small_sweep_table_matches_the_stored_trials(tmp_path, small_digits):
    result = run_sweep(TINY, small_digits, {"dropout": [0.0, 0.3], "alpha": [0.0, 0.01]},
                       seeds=2, out=str(tmp_path))
    study = _study(sqlite_url(tmp_path / "study.db"))
    trials = study.get_trials()
    assert len(trials) == 8
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert set(_units(trials).values()) == {1}
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


# -- statistics -----------------------------------------------------------------------------
def test_summary_matches_numpy_and_scipy():
    values = [97.0, 98.5, 96.5, 97.8, 98.1]
    s = summarize(values)
    low, high = scipy_stats.t.interval(0.95, df=4, loc=np.mean(values),
                                       scale=scipy_stats.sem(values))
    assert (s.n, s.mean, s.std) == (5, pytest.approx(np.mean(values)),
                                    pytest.approx(np.std(values, ddof=1)))
    assert (s.ci_low, s.ci_high) == (pytest.approx(low), pytest.approx(high))
    one = summarize([3.0])
    assert one.mean == 3.0 and math.isnan(one.std) and math.isnan(one.ci_low)
    assert summarize([]).n == 0


def test_verdicts_read_the_interval():
    assert verdict(summarize([1.0, 1.2, 0.9, 1.1])) == "helps"
    assert verdict(summarize([-1.0, -1.2, -0.9, -1.1])) == "hurts"
    assert verdict(summarize([1.0, -1.0, 0.5, -0.4])) == "no measurable effect"
    assert verdict(summarize([5.0])) == "no measurable effect"
    assert paired_differences({0: 2.0, 1: 3.0, 2: 1.0}, {0: 1.0, 1: 1.0}) == [1.0, 2.0]


# -- claims ---------------------------------------------------------------------------------
def test_a_unit_is_claimed_once_and_a_dead_owner_is_taken_over(tmp_path):
    url = sqlite_url(tmp_path / "claims.db")
    open_storage(url)
    table = ClaimTable(url, study_id=1)
    alive, other = worker_identity(), worker_identity()
    host, boot, _, _ = alive.split("|")
    parent = f"{host}|{boot}|{os.getppid()}|0123abcd"  # a live process of this machine
    assert table.insert("c0/seed=0", parent)
    assert not table.insert("c0/seed=0", other)
    claim = table.snapshot()["c0/seed=0"]
    assert not table.is_stale(claim, grace_period=60)
    # a worker of this machine whose process is gone: stale at once
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ghost = f"{host}|{boot}|{dead}|feedbeef"
    assert table.insert("c1/seed=0", ghost)
    ghost_claim = table.snapshot()["c1/seed=0"]
    assert table.is_stale(ghost_claim, grace_period=3600)
    # another machine: stale only after the grace period without a heartbeat
    remote = "elsewhere|boot|123|cafe"
    assert table.insert("c2/seed=0", remote)
    remote_claim = table.snapshot()["c2/seed=0"]
    assert not table.is_stale(remote_claim, grace_period=60)
    assert table.is_stale(remote_claim, grace_period=60, now=time.time() + 61)
    # taking over is a compare-and-swap: only the first of two takers wins
    assert table.take_over(ghost_claim, alive)
    assert not table.take_over(ghost_claim, other)
    assert table.finish("c1/seed=0", alive, trial_number=3)
    assert not table.finish("c1/seed=0", other)
    assert table.snapshot()["c1/seed=0"].state == "done"
    table.close()


# -- resume after kill -9, several workers, several "machines" --------------------------------
def _sweep_command(recipe, data, out, *extra):
    return [sys.executable, "-m", "fitwell", "sweep", recipe, "--data", data, "--out", out,
            "--grid", "dropout=0,0.2,0.4", "--grid", "alpha=0,0.01", "--seeds", "2",
            "--set", "max_iter=25", "--set", "hidden_layer_sizes=[32]", "--no-report",
            "-q", *extra]


def _complete_trials(db):
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute(
                "SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _assert_each_unit_done_once(trials, n_units):
    complete = _units(trials)
    assert len(complete) == n_units, f"units done: {len(complete)} of {n_units}"
    assert set(complete.values()) == {1}, f"duplicates: {complete}"
    assert not [t for t in trials if t.state.name == "RUNNING"]
    for t in trials:
        if t.state.name == "FAIL":
            assert t.user_attrs["fitwell_status"] == "interrupted"


def test_a_sweep_killed_mid_way_resumes_and_runs_every_unit_once(tmp_path, tiny_recipe,
                                                                  digits_npz):
    out = str(tmp_path / "out")
    command = _sweep_command(tiny_recipe, digits_npz, out)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = os.path.join(out, "study.db")
    try:
        assert _wait_for(lambda: _complete_trials(db) >= 3), "the sweep did not start"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = _complete_trials(db)
    assert killed_at < 12, "the sweep finished before it could be killed"
    with sqlite3.connect(db) as connection:
        cut_off = connection.execute(
            "SELECT count(*) FROM trials WHERE state = 'RUNNING'").fetchone()[0]
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    study = _study(sqlite_url(db))
    _assert_each_unit_done_once(study.get_trials(), 12)
    # the trials finished before the kill were kept, not repeated; the one cut off (if
    # the kill landed inside a trial, as it nearly always does) was marked and rerun
    assert _complete_trials(db) == 12
    interrupted = [t for t in study.get_trials() if t.state.name == "FAIL"]
    assert len(interrupted) == cut_off


@pytest.mark.parametrize("left_behind", ["RUNNING", "COMPLETE"])
def test_a_dead_workers_unit_is_taken_over(tmp_path, small_digits, left_behind):
    """A worker killed mid-trial leaves a claim and a RUNNING trial: the trial is marked
    interrupted and the unit run again. One killed after recording its result but before
    marking the claim done left a COMPLETE trial: it is adopted, not run again."""
    import datetime

    from optuna.distributions import CategoricalDistribution
    from optuna.trial import FrozenTrial, TrialState

    from fitwell.experiments.engine import prepare_study
    from fitwell.experiments.sweep import execute_sweep, plan_sweep

    plan = plan_sweep(TINY, small_digits, ["dropout=0,0.2"], seeds=1, out=str(tmp_path))
    storage, _ = prepare_study(plan.experiment, plan.storage_url, plan.study_name)
    study_id = storage.get_study_id_from_name(plan.study_name)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host, boot, _, _ = worker_identity().split("|")
    ghost = f"{host}|{boot}|{dead}|deadbeef"
    attrs = {"fitwell_unit": "c0/seed=0", "fitwell_config": "c0", "fitwell_seed": 0,
             "fitwell_label": "dropout=0", "fitwell_overrides": {"dropout": 0},
             "fitwell_owner": ghost, "fitwell_status": "running"}
    complete = left_behind == "COMPLETE"
    if complete:
        attrs.update(fitwell_status="complete", fitwell_train=0.5, fitwell_val=0.5,
                     fitwell_test=0.5, fitwell_gap=0.0)
    trial_id = storage.create_new_trial(study_id, template_trial=FrozenTrial(
        number=-1, state=TrialState[left_behind], value=0.5 if complete else None,
        datetime_start=datetime.datetime.now(),
        datetime_complete=datetime.datetime.now() if complete else None,
        params={"dropout": 0}, distributions={"dropout": CategoricalDistribution([0, 0.2])},
        user_attrs=attrs, system_attrs={}, intermediate_values={}, trial_id=-1))
    claims = ClaimTable(plan.storage_url, study_id)
    assert claims.insert("c0/seed=0", ghost)
    assert claims.set_trial("c0/seed=0", ghost, storage.get_trial_number_from_id(trial_id))
    claims.close()
    result = execute_sweep(plan, options=WorkerOptions(poll_interval=0.05))
    _assert_each_unit_done_once(result.trials, 2)
    assert result.n_interrupted == (0 if complete else 1)
    assert len(result.trials) == (2 if complete else 3)


def test_two_worker_processes_share_one_study_without_duplicates(tmp_path, small_digits):
    result = run_sweep(TINY, small_digits, ["dropout=0,0.1,0.2", "alpha=0,0.01"], seeds=2,
                       jobs=2, out=str(tmp_path), options=WorkerOptions(poll_interval=0.1))
    _assert_each_unit_done_once(result.trials, 12)
    assert result.n_complete == 12


def _run_two_machines(url, tiny_recipe, digits_npz, tmp_path, kill_one=False):
    """Two independent commands on one study, as two machines would run them."""
    out = str(tmp_path / "out")
    # trials long enough (~0.2 s) that both commands are up before the work runs out
    command = _sweep_command(tiny_recipe, digits_npz, out, "--storage", url, "--study", "shared",
                             "--set", "max_iter=60")
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    second = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_one:
        storage = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                storage = storage or optuna.storages.RDBStorage(
                    url.replace("postgresql://", "postgresql+psycopg://"))
                study = optuna.load_study(study_name="shared", storage=storage)
                done_by = {t.user_attrs["fitwell_owner"].split("|")[2]
                           for t in study.get_trials() if t.state.name == "COMPLETE"}
                if str(first.pid) in done_by:
                    break
            except KeyError:
                pass
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
    outputs = [p.communicate(timeout=180) for p in (first, second)]
    assert second.returncode == 0, outputs[1][1]
    if not kill_one:
        assert first.returncode == 0, outputs[0][1]
    storage = optuna.storages.RDBStorage(url.replace("postgresql://", "postgresql+psycopg://"))
    study = optuna.load_study(study_name="shared", storage=storage)
    trials = study.get_trials()
    assert len(_units(trials)) == 12, (outputs, [(t.number, t.state.name, t.user_attrs)
                                                 for t in trials])
    _assert_each_unit_done_once(trials, 12)
    return trials


def test_two_independent_commands_share_an_sqlite_study(tmp_path, tiny_recipe, digits_npz):
    url = sqlite_url(tmp_path / "shared.db")
    trials = _run_two_machines(url, tiny_recipe, digits_npz, tmp_path)
    owners = {t.user_attrs["fitwell_owner"].split("|")[2] for t in trials}
    assert len(owners) == 2  # both commands did work


@pytest.fixture(scope="module")
def postgres():
    from postgres_server import Unavailable, start_server

    try:
        server = start_server()
    except Unavailable as exc:
        pytest.skip(f"no PostgreSQL server for the many-machines test: {exc}")
    yield server
    server.stop()


def test_many_machines_on_a_real_postgresql_server(postgres, tmp_path, tiny_recipe,
                                                   digits_npz):
    # one "machine" is killed mid-way: the other finishes the study, runs the killed
    # worker's cut-off trial again, and keeps the trials it had finished
    trials = _run_two_machines(postgres.url, tiny_recipe, digits_npz, tmp_path, kill_one=True)
    owners = {t.user_attrs["fitwell_owner"].split("|")[2] for t in trials
              if t.state.name == "COMPLETE"}
    assert len(owners) == 2
