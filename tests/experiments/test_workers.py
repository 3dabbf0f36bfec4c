"""The worker pool: resume after kill -9, a dead worker's unit taken over, several workers
on one study (SQLite and a real PostgreSQL server), each unit done exactly once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from tiny_experiment import TINY, study_of, units_of

from fitwell.experiments import run_sweep
from fitwell.experiments.claims import ClaimTable, worker_identity
from fitwell.experiments.optuna_study import prepare_study
from fitwell.experiments.storage import sqlite_url
from fitwell.experiments.sweep import execute_sweep, plan_sweep
from fitwell.experiments.workers import WorkerOptions

#: tests/, where postgres_server.py lives
TESTS = str(Path(__file__).resolve().parents[1])


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
    complete = units_of(trials)
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
    study = study_of(sqlite_url(db))
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
    assert len(units_of(trials)) == 12, (outputs, [(t.number, t.state.name, t.user_attrs)
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
    if TESTS not in sys.path:
        sys.path.insert(0, TESTS)
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
