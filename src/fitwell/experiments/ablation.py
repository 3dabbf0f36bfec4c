"""Ablations: the full recipe, the recipe with each regularisation technique removed
one at a time, and the plain recipe with all of them removed — every variant with the
same seeds, so each technique's contribution is a paired difference per seed.

A technique's contribution is ``full − without it``: positive for accuracy means it
helps; negative for the gap means it narrows the gap. The verdict is read from the
validation accuracy (the held-out score decisions are made on); the test score is
reported beside it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..errors import ExperimentError
from .definition import Configuration, Experiment
from .fit_one import make_estimator
from .inputs import resolve_inputs, resolve_seeds
from .plan import execute_plan, plan_experiment
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
from .space import apply_overrides
from .stats import format_effect, paired_differences, summarize, verdict

__all__ = ["Technique", "TECHNIQUES", "techniques_used", "AblationResult", "plan_ablation",
           "execute_ablation", "run_ablation", "ablate", "build_ablation", "collect_ablation",
           "write_ablation_outputs", "ABLATION_COLUMNS"]


@dataclass(frozen=True)
class Technique:
    """A regularisation technique: how to tell a recipe uses it, and how to remove it."""

    key: str
    name: str
    removal: str
    off: dict

    def used_by(self, params) -> bool:
        return _USED[self.key](params)


def _positive(value):
    if value is None or isinstance(value, str):
        return False
    if isinstance(value, list | tuple):
        return any(_positive(v) for v in value)
    return float(value) > 0


_USED = {
    "dropout": lambda p: _positive(p.get("dropout")),
    "penalties": lambda p: any(_positive(p.get(k)) for k in ("alpha", "l1", "weight_decay")),
    "normalization": lambda p: p.get("normalization") is not None,
    "schedule": lambda p: p.get("learning_rate", "constant") != "constant"
    or _positive(p.get("warmup_epochs")),
    "early_stopping": lambda p: bool(p.get("early_stopping")),
    "augmentation": lambda p: bool(p.get("augment")),
    "clipping": lambda p: p.get("clip_grad_norm") is not None,
    "label_smoothing": lambda p: _positive(p.get("label_smoothing")),
}

#: in the order the table lists them; ``off`` holds raw recipe values ("none" is None)
TECHNIQUES = (
    Technique("dropout", "dropout", "dropout off", {"dropout": 0.0}),
    Technique("penalties", "penalties (L2, L1, weight decay)", "penalties off",
              {"alpha": 0.0, "l1": 0.0, "weight_decay": 0.0}),
    Technique("normalization", "normalisation", "normalisation off", {"normalization": "none"}),
    Technique("schedule", "learning-rate schedule", "constant learning rate",
              {"learning_rate": "constant", "warmup_epochs": 0, "schedule_kwargs": "none"}),
    Technique("early_stopping", "early stopping", "no early stopping", {"early_stopping": False}),
    Technique("augmentation", "augmentation", "no augmentation", {"augment": "none"}),
    Technique("clipping", "gradient clipping", "no clipping", {"clip_grad_norm": "none"}),
    Technique("label_smoothing", "label smoothing", "no label smoothing",
              {"label_smoothing": 0.0}),
)

ABLATION_COLUMNS = ("variant", "technique", "removed", "seeds", "failed",
                    *(f"{m}_{s}" for m, _, _ in METRICS for s in ("mean", "std")),
                    *(f"delta_{m}_{s}" for m in ("val", "test", "gap")
                      for s in ("mean", "ci_low", "ci_high")),
                    "verdict")


def techniques_used(params, task="classification") -> list[Technique]:
    """The techniques ``params`` switch on (estimator defaults filled in: a recipe that
    leaves ``alpha`` out still has scikit-learn's L2 penalty of 1e-4)."""
    effective = {**make_estimator({}, task).get_params(deep=False), **params}
    return [t for t in TECHNIQUES if t.used_by(effective)
            and not (task != "classification" and t.key == "label_smoothing")]


def build_ablation(inputs, seeds=5) -> Experiment:
    """The variants: ``full``, one per technique used, and ``plain`` (all removed)."""
    used = techniques_used(inputs.params, inputs.task)
    if not used:
        raise ExperimentError(f"recipe {inputs.recipe_name!r} uses none of the techniques an "
                              "ablation removes (dropout, penalties, normalisation, a schedule, "
                              "early stopping, augmentation, clipping, label smoothing)")
    configs = [Configuration("full", "full recipe", {})]
    for technique in used:
        configs.append(Configuration(f"without-{technique.key}", technique.removal,
                                     dict(technique.off)))
    if len(used) > 1:
        plain = {}
        for technique in used:
            plain.update(technique.off)
        configs.append(Configuration("plain", "plain (all removed)", plain))
    for config in configs:  # every variant must be a valid recipe before anything runs
        apply_overrides(inputs.params, config.overrides, task=inputs.task,
                        source=f"ablation variant {config.label!r}")
    return Experiment(kind="ablation", recipe_name=inputs.recipe_name, base_params=inputs.params,
                      seeds=resolve_seeds(seeds), task=inputs.task, split=inputs.split,
                      data_name=inputs.data_name, data_hash=inputs.data_hash,
                      configurations=configs, image_shape=inputs.image_shape)


@dataclass
class AblationResult(ExperimentResult):
    """Each variant's scores over seeds and each technique's paired contribution."""

    @property
    def contributions(self) -> list[dict]:
        """The rows of the removed techniques (and ``plain``), with their deltas."""
        return [row for row in self.rows if row["config"] != "full"]

    def table(self):
        """The tidy table: one row per variant."""
        return to_table(self.rows, ABLATION_COLUMNS)

    def format(self) -> str:
        return format_ablation(self.rows, len(self.experiment.seeds))

    def verdicts(self) -> list[str]:
        """One line per technique: ``"dropout: helps: +1.2 ± 0.4 points ..."``."""
        return [f"{row['technique']}: {row['verdict_line']}" for row in self.contributions]


def _technique_of(config_id):
    if config_id == "plain":
        return "all techniques together"
    key = config_id.removeprefix("without-")
    return next((t.name for t in TECHNIQUES if t.key == key), key)


def _contribution_rows(rows, level=0.95):
    full = next((r for r in rows if r["config"] == "full"), None)
    for row in rows:
        row["variant"] = row["label"]
        row["technique"] = "" if row["config"] == "full" else _technique_of(row["config"])
        row["removed"] = ", ".join(f"{k}={v}" for k, v in row["overrides"].items())
        for metric in ("val", "test", "gap"):
            for stat in ("mean", "ci_low", "ci_high"):
                row[f"delta_{metric}_{stat}"] = math.nan
        row["verdict"], row["verdict_line"] = "", ""
        if full is None or row["config"] == "full":
            continue
        effects = {}
        for metric in ("val", "test", "gap"):
            diffs = paired_differences(full["scores"][metric], row["scores"][metric])
            s = summarize(diffs, level=level)
            effects[metric] = s
            row[f"delta_{metric}_mean"] = s.mean
            row[f"delta_{metric}_ci_low"], row[f"delta_{metric}_ci_high"] = s.ci_low, s.ci_high
        kind = verdict(effects["val"])
        row["verdict"] = kind
        shown = format_effect(effects["val"])
        head = f"{kind}: {shown}" if kind != "no measurable effect" else f"{kind} ({shown})"
        row["verdict_line"] = (f"{head} on validation; test {format_effect(effects['test'])}, "
                               f"gap {format_effect(effects['gap'])}")
    return rows


def format_ablation(rows, n_seeds) -> str:
    """The ablation as text: scores per variant, then each technique's contribution."""
    width = max([12, *(len(r["variant"]) for r in rows)])
    header = (f"{'variant':<{width}}  {'seeds':>5}  {'train':>12}  {'validation':>12}  "
              f"{'test':>12}  {'gap':>12}")
    lines = [f"ablation over {n_seeds} seeds — accuracy in %, mean ± std; gap = train − test "
             "in points", header, "─" * len(header)]
    for row in rows:
        seeds = f"{row['seeds']}" + (f"+{row['failed']}✗" if row["failed"] else "")
        lines.append(f"{row['variant']:<{width}}  {seeds:>5}  "
                     f"{format_cell(row['train_mean'], row['train_std'])}  "
                     f"{format_cell(row['val_mean'], row['val_std'])}  "
                     f"{format_cell(row['test_mean'], row['test_std'])}  "
                     f"{format_cell(row['gap_mean'], row['gap_std'])}")
    lines += ["", "contribution of each technique = full − without it, paired by seed, "
                  "mean ± 95 % interval (points)"]
    twidth = max([9, *(len(r["technique"]) for r in rows)])
    lines.append(f"{'technique':<{twidth}}  {'Δ validation':>14}  {'Δ test':>14}  "
                 f"{'Δ gap':>14}  verdict")
    lines.append("─" * (twidth + 70))
    for row in rows:
        if row["config"] == "full":
            continue
        cells = []
        for metric in ("val", "test", "gap"):
            mean, low, high = (row[f"delta_{metric}_{s}"] for s in ("mean", "ci_low", "ci_high"))
            if math.isnan(mean):
                cells.append(f"{'—':>14}")
            elif math.isnan(low):
                cells.append(f"{mean:>+14.1f}")
            else:
                cells.append(f"{f'{mean:+.1f} ± {(high - low) / 2:.1f}':>14}")
        lines.append(f"{row['technique']:<{twidth}}  {'  '.join(cells)}  {row['verdict']}")
    return "\n".join(lines)


def plan_ablation(recipe, data, *, seeds=5, storage=None, study=None, out=None, overrides=(),
                  target=None, task=None, test_size=0.2, split_seed=42, scale=True,
                  train_rows=None):
    """Resolve and check an ablation without running anything; returns a
    :class:`~fitwell.experiments.plan.Plan`."""
    inputs = resolve_inputs(recipe, data, overrides=overrides, target=target, task=task,
                            test_size=test_size, split_seed=split_seed, scale=scale,
                            train_rows=train_rows)
    experiment = build_ablation(inputs, seeds=seeds)
    return plan_experiment("ablate", inputs, experiment, out=out, storage=storage, study=study)


def execute_ablation(plan, jobs=1, options=None, on_progress=None) -> AblationResult:
    """Run (or resume) a planned ablation."""
    trials = execute_plan(plan, jobs=jobs, options=options, on_progress=on_progress)
    return collect_ablation(plan.experiment, plan.study_name, plan.storage_url, trials)


def run_ablation(recipe, data, *, seeds=5, jobs=1, storage=None, study=None, out=None,
                 overrides=(), target=None, task=None, test_size=0.2, split_seed=42, scale=True,
                 train_rows=None, options=None, on_progress=None) -> AblationResult:
    """Run (or resume) an ablation of ``recipe`` on ``data``; the arguments are those of
    :func:`~fitwell.experiments.sweep.run_sweep` (storage, study, jobs, out, ...)."""
    plan = plan_ablation(recipe, data, seeds=seeds, storage=storage, study=study, out=out,
                         overrides=overrides, target=target, task=task, test_size=test_size,
                         split_seed=split_seed, scale=scale, train_rows=train_rows)
    return execute_ablation(plan, jobs=jobs, options=options, on_progress=on_progress)


def collect_ablation(experiment, study_name, url, trials) -> AblationResult:
    """Summarise an ablation's stored trials: each variant's row and its contribution."""
    records = trial_records(trials)
    rows = summarize_configurations(records, experiment.config_ids)
    return AblationResult(experiment, study_name, url, list(trials), records,
                          _contribution_rows(rows))


def ablate(recipe, data, **kwargs):
    """Run (or resume) an ablation and return its table: a pandas ``DataFrame`` when
    pandas is installed, else a list of dicts. See :func:`run_ablation`."""
    return run_ablation(recipe, data, **kwargs).table()


def write_ablation_outputs(result: AblationResult, out) -> dict:
    """Write ``ablation.csv`` and ``trials.csv`` into ``out``; return the paths by name.
    The HTML report is :func:`fitwell.report.write_ablation_report`'s."""
    os.makedirs(out, exist_ok=True)
    return {"ablation": write_csv(os.path.join(out, "ablation.csv"), result.rows,
                                  ABLATION_COLUMNS),
            "trials": write_csv(os.path.join(out, "trials.csv"), result.records, TRIAL_COLUMNS)}
