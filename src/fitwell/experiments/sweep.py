"""Sweeps: a grid (or a TPE search) over recipe keys, every configuration with several
seeds, chosen by validation score — never by test.

>>> from fitwell.experiments import sweep                                # doctest: +SKIP
>>> table = sweep("challenge", "digits", {"dropout": [0.0, 0.2]}, seeds=3)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from ..errors import ExperimentError
from ..recipe import dump_recipe
from .definition import Configuration, Experiment
from .inputs import resolve_inputs, resolve_seeds
from .plan import Plan, execute_plan, plan_experiment
from .results import (
    METRICS,
    TRIAL_COLUMNS,
    ExperimentResult,
    format_cell,
    summarize_configurations,
    to_table,
    trial_records,
    write_csv,
)
from .space import (
    SpaceError,
    apply_overrides,
    config_label,
    grid_configurations,
    parse_grid,
    validate_space,
)

__all__ = ["SweepResult", "plan_sweep", "execute_sweep", "run_sweep", "sweep",
           "build_sweep", "collect_sweep", "write_sweep_outputs", "SUMMARY_COLUMNS"]

SUMMARY_COLUMNS = ("rank", "config", "label", "seeds", "failed",
                   *(f"{m}_{s}" for m, _, _ in METRICS for s in ("mean", "std", "ci_low",
                                                                  "ci_high")))


@dataclass
class SweepResult(ExperimentResult):
    """The outcome of a sweep: every trial, one row per configuration sorted by
    validation score, and the chosen configuration."""

    description: str = ""
    params_keys: list = field(default_factory=list)

    @property
    def n_complete(self) -> int:
        """Units with a complete trial."""
        return sum(row["seeds"] for row in self.rows)

    @property
    def best(self) -> dict | None:
        """The row with the best mean validation score (``None`` if nothing completed)."""
        return self.rows[0] if self.rows and self.rows[0]["seeds"] else None

    @property
    def worst(self) -> dict | None:
        done = [r for r in self.rows if r["seeds"]]
        return done[-1] if done else None

    def best_params(self) -> dict:
        """Estimator parameters of the chosen configuration (the recipe's seed kept)."""
        if self.best is None:
            raise ExperimentError("no configuration completed; there is nothing to choose")
        return apply_overrides(self.experiment.base_params, self.best["overrides"],
                               task=self.experiment.task, source=self.best["label"])

    def summary_rows(self) -> tuple[list, list]:
        """``(rows, columns)`` of the summary: one row per configuration, best first, with
        a column per swept key."""
        columns = list(SUMMARY_COLUMNS)
        columns[3:3] = self.params_keys
        rows = [{**row, **{k: row["overrides"].get(k) for k in self.params_keys}}
                for row in self.rows]
        return rows, columns

    def table(self):
        """The tidy summary: one row per configuration, a column per swept key."""
        return to_table(*self.summary_rows())

    def format(self) -> str:
        """The summary as plain text, best first."""
        return format_summary(self.rows, title=f"{len(self.rows)} configurations × "
                              f"{len(self.experiment.seeds)} seeds, sorted by validation")

    def histories(self, row) -> list:
        """The learning curves (one dict per seed) of a configuration's complete trials."""
        return [r["history"] for r in self.records
                if r["config"] == row["config"] and r["status"] == "complete" and r["history"]]


def format_summary(rows, title="") -> str:
    """Text table: mean ± std over seeds, the validation 95 % interval, sorted as given."""
    width = max([6, *(len(r["label"]) for r in rows)])
    header = (f"{'#':>2}  {'configuration':<{width}}  {'seeds':>5}  {'train':>12}  "
              f"{'validation':>12}  {'val 95% CI':>13}  {'test':>12}  {'gap':>12}")
    lines = [title, "accuracy in %, mean ± std over seeds; gap = train − test in points",
             header, "─" * len(header)] if title else [header, "─" * len(header)]
    for i, row in enumerate(rows, 1):
        interval = "—" if math.isnan(row["val_ci_low"]) else \
            f"[{row['val_ci_low']:.1f}, {row['val_ci_high']:.1f}]"
        seeds = f"{row['seeds']}" + (f"+{row['failed']}✗" if row["failed"] else "")
        lines.append(f"{i:>2}  {row['label']:<{width}}  {seeds:>5}  "
                     f"{format_cell(row['train_mean'], row['train_std'])}  "
                     f"{format_cell(row['val_mean'], row['val_std'])}  {interval:>13}  "
                     f"{format_cell(row['test_mean'], row['test_std'])}  "
                     f"{format_cell(row['gap_mean'], row['gap_std'])}")
    return "\n".join(lines)


def _sort_rows(rows):
    def key(row):
        mean = row["val_mean"]
        return (0 if row["seeds"] else 1, -(mean if not math.isnan(mean) else -math.inf))

    ordered = sorted(rows, key=key)
    for rank, row in enumerate(ordered, 1):
        row["rank"] = rank
    return ordered


def build_sweep(inputs, grid=None, seeds=5, search="grid", trials=None) -> Experiment:
    """The :class:`Experiment` of a sweep, every value checked before anything runs.

    Raises
    ------
    SpaceError
        For an unknown key, an out-of-range value, or a range in a grid search.
    """
    if isinstance(grid, dict):
        space = dict(grid)
    else:
        space = parse_grid(grid or ())
    if search not in ("grid", "tpe"):
        raise SpaceError(f"--search must be 'grid' or 'tpe', got {search!r}")
    validate_space(inputs.params, space, task=inputs.task)
    seeds = resolve_seeds(seeds)
    common = dict(kind="sweep", recipe_name=inputs.recipe_name, base_params=inputs.params,
                  seeds=seeds, task=inputs.task, split=inputs.split, data_name=inputs.data_name,
                  data_hash=inputs.data_hash, image_shape=inputs.image_shape)
    if search == "grid":
        if trials is not None:
            raise SpaceError("--trials is for --search tpe; a grid runs every combination")
        configs = [Configuration(f"c{i}", config_label(c), c)
                   for i, c in enumerate(grid_configurations(space))]
        return Experiment(configurations=configs, **common)
    if not space:
        raise SpaceError("--search tpe needs at least one --grid KEY=V1,V2 or KEY=LOW:HIGH")
    trials = 20 if trials is None else trials
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise SpaceError(f"--trials must be a positive integer, got {trials!r}")
    return Experiment(space=space, n_trials=trials, **common)


def plan_sweep(recipe, data, grid=None, *, seeds=5, search="grid", trials=None, storage=None,
               study=None, out=None, overrides=(), target=None, task=None, test_size=0.2,
               split_seed=42, scale=True, train_rows=None) -> Plan:
    """Resolve and check everything a sweep needs, without running anything (see
    :func:`run_sweep` for the arguments)."""
    inputs = resolve_inputs(recipe, data, overrides=overrides, target=target, task=task,
                            test_size=test_size, split_seed=split_seed, scale=scale,
                            train_rows=train_rows)
    experiment = build_sweep(inputs, grid, seeds=seeds, search=search, trials=trials)
    return plan_experiment("sweep", inputs, experiment, out=out, storage=storage, study=study)


def execute_sweep(plan, jobs=1, options=None, on_progress=None) -> SweepResult:
    """Run (or resume) a planned sweep."""
    trials = execute_plan(plan, jobs=jobs, options=options, on_progress=on_progress)
    return collect_sweep(plan.experiment, plan.study_name, plan.storage_url, trials,
                         plan.inputs.description)


def run_sweep(recipe, data, grid=None, *, seeds=5, search="grid", trials=None, jobs=1,
              storage=None, study=None, out=None, overrides=(), target=None, task=None,
              test_size=0.2, split_seed=42, scale=True, train_rows=None, options=None,
              on_progress=None) -> SweepResult:
    """Run (or resume) a sweep and return its :class:`SweepResult`.

    Parameters
    ----------
    recipe : str, Recipe or dict
        A shipped recipe name, a recipe file, a :class:`~fitwell.recipe.Recipe` or
        estimator parameters.
    data : str, Dataset or (X, y)
    grid : dict or list of str
        ``{"dropout": [0, 0.1], "alpha": [0, 1e-3]}`` or ``["dropout=0,0.1", ...]``;
        with ``search="tpe"`` a value may be :class:`~fitwell.experiments.space.Range`
        (``"alpha=1e-4:1e-1:log"``).
    seeds : int or list of int
        Seeds per configuration (``5`` → 0..4), each a separate trial; a seed is the
        estimator's ``random_state`` (the data split stays fixed by ``split_seed``).
    search : {"grid", "tpe"}
    trials : int, optional
        Configurations a TPE search proposes (default 20).
    jobs : int
        Worker processes on this machine.
    storage : str, optional
        Storage URL; default an SQLite file ``study.db`` in ``out``.
    study : str, optional
        Study name; default derived from the recipe, the data and a hash of the whole
        definition, so the same call resumes the same study.
    out : str, optional
        Output folder (default ``fitwell-output/sweep-RECIPE``).
    overrides : sequence of str
        ``--set`` overrides applied to the recipe first.
    test_size, split_seed, scale, train_rows
        How the data is split, as :func:`~fitwell.data.classic_split` takes them
        (``train_rows``: train on that many rows, validation and test kept whole).
    options : WorkerOptions, optional
        Heartbeat, grace period and polling of the workers.
    on_progress : callable, optional
        ``on_progress(done_units, total_units)``.
    """
    plan = plan_sweep(recipe, data, grid, seeds=seeds, search=search, trials=trials,
                      storage=storage, study=study, out=out, overrides=overrides, target=target,
                      task=task, test_size=test_size, split_seed=split_seed, scale=scale,
                      train_rows=train_rows)
    return execute_sweep(plan, jobs=jobs, options=options, on_progress=on_progress)


def collect_sweep(experiment, study_name, url, trials, description="") -> SweepResult:
    """Summarise a sweep's stored trials."""
    records = trial_records(trials)
    config_ids = experiment.config_ids
    rows = _sort_rows(summarize_configurations(records, config_ids))
    keys = list(experiment.space) if experiment.space is not None else \
        list(dict.fromkeys(k for c in experiment.configurations for k in c.overrides))
    return SweepResult(experiment, study_name, url, list(trials), records, rows, description,
                       keys)


def sweep(recipe, data, grid=None, **kwargs):
    """Run (or resume) a sweep and return its summary table: a pandas ``DataFrame``
    when pandas is installed, else a list of dicts. See :func:`run_sweep`."""
    return run_sweep(recipe, data, grid, **kwargs).table()


def write_sweep_outputs(result: SweepResult, out) -> dict:
    """Write ``summary.csv``, ``trials.csv`` and ``best_recipe.toml`` (when a
    configuration completed) into ``out``; return the paths by name. The HTML report
    is :func:`fitwell.report.write_sweep_report`'s."""
    os.makedirs(out, exist_ok=True)
    paths = {"summary": write_csv(os.path.join(out, "summary.csv"), *result.summary_rows()),
             "trials": write_csv(os.path.join(out, "trials.csv"), result.records,
                                 TRIAL_COLUMNS)}
    if result.best is not None:
        best = result.best
        interval = (f"validation {best['val_mean']:.2f} % (95 % CI "
                    f"{best['val_ci_low']:.2f}–{best['val_ci_high']:.2f}) over "
                    f"{best['seeds']} seeds") if best["seeds"] > 1 else \
            f"validation {best['val_mean']:.2f} % (one seed)"
        path = os.path.join(out, "best_recipe.toml")
        dump_recipe(result.best_params(), path,
                    name=f"{result.experiment.recipe_name}-best",
                    description=f"{result.experiment.recipe_name} with {best['label']}",
                    comment=(f"chosen by fitwell sweep (study {result.study_name}) by mean "
                             f"validation score: {best['label']}\n{interval}"))
        paths["best_recipe"] = path
    return paths
