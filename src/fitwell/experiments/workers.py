"""The worker pool: workers that claim units, fit them and record them in one study — in
this process, in local worker processes, on many machines.

Guarantees (tested in ``tests/experiments/test_workers.py``):

* every unit (configuration, seed) ends with exactly one finished trial — complete,
  or failed with the error it raised — however many workers run and however
  often the command is killed and started again;
* a unit whose worker was cut off (Ctrl-C, ``kill -9``, a lost machine) is run again:
  at once when the worker was on this machine, after ``grace_period`` seconds
  without a heartbeat otherwise; its unfinished trial is marked failed with
  ``fitwell_status = "interrupted"``, and it is not counted as a failure.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass

from ..errors import ExperimentError
from .claims import ClaimTable, live_owner, worker_identity
from .definition import unit_name
from .fit_one import fit_unit
from .optuna_study import (
    FINISHED,
    RUNNING,
    StudySession,
    grid_distributions,
    prepare_study,
    space_distributions,
    stored_value,
)
from .space import Range, config_label

__all__ = ["WorkerOptions", "Worker", "run_experiment", "worker_process_main"]

#: the module a worker process runs (``python -m ...``)
WORKER_MODULE = "fitwell.experiments.worker_process"


@dataclass
class WorkerOptions:
    """How a worker paces itself (seconds)."""

    heartbeat_interval: float = 5.0
    grace_period: float = 60.0
    poll_interval: float = 0.5
    limit_threads: bool = False
    parent_pid: int | None = None


def _unit_attrs(name, config_id, seed, label, overrides, owner):
    return {"fitwell_unit": name, "fitwell_config": config_id, "fitwell_seed": int(seed),
            "fitwell_label": label, "fitwell_overrides": overrides, "fitwell_owner": owner,
            "fitwell_status": "running"}


class Worker:
    """Claims units one at a time, runs them and records them, until all are done."""

    def __init__(self, experiment, url, study_name, options, on_unit=None):
        self.experiment, self.url, self.study_name = experiment, url, study_name
        self.options, self.on_unit = options, on_unit
        self.owner = worker_identity()
        self.current = None
        self.lost = False
        self._stop = threading.Event()
        self.ran = 0

    # -- setup ---------------------------------------------------------------------------------
    def _open(self):
        tpe = None
        if self.experiment.space is not None:
            tpe = (self.experiment.n_trials, len(self.experiment.seeds))
        self.session = StudySession(self.url, self.study_name, tpe=tpe)
        self.claims = ClaimTable(self.url, self.session.study_id)

    def _beat(self):
        while not self._stop.wait(self.options.heartbeat_interval):
            if self.options.parent_pid is not None and os.getppid() != self.options.parent_pid:
                os._exit(1)  # the command that started this worker is gone: so are we
            unit = self.current
            if unit is not None:
                try:
                    if not self.claims.beat(unit, self.owner):
                        self.lost = True
                except Exception:  # noqa: BLE001 - a missed beat is retried next time
                    pass

    # -- the loop -------------------------------------------------------------------------------
    def run(self):
        """Work until every unit is done; return how many units this worker finished."""
        self._open()
        beater = threading.Thread(target=self._beat, daemon=True, name="fitwell-heartbeat")
        beater.start()
        limits = contextlib.nullcontext()
        if self.options.limit_threads:
            from threadpoolctl import threadpool_limits

            limits = threadpool_limits(1)
        try:
            with live_owner(self.owner), limits:
                self._loop()
        finally:
            self._stop.set()
            self.claims.close()
            with contextlib.suppress(Exception):
                self.session.dispose()
        return self.ran

    def _loop(self):
        units = self.experiment.units()
        first_seed = self.experiment.seeds[0]
        while True:
            claims = self.claims.snapshot()
            if all(claims.get(unit_name(c, s)) is not None
                   and claims[unit_name(c, s)].state == "done" for c, s in units):
                return
            picked = None
            for config_id, seed in units:
                name = unit_name(config_id, seed)
                claim = claims.get(name)
                if claim is not None and claim.state == "done":
                    continue
                proposal = None
                if self.experiment.space is not None and seed != first_seed:
                    head = claims.get(unit_name(config_id, first_seed))
                    if head is None or head.params is None:
                        continue  # the configuration has not been proposed yet
                    proposal = head.params
                if claim is None:
                    if self.claims.insert(name, self.owner):
                        picked = (config_id, seed, None, proposal)
                        break
                elif self.claims.is_stale(claim, self.options.grace_period):
                    if self.claims.take_over(claim, self.owner):
                        picked = (config_id, seed, claim, proposal)
                        break
            if picked is None:
                time.sleep(self.options.poll_interval)
                continue
            self._run_unit(*picked)

    # -- one unit -------------------------------------------------------------------------------
    def _recover(self, name):
        """After taking over: adopt a result the last owner recorded but could not mark
        done; mark its unfinished trials interrupted. True when the unit is done."""
        for trial in self.session.trials_of(name):
            status = trial.user_attrs.get("fitwell_status")
            if trial.state.name == FINISHED[0] or (trial.state.name == FINISHED[1]
                                                   and status == "error"):
                self.claims.finish(name, self.owner, trial.number)
                return True
        for trial in self.session.trials_of(name):
            if trial.state.name == RUNNING:
                self.session.close(trial.number, "interrupted",
                                   {"fitwell_error": "its worker stopped; the unit was run again"})
        return False

    def _resolve(self, config_id, proposal):
        """The configuration's label, raw overrides, Optuna params and distributions."""
        if self.experiment.space is None:
            config = self.experiment.configuration(config_id)
            distributions = grid_distributions(self.experiment.configurations,
                                               config.overrides)
            params = {k: stored_value(v) for k, v in config.overrides.items()}
            return config.label, config.overrides, params, distributions
        distributions = space_distributions(self.experiment.space)
        if proposal is None:
            return None, None, None, distributions
        overrides = json.loads(proposal)
        params = {k: stored_value(v) for k, v in overrides.items()}
        return config_label(overrides), overrides, params, distributions

    def _propose(self, name, config_id, seed, distributions):
        """Ask the TPE sampler for a new configuration: the asked trial is seed 0's."""
        number, suggested = self.session.ask(distributions)
        overrides = {}
        for key, values in self.experiment.space.items():
            value = suggested[key]
            if not isinstance(values, Range):
                value = values[distributions[key].choices.index(value)]
            overrides[key] = value
        label = config_label(overrides)
        self.session.set_attrs(number, _unit_attrs(name, config_id, seed, label, overrides,
                                                   self.owner))
        self.claims.set_trial(name, self.owner, number, params=json.dumps(overrides))
        return number, label, overrides

    def _run_unit(self, config_id, seed, previous, proposal):
        name = unit_name(config_id, seed)
        self.current, self.lost = name, False
        try:
            if previous is not None:
                if self._recover(name):
                    return
                if proposal is None and previous.params is not None:
                    proposal = previous.params
            label, overrides, params, distributions = self._resolve(config_id, proposal)
            if overrides is None:
                number, label, overrides = self._propose(name, config_id, seed, distributions)
            else:
                number = self.session.new_trial(
                    _unit_attrs(name, config_id, seed, label, overrides, self.owner),
                    params, distributions)
                self.claims.set_trial(name, self.owner, number)
            self._execute(name, number, seed, overrides)
        finally:
            self.current = None

    def _execute(self, name, number, seed, overrides):
        try:
            result = fit_unit(self.experiment, overrides, seed, name)
            if not math.isfinite(result["fitwell_val"]):
                raise FloatingPointError("the validation score is not finite (the training "
                                         "diverged)")
        except (KeyboardInterrupt, SystemExit):
            self.session.close(number, "interrupted", {"fitwell_error": "interrupted"})
            self.claims.release(name, self.owner)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, and the sweep goes on
            message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:500]
            attrs = {"fitwell_error": message,
                     "fitwell_traceback": traceback.format_exc()[-4000:]}
            if self._still_mine(name) and self.session.close(number, "error", attrs):
                self.claims.finish(name, self.owner, number)
            else:
                self.session.close(number, "superseded")
            self.ran += 1
            self._report(name, "error")
            return
        if not self._still_mine(name):
            self.session.close(number, "superseded",
                               {"fitwell_error": "taken over by another worker"})
            return
        if self.session.close(number, "complete", result, value=result["fitwell_val"]):
            self.claims.finish(name, self.owner, number)
        self.ran += 1
        self._report(name, "complete")

    def _still_mine(self, name):
        return not self.lost and self.claims.beat(name, self.owner)

    def _report(self, name, status):
        if self.on_unit is not None:
            self.on_unit(name, status)


# -- running it --------------------------------------------------------------------------------
def worker_process_main(stream) -> int:
    """Entry point of a worker process (``python -m fitwell.experiments.worker_process``):
    read the pickled job from ``stream`` and work until every unit is done."""

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # unwinds through the trial: marked, claim released

    signal.signal(signal.SIGTERM, stop)
    experiment, url, study_name, options = pickle.load(stream)
    try:
        Worker(experiment, url, study_name, options).run()
    except KeyboardInterrupt:
        return 130
    return 0


def run_experiment(experiment, url, study_name, jobs=1, options=None, on_progress=None):
    """Run every unit of ``experiment`` in the study (resuming it) and return its trials.

    Parameters
    ----------
    experiment : Experiment
    url : str
        Storage URL (``sqlite:///...``, ``postgresql://...``).
    study_name : str
    jobs : int
        Worker processes on this machine (1: this process).
    options : WorkerOptions, optional
    on_progress : callable, optional
        ``on_progress(done, total)`` whenever the number of done units changes.

    Returns
    -------
    list of optuna.trial.FrozenTrial
    """
    if jobs < 1:
        raise ExperimentError(f"jobs must be at least 1, got {jobs}")
    options = options or WorkerOptions()
    storage, study = prepare_study(experiment, url, study_name)
    total = len(experiment.units())
    if jobs == 1:
        worker = Worker(experiment, url, study_name, options)
        if on_progress is not None:
            worker.on_unit = lambda name, status: on_progress(
                sum(c.state == "done" for c in worker.claims.snapshot().values()), total)
        worker.run()
    else:
        _run_processes(experiment, url, study_name, jobs, options, on_progress, total, storage)
    return study.get_trials(deepcopy=False)


def _run_processes(experiment, url, study_name, jobs, options, on_progress, total, storage):
    """Start ``jobs`` worker processes (fresh interpreters: nothing of this process is
    inherited, and a script without a ``__main__`` guard works) and wait for them."""
    options = WorkerOptions(**{**options.__dict__, "limit_threads": True,
                               "parent_pid": os.getpid()})
    payload = pickle.dumps((experiment, url, study_name, options))
    claims = ClaimTable(url, storage.get_study_id_from_name(study_name))
    processes, logs, last = [], [], -1
    try:
        for _ in range(jobs):
            log = tempfile.TemporaryFile()
            process = subprocess.Popen([sys.executable, "-m", WORKER_MODULE],
                                       stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                       stderr=log)
            process.stdin.write(payload)
            process.stdin.close()
            processes.append(process)
            logs.append(log)
        while any(p.poll() is None for p in processes):
            time.sleep(0.5)
            if on_progress is not None:
                done = sum(c.state == "done" for c in claims.snapshot().values())
                if done != last:
                    last = done
                    on_progress(done, total)
    except BaseException:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.wait(timeout=10)
        raise
    finally:
        claims.close()
    failures = []
    for process, log in zip(processes, logs, strict=True):
        log.seek(0)
        text = log.read().decode(errors="replace").strip().splitlines()
        log.close()
        if process.returncode not in (0, None):
            failures.append(f"exit {process.returncode}: {text[-1] if text else 'no message'}")
    if failures:
        raise RuntimeError(f"{len(failures)} of {jobs} worker processes failed; first: "
                           f"{failures[0]}")
