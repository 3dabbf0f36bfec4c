"""The Optuna adapter: the only module of fitwell that imports Optuna.

Optuna keeps the trials of an experiment (parameters, scores, learning curves,
errors) in an RDB storage. fitwell uses it through its public API only: studies,
samplers, distributions, and the storage methods of ``optuna.storages.BaseStorage``;
a trial is named by its ``number`` (unique in a study) everywhere outside this module.

Optuna's own ``GridSampler`` is not used to hand out grid points: its documentation
says that concurrent workers "will occasionally suggest the same parameter
configuration". Grids are enumerated by fitwell and each unit is claimed in the claims
table (:mod:`fitwell.experiments.claims`); a TPE search asks Optuna's ``TPESampler``
for each new configuration when its first seed is claimed.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time

from ..errors import ExperimentError, StorageError
from .claims import ClaimTable
from .space import Range
from .storage import describe_error, driver_url, engine_options, is_creation_race, safe_url

__all__ = ["open_storage", "prepare_study", "StudySession", "stored_value",
           "space_distributions", "grid_distributions", "FINISHED", "RUNNING"]

#: what a trial's ``state`` may be, by name (``trial.state.name``)
FINISHED, RUNNING = ("COMPLETE", "FAIL"), "RUNNING"


def _quiet_optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def open_storage(url):
    """An Optuna ``RDBStorage`` for ``url``, with its tables (and the claims table) created.

    Raises
    ------
    StorageError
        At once, when the server cannot be reached or the URL is unusable.
    """
    import optuna
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = safe_url(url)
    url = driver_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"storage {url!r} is not a database URL; use e.g. "
                           "sqlite:///study.db or postgresql://user:pass@host/db") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        directory = os.path.dirname(os.path.abspath(parsed.database))
        if not os.path.isdir(directory):
            raise StorageError(f"storage {shown}: folder {directory} does not exist")
    last = None
    for _attempt in range(5):  # several machines creating the schema at once may collide
        try:
            storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_options(url))
            ClaimTable.create_schema(url)
            return storage
        except (NoSuchModuleError, ImportError, ModuleNotFoundError) as exc:
            raise StorageError(f"storage {shown}: no database driver for this URL "
                               f"({describe_error(exc)})") from None
        except Exception as exc:  # noqa: BLE001 - every failure here means "cannot use it"
            last = exc
            if not is_creation_race(exc):
                break
            time.sleep(0.1 + random.random() * 0.5)
    raise StorageError(f"cannot use storage {shown}: {describe_error(last)}") from None


def prepare_study(experiment, url, study_name):
    """Create (or load and check) the study; return ``(storage, study)``.

    Raises
    ------
    ExperimentError
        When a study of that name exists for a different experiment.
    """
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


def stored_value(value):
    """A raw recipe value as Optuna stores it: scalars as they are, anything else as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


def space_distributions(space) -> dict:
    """Optuna distributions of a search space: a categorical per value list, a float or
    int distribution per :class:`~fitwell.experiments.space.Range`."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out = {}
    for key, values in space.items():
        if isinstance(values, Range):
            cls = IntDistribution if values.is_int else FloatDistribution
            out[key] = cls(values.low, values.high, log=values.log)
        else:
            out[key] = CategoricalDistribution([stored_value(v) for v in values])
    return out


def grid_distributions(configurations, keys) -> dict:
    """Categorical distributions of ``keys`` over every value the fixed
    ``configurations`` give them, so that every trial of the study agrees."""
    from optuna.distributions import CategoricalDistribution

    out = {}
    for key in keys:
        choices = []
        for config in configurations:
            if key in config.overrides:
                value = stored_value(config.overrides[key])
                if value not in choices:
                    choices.append(value)
        out[key] = CategoricalDistribution(choices)
    return out


class StudySession:
    """One worker's connection to the study: reads trials, creates, asks and closes them.

    Parameters
    ----------
    url : str
        Storage URL.
    study_name : str
    tpe : tuple of (int, int), optional
        ``(n_trials, n_seeds)`` of a TPE search: the worker gets a ``TPESampler`` that
        proposes configurations (with a constant liar, for parallel workers).
    """

    def __init__(self, url, study_name, tpe=None):
        import optuna

        _quiet_optuna()
        self.storage = open_storage(url)
        sampler = None
        if tpe is not None:
            n_trials, n_seeds = tpe
            startup = max(2, min(10, n_trials // 3))
            sampler = optuna.samplers.TPESampler(n_startup_trials=startup * n_seeds,
                                                 constant_liar=True)
        self.study = optuna.load_study(study_name=study_name, storage=self.storage,
                                       sampler=sampler)
        self.study_id = self.storage.get_study_id_from_name(study_name)

    def trials_of(self, unit) -> list:
        """The trials (``FrozenTrial``) recorded for ``unit``, oldest first."""
        return [t for t in self.study.get_trials(deepcopy=False)
                if t.user_attrs.get("fitwell_unit") == unit]

    def _id_of(self, number):
        return self.storage.get_trial_id_from_study_id_trial_number(self.study_id, number)

    def close(self, number, status, attrs=None, value=None) -> bool:
        """Finish trial ``number``: record ``attrs`` and ``fitwell_status`` and mark it
        complete (``status == "complete"``, with ``value``) or failed. False when
        another worker had finished it already."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        trial_id = self._id_of(number)
        try:
            for key, val in {**(attrs or {}), "fitwell_status": status}.items():
                self.storage.set_trial_user_attr(trial_id, key, val)
            state = TrialState.COMPLETE if status == "complete" else TrialState.FAIL
            self.storage.set_trial_state_values(trial_id, state,
                                                [value] if value is not None else None)
        except UpdateFinishedTrialError:
            return False
        return True

    def new_trial(self, attrs, params, distributions) -> int:
        """Create a running trial of a fixed configuration; return its number."""
        from optuna.trial import FrozenTrial, TrialState

        template = FrozenTrial(
            number=-1, state=TrialState.RUNNING, value=None,
            datetime_start=datetime.datetime.now(), datetime_complete=None,
            params=params, distributions={k: distributions[k] for k in params},
            user_attrs=attrs, system_attrs={}, intermediate_values={}, trial_id=-1)
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        return self.storage.get_trial_number_from_id(trial_id)

    def ask(self, distributions) -> tuple[int, dict]:
        """Ask the sampler for a new configuration: ``(trial number, params)``."""
        trial = self.study.ask(distributions)
        return trial.number, dict(trial.params)

    def set_attrs(self, number, attrs):
        """Record user attributes on a running trial."""
        trial_id = self._id_of(number)
        for key, val in attrs.items():
            self.storage.set_trial_user_attr(trial_id, key, val)

    def dispose(self):
        """Release the storage's database session."""
        self.storage.remove_session()
