"""The experiment engine: configurations × seeds as units of work, run by workers that
share one Optuna study — in this process, in local worker processes, on many machines.

Guarantees (tested in ``tests/test_sweep.py``):

* every unit (configuration, seed) ends with exactly one finished trial — complete,
  or failed with the error it raised — however many workers run and however
  often the command is killed and started again;
* a unit whose worker was cut off (Ctrl-C, ``kill -9``, a lost machine) is run again:
  at once when the worker was on this machine, after ``grace_period`` seconds
  without a heartbeat otherwise; its unfinished trial is marked failed with
  ``fitwell_status = "interrupted"``, and it is not counted as a failure.

Optuna's own ``GridSampler`` is not used to hand out grid points: its documentation
says that concurrent workers "will occasionally suggest the same parameter
configuration". Grids are enumerated here and each unit is claimed in the claims
table (:mod:`fitwell.experiments.storage`); a TPE search asks Optuna's
``TPESampler`` for each new configuration when its first seed is claimed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
import time
import traceback
from dataclasses import dataclass, field

from ..errors import ExperimentError
from .storage import _LIVE_OWNERS, ClaimTable, open_storage, safe_url, worker_identity

__all__ = ["Configuration", "Experiment", "ExperimentError", "run_experiment", "unit_name",
           "data_fingerprint"]

_HISTORY_COLUMNS = ("train_loss", "val_loss", "train_score", "val_score")


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

    def units(self) -> list[tuple[str, int]]:
        """Every (configuration id, seed), configuration-major."""
        return [(c, s) for c in self.config_ids for s in self.seeds]

    def definition(self) -> dict:
        """Everything that makes two runs the same experiment, JSON-ready."""
        from .space import Range

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
        text = json.dumps(self.definition(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def unit_name(config_id, seed) -> str:
    return f"{config_id}/seed={seed}"


def data_fingerprint(X, y, **split_options) -> str:
    """A hash of the raw data and how it is split (not of scaled floats, which may differ
    in the last bit between machines)."""
    import numpy as np

    digest = hashlib.sha256()
    for array in (np.ascontiguousarray(X), np.ascontiguousarray(np.asarray(y))):
        digest.update(str((array.dtype.str, array.shape)).encode())
        if array.dtype.kind == "O":
            digest.update(json.dumps(array.tolist(), default=str).encode())
        else:
            digest.update(array.tobytes())
    digest.update(json.dumps(split_options, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


# -- the study ---------------------------------------------------------------------------------
def _quiet_optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def prepare_study(experiment, url, study_name):
    """Create (or load and check) the study; return ``(storage, study)``."""
    import optuna

    _quiet_optuna()
    storage = open_storage(url)
    study = optuna.create_study(storage=storage, study_name=study_name, direction="maximize",
                                load_if_exists=True)
    definition = experiment.definition()
    stored = study.user_attrs.get("fitwell_definition")
    if stored is None:
        study.set_user_attr("fitwell_definition", definition)
        study.set_user_attr("fitwell_fingerprint", experiment.fingerprint())
    elif json.dumps(stored, sort_keys=True) != json.dumps(definition, sort_keys=True):
        differs = sorted(k for k in definition if stored.get(k) != definition[k])
        raise ExperimentError(
            f"study {study_name!r} in {safe_url(url)} was made for a different experiment "
            f"(it differs in: {', '.join(differs)}); pass another --study name, or the same "
            "settings to resume it")
    return storage, study


# -- a worker ----------------------------------------------------------------------------------
@dataclass
class WorkerOptions:
    """How a worker paces itself (seconds)."""

    heartbeat_interval: float = 5.0
    grace_period: float = 60.0
    poll_interval: float = 0.5
    limit_threads: bool = False
    parent_pid: int | None = None


class _Worker:
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
        import optuna

        _quiet_optuna()
        self.storage = open_storage(self.url)
        sampler = None
        if self.experiment.space is not None:
            n = len(self.experiment.seeds)
            startup = max(2, min(10, self.experiment.n_trials // 3))
            sampler = optuna.samplers.TPESampler(n_startup_trials=startup * n,
                                                 constant_liar=True)
        self.study = optuna.load_study(study_name=self.study_name, storage=self.storage,
                                       sampler=sampler)
        self.study_id = self.storage.get_study_id_from_name(self.study_name)
        self.claims = ClaimTable(self.url, self.study_id)

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
        self._open()
        _LIVE_OWNERS.add(self.owner)
        beater = threading.Thread(target=self._beat, daemon=True, name="fitwell-heartbeat")
        beater.start()
        limits = contextlib.nullcontext()
        if self.options.limit_threads:
            from threadpoolctl import threadpool_limits

            limits = threadpool_limits(1)
        try:
            with limits:
                self._loop()
        finally:
            self._stop.set()
            _LIVE_OWNERS.discard(self.owner)
            self.claims.close()
            with contextlib.suppress(Exception):
                self.storage.remove_session()
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
    def _trials_of(self, name):
        return [t for t in self.study.get_trials(deepcopy=False)
                if t.user_attrs.get("fitwell_unit") == name]

    def _recover(self, name):
        """After taking over: adopt a result the last owner recorded but could not mark
        done; mark its unfinished trials interrupted. True when the unit is done."""
        from optuna.trial import TrialState

        for trial in self._trials_of(name):
            status = trial.user_attrs.get("fitwell_status")
            if trial.state == TrialState.COMPLETE or (trial.state == TrialState.FAIL
                                                      and status == "error"):
                self.claims.finish(name, self.owner, trial.number)
                return True
        for trial in self._trials_of(name):
            if trial.state == TrialState.RUNNING:
                self._close_trial(trial._trial_id, "interrupted",
                                  {"fitwell_error": "its worker stopped; the unit was run again"})
        return False

    def _close_trial(self, trial_id, status, attrs=None, value=None):
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        try:
            for key, val in {**(attrs or {}), "fitwell_status": status}.items():
                self.storage.set_trial_user_attr(trial_id, key, val)
            state = TrialState.COMPLETE if status == "complete" else TrialState.FAIL
            self.storage.set_trial_state_values(trial_id, state,
                                                [value] if value is not None else None)
        except UpdateFinishedTrialError:
            return False
        return True

    def _resolve(self, config_id, proposal):
        """The configuration's raw overrides, Optuna params and distributions."""
        from .space import optuna_distributions, optuna_value

        if self.experiment.space is None:
            config = next(c for c in self.experiment.configurations if c.id == config_id)
            distributions = _categorical(self.experiment, config.overrides)
            params = {k: optuna_value(v) for k, v in config.overrides.items()}
            return config.label, config.overrides, params, distributions
        distributions = optuna_distributions(self.experiment.space)
        if proposal is None:
            return None, None, None, distributions
        overrides = json.loads(proposal)
        params = {k: optuna_value(v) for k, v in overrides.items()}
        return _label(overrides), overrides, params, distributions

    def _new_trial(self, name, config_id, seed, label, overrides, params, distributions):
        import datetime

        from optuna.trial import FrozenTrial, TrialState

        template = FrozenTrial(
            number=-1, state=TrialState.RUNNING, value=None,
            datetime_start=datetime.datetime.now(), datetime_complete=None,
            params=params, distributions={k: distributions[k] for k in params},
            user_attrs=_unit_attrs(name, config_id, seed, label, overrides, self.owner),
            system_attrs={}, intermediate_values={}, trial_id=-1)
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        return trial_id, self.storage.get_trial_number_from_id(trial_id)

    def _propose(self, name, config_id, seed, distributions):
        """Ask the TPE sampler for a new configuration: the asked trial is seed 0's."""
        from .space import Range

        trial = self.study.ask(distributions)
        overrides = {}
        for key, values in self.experiment.space.items():
            value = trial.params[key]
            if not isinstance(values, Range):
                value = values[distributions[key].choices.index(value)]
            overrides[key] = value
        label = _label(overrides)
        for key, val in _unit_attrs(name, config_id, seed, label, overrides, self.owner).items():
            self.storage.set_trial_user_attr(trial._trial_id, key, val)
        self.claims.set_trial(name, self.owner, trial.number,
                              params=json.dumps(overrides))
        return trial._trial_id, trial.number, label, overrides

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
                trial_id, number, label, overrides = self._propose(name, config_id, seed,
                                                                   distributions)
            else:
                trial_id, number = self._new_trial(name, config_id, seed, label, overrides,
                                                   params, distributions)
                self.claims.set_trial(name, self.owner, number)
            self._execute(name, trial_id, number, seed, overrides)
        finally:
            self.current = None

    def _execute(self, name, trial_id, number, seed, overrides):
        try:
            result = run_configuration(self.experiment, overrides, seed, name)
            if not math.isfinite(result["fitwell_val"]):
                raise FloatingPointError("the validation score is not finite (the training "
                                         "diverged)")
        except (KeyboardInterrupt, SystemExit):
            self._close_trial(trial_id, "interrupted", {"fitwell_error": "interrupted"})
            self.claims.release(name, self.owner)
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, and the sweep goes on
            message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:500]
            attrs = {"fitwell_error": message,
                     "fitwell_traceback": traceback.format_exc()[-4000:]}
            if self._still_mine(name) and self._close_trial(trial_id, "error", attrs):
                self.claims.finish(name, self.owner, number)
            else:
                self._close_trial(trial_id, "superseded")
            self.ran += 1
            self._report(name, "error")
            return
        if not self._still_mine(name):
            self._close_trial(trial_id, "superseded", {"fitwell_error": "taken over by "
                                                                        "another worker"})
            return
        if self._close_trial(trial_id, "complete", result, value=result["fitwell_val"]):
            self.claims.finish(name, self.owner, number)
        self.ran += 1
        self._report(name, "complete")

    def _still_mine(self, name):
        return not self.lost and self.claims.beat(name, self.owner)

    def _report(self, name, status):
        if self.on_unit is not None:
            self.on_unit(name, status)


def _categorical(experiment, overrides):
    """Categorical distributions over a fixed configuration's values (all values of
    that key across the experiment's configurations, so every trial agrees)."""
    from optuna.distributions import CategoricalDistribution

    from .space import optuna_value

    out = {}
    for key in overrides:
        choices = []
        for config in experiment.configurations:
            if key in config.overrides:
                value = optuna_value(config.overrides[key])
                if value not in choices:
                    choices.append(value)
        out[key] = CategoricalDistribution(choices)
    return out


def _label(overrides):
    from .space import config_label

    return config_label(overrides)


def _unit_attrs(name, config_id, seed, label, overrides, owner):
    return {"fitwell_unit": name, "fitwell_config": config_id, "fitwell_seed": int(seed),
            "fitwell_label": label, "fitwell_overrides": overrides, "fitwell_owner": owner,
            "fitwell_status": "running"}


def _finite(value):
    value = float(value)
    return value if math.isfinite(value) else None


def run_configuration(experiment, overrides, seed, name="run") -> dict:
    """Fit one configuration with one seed; return the trial's user attributes."""
    from ..recipe import validate_params
    from .runner import fit_and_evaluate

    params = dict(experiment.base_params)
    params.update(validate_params(overrides, task=experiment.task, source=name))
    params["random_state"] = int(seed)
    image_shape = experiment.image_shape
    if image_shape and params.get("augment") and not params.get("image_shape"):
        params["image_shape"] = image_shape
    run = fit_and_evaluate(params, experiment.split, task=experiment.task, name=name)
    history = {c: [None if v is None else _finite(v) for v in run.history[c]]
               for c in _HISTORY_COLUMNS}
    return {"fitwell_train": run.train_score, "fitwell_val": run.val_score,
            "fitwell_test": run.test_score, "fitwell_gap": run.gap,
            "fitwell_epochs": run.epochs_run, "fitwell_best_epoch": run.best_epoch,
            "fitwell_fit_time": run.fit_time, "fitwell_verdict": run.verdict.kind,
            "fitwell_history": history}


# -- running it --------------------------------------------------------------------------------
def worker_process_main(stream) -> int:
    """Entry point of a worker process (``python -m fitwell.experiments.worker``): read
    the pickled job from ``stream`` and work until every unit is done."""
    import pickle
    import signal

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # unwinds through the trial: marked, claim released

    signal.signal(signal.SIGTERM, stop)
    experiment, url, study_name, options = pickle.load(stream)
    try:
        _Worker(experiment, url, study_name, options).run()
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
        worker = _Worker(experiment, url, study_name, options)
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
    import pickle
    import subprocess
    import sys
    import tempfile

    options = WorkerOptions(**{**options.__dict__, "limit_threads": True,
                               "parent_pid": os.getpid()})
    payload = pickle.dumps((experiment, url, study_name, options))
    claims = ClaimTable(url, storage.get_study_id_from_name(study_name))
    processes, logs, last = [], [], -1
    try:
        for _ in range(jobs):
            log = tempfile.TemporaryFile()
            process = subprocess.Popen([sys.executable, "-m", "fitwell.experiments.worker"],
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
