"""From stored trials to tables: one record per trial, one result per unit, one row
per configuration (mean, std and 95 % interval over seeds).

Scores in records and tables are in points (accuracy × 100, or R² × 100); the gap
is train − test in points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._files import atomic_write
from .definition import Experiment
from .stats import summarize
from .storage import safe_url

__all__ = ["METRICS", "TRIAL_COLUMNS", "ExperimentResult", "trial_records", "unit_results",
           "summarize_configurations", "to_table",
           "format_cell", "write_csv"]

#: (record key, trial attribute, scale)
METRICS = (("train", "fitwell_train", 100.0), ("val", "fitwell_val", 100.0),
           ("test", "fitwell_test", 100.0), ("gap", "fitwell_gap", 1.0))

#: the columns of ``trials.csv``: one row per trial, interrupted attempts included
TRIAL_COLUMNS = ("trial", "unit", "config", "label", "seed", "status", "train", "val", "test",
                 "gap", "epochs", "fit_time", "error")


@dataclass
class ExperimentResult:
    """What every experiment's result holds: the experiment, where its study lives, its
    trials, one record per trial and one row per configuration."""

    experiment: Experiment
    study_name: str
    storage_url: str
    trials: list
    records: list
    rows: list

    @property
    def storage_label(self) -> str:
        """The storage URL with any password masked, for reports and messages."""
        return safe_url(self.storage_url)

    @property
    def n_failed(self) -> int:
        """Units whose trial raised."""
        return sum(row["failed"] for row in self.rows)

    @property
    def n_interrupted(self) -> int:
        """Attempts cut off and run again (not failures)."""
        return sum(r["status"] == "interrupted" for r in self.records)

    def trials_table(self):
        """One row per trial, interrupted attempts included."""
        return to_table(self.records, TRIAL_COLUMNS)


def _state(trial):
    status = trial.user_attrs.get("fitwell_status")
    if status in (None, "running"):
        return "running" if trial.state.name == "RUNNING" else trial.state.name.lower()
    return status


def trial_records(trials) -> list[dict]:
    """One dict per fitwell trial: unit, configuration, seed, status, scores, error."""
    out = []
    for trial in sorted(trials, key=lambda t: t.number):
        attrs = trial.user_attrs
        if "fitwell_unit" not in attrs:
            continue
        record = {"trial": trial.number, "unit": attrs["fitwell_unit"],
                  "config": attrs.get("fitwell_config"), "label": attrs.get("fitwell_label"),
                  "seed": attrs.get("fitwell_seed"), "status": _state(trial)}
        for key, attr, scale in METRICS:
            value = attrs.get(attr)
            record[key] = math.nan if value is None else float(value) * scale
        record["epochs"] = attrs.get("fitwell_epochs")
        record["fit_time"] = attrs.get("fitwell_fit_time")
        record["error"] = attrs.get("fitwell_error", "") if record["status"] == "error" else ""
        record["overrides"] = attrs.get("fitwell_overrides") or {}
        record["history"] = attrs.get("fitwell_history")
        out.append(record)
    return out


def unit_results(records) -> dict:
    """``(config, seed) -> record`` of each unit's result: its first complete trial, or
    its failure. Interrupted and superseded attempts are not results."""
    results = {}
    for record in records:
        key = (record["config"], record["seed"])
        if record["status"] == "complete":
            if key not in results or results[key]["status"] != "complete":
                results[key] = record
        elif record["status"] == "error" and key not in results:
            results[key] = record
    return results


def summarize_configurations(records, config_ids, level=0.95) -> list[dict]:
    """One row per configuration, in ``config_ids`` order (unsorted).

    Each row: ``config``, ``label``, ``overrides``, ``seeds`` (complete runs),
    ``failed`` and, for train, val, test and gap, ``*_mean``, ``*_std``,
    ``*_ci_low`` and ``*_ci_high``; ``scores`` keeps the per-seed values.
    """
    results = unit_results(records)
    rows = []
    for config_id in config_ids:
        mine = [r for (c, _), r in sorted(results.items(), key=lambda kv: str(kv[0]))
                if c == config_id]
        complete = [r for r in mine if r["status"] == "complete"]
        any_record = mine[0] if mine else next((r for r in records if r["config"] == config_id),
                                               None)
        row = {"config": config_id,
               "label": any_record["label"] if any_record else config_id,
               "overrides": any_record["overrides"] if any_record else {},
               "seeds": len(complete), "failed": len(mine) - len(complete)}
        row["scores"] = {key: {r["seed"]: r[key] for r in complete} for key, _, _ in METRICS}
        for key, _, _ in METRICS:
            s = summarize(row["scores"][key].values(), level=level)
            row[f"{key}_mean"], row[f"{key}_std"] = s.mean, s.std
            high = s.ci_high
            if key != "gap" and high == high:
                high = min(high, 100.0)  # a score in points (accuracy, R²) never exceeds 100
            row[f"{key}_ci_low"], row[f"{key}_ci_high"] = s.ci_low, high
        rows.append(row)
    return rows


def _plain(value):
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


def to_table(rows, columns):
    """A pandas ``DataFrame`` of ``rows`` restricted to ``columns`` if pandas is
    installed, else a list of dicts."""
    records = [{c: _plain(row.get(c)) for c in columns} for row in rows]
    try:
        import pandas as pd
    except ImportError:
        return records
    return pd.DataFrame.from_records(records, columns=list(columns))


def format_cell(mean, std, width=12) -> str:
    """``"97.2 ± 0.5"`` (or ``"97.2"`` with one seed, ``"—"`` with none)."""
    if mean is None or math.isnan(mean):
        return f"{'—':>{width}}"
    if std is None or math.isnan(std):
        return f"{mean:>{width}.1f}"
    return f"{f'{mean:.1f} ± {std:.1f}':>{width}}"


def write_csv(path, rows, columns) -> str:
    """Write ``rows`` (dicts) restricted to ``columns`` as CSV, atomically; return
    ``path``."""
    import csv

    with atomic_write(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            cells = []
            for column in columns:
                value = _plain(row.get(column))
                if isinstance(value, float):
                    value = "" if math.isnan(value) else f"{value:.6g}"
                cells.append("" if value is None else value)
            writer.writerow(cells)
    return path
