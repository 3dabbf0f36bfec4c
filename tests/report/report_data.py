"""Hand-built inputs for the report's tests: histories with a known best epoch, and
stand-ins for the results the report is handed (a run, a sweep, an ablation) with exactly
the attributes the report reads — so these tests do not depend on fitwell.experiments.

Imported by the tests next to it (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

from fitwell.training.history import History
from fitwell.verdict import Verdict


def make_history(epochs=20, best=8, lr=None):
    """Validation loss lowest at ``best``, then rising; training loss always falling."""
    history = History()
    for e in range(1, epochs + 1):
        train_loss = 2.0 * math.exp(-e / 5) + 0.05
        val_loss = 2.0 * math.exp(-min(e, best) / 5) + 0.3 + 0.04 * max(0, e - best)
        score = 1 - 0.5 * math.exp(-e / 4)
        history.append(train_loss=train_loss, val_loss=val_loss,
                       train_score=min(score + 0.01 * e / epochs, 1.0),
                       val_score=score - 0.02 * max(0, e - best) / epochs,
                       lr=lr(e - 1) if lr else 0.01, time=0.01)
    return history


@dataclass
class Run:
    """The attributes of a run result that the run report reads."""

    name: str
    history: History
    train_score: float
    val_score: float
    test_score: float
    epochs_run: int
    best_epoch: int
    fit_time: float
    verdict: Verdict
    params: dict = field(default_factory=dict)
    metric: str = "accuracy"

    @property
    def gap(self):
        return 100.0 * (self.train_score - self.test_score)


def make_run(name, *, best=8, train=0.99, val=0.95, test=0.94, kind="overfitting",
             epochs=20, metric="accuracy"):
    gap = 100 * (train - test)
    return Run(name=name, history=make_history(epochs, best), train_score=train,
               val_score=val, test_score=test, epochs_run=epochs, best_epoch=best,
               fit_time=1.25,
               verdict=Verdict(kind, gap, f"{kind}: the train–test gap is {gap:.1f} "
                                          "points — try <dropout> & friends"),
               params={"hidden_layer_sizes": (32,), "dropout": 0.0}, metric=metric)


def _scores(prefix, mean, std, low, high):
    return {f"{prefix}_mean": mean, f"{prefix}_std": std, f"{prefix}_ci_low": low,
            f"{prefix}_ci_high": high}


def config_row(config, overrides, val, *, rank=1, seeds=2, failed=0, spread=1.0):
    """A sweep's configuration row: validation ``val`` points, train 3 above, test 1
    below, each ± ``spread`` with the interval ± 2 ``spread`` (``nan`` for one seed)."""
    interval = 2 * spread if seeds > 1 else math.nan
    row = {"config": config, "rank": rank, "overrides": overrides, "seeds": seeds,
           "failed": failed,
           "label": " ".join(f"{k}={v}" for k, v in overrides.items())}
    for prefix, mean in (("train", val + 3), ("val", val), ("test", val - 1), ("gap", 4.0)):
        std = spread if seeds > 1 else math.nan
        row.update(_scores(prefix, mean, std, mean - interval, mean + interval))
    return row


def curve_history(final):
    """A per-seed history dict as a sweep stores it: scores as fractions, one ``None``."""
    return {"train_score": [0.5, 0.8, final + 0.02], "val_score": [0.4, None, final]}


@dataclass
class Sweep:
    """The attributes of a sweep result that the sweep report reads."""

    experiment: SimpleNamespace
    study_name: str
    storage_label: str
    rows: list
    records: list
    params_keys: list
    n_complete: int
    n_failed: int
    n_interrupted: int
    curves: dict  # config -> list of per-seed histories

    @property
    def best(self):
        return self.rows[0] if self.rows and self.rows[0]["seeds"] else None

    @property
    def worst(self):
        done = [r for r in self.rows if r["seeds"]]
        return done[-1] if done else None

    def histories(self, row):
        return self.curves.get(row["config"], [])


def experiment(seeds=(0, 1), *, space=None, n_units=8):
    """The attributes of an experiment definition that the reports read."""
    return SimpleNamespace(recipe_name="base <line>", data_name="digits", seeds=list(seeds),
                           space=space, units=lambda: [("c", s) for s in range(n_units)])


def grid_sweep():
    """A 2 × 2 grid over dropout and alpha, 2 seeds, one failed trial, best first."""
    rows = [config_row("c1", {"dropout": 0.2, "alpha": 0.01}, 97.0, rank=1),
            config_row("c0", {"dropout": 0.0, "alpha": 0.01}, 95.5, rank=2),
            config_row("c3", {"dropout": 0.2, "alpha": 0.0001}, 94.0, rank=3),
            config_row("c2", {"dropout": 0.0, "alpha": 0.0001}, 93.0, rank=4, seeds=1,
                       failed=1)]
    records = [{"trial": 7, "unit": "c2/s1", "status": "error",
                "error": "ParameterError: <boom>"},
               {"trial": 3, "unit": "c1/s0", "status": "complete", "error": ""}]
    curves = {"c1": [curve_history(0.97), curve_history(0.96)], "c2": [curve_history(0.93)]}
    return Sweep(experiment(), "sweep-study", "postgresql://me:***@db.example/x", rows,
                 records, ["dropout", "alpha"], n_complete=7, n_failed=1, n_interrupted=2,
                 curves=curves)


def search_sweep():
    """A search: ``alpha`` a log range, ``normalization`` a list of choices."""
    log_range = SimpleNamespace(low=1e-4, high=1e-1, log=True)
    rows = [config_row("t0", {"alpha": 0.003, "normalization": "batch"}, 96.0, rank=1),
            config_row("t1", {"alpha": 0.05, "normalization": "layer"}, 94.0, rank=2)]
    space = {"alpha": log_range, "normalization": ["batch", "layer"]}
    return Sweep(experiment(space=space, n_units=4), "search-study", "study.db", rows, [],
                 ["alpha", "normalization"], n_complete=4, n_failed=0, n_interrupted=0,
                 curves={"t0": [curve_history(0.96)], "t1": [curve_history(0.94)]})


def variant_row(config, technique, removed, deltas, verdict):
    """An ablation variant row; ``deltas`` is (val, test, gap) mean contributions."""
    row = {"config": config, "variant": config, "removed": removed, "seeds": 2, "failed": 0,
           "technique": technique, "verdict": verdict,
           "verdict_line": f"{verdict}: {deltas[0]:+.1f} points"}
    for prefix, mean in (("train", 99.0), ("val", 96.0), ("test", 95.0), ("gap", 4.0)):
        row.update(_scores(prefix, mean, 0.5, mean - 1, mean + 1))
    for metric, delta in zip(("val", "test", "gap"), deltas, strict=True):
        row[f"delta_{metric}_mean"] = delta
        row[f"delta_{metric}_ci_low"] = delta - 0.5 if not math.isnan(delta) else math.nan
        row[f"delta_{metric}_ci_high"] = delta + 0.5 if not math.isnan(delta) else math.nan
    return row


@dataclass
class Ablation:
    """The attributes of an ablation result that the ablation report reads."""

    experiment: SimpleNamespace
    study_name: str
    storage_label: str
    rows: list

    @property
    def contributions(self):
        return [row for row in self.rows if row["config"] != "full"]

    def verdicts(self):
        return [f"{row['technique']}: {row['verdict_line']}" for row in self.contributions]


def ablation(deltas=((1.5, 1.0, -0.8), (-2.0, -1.0, 0.5), (0.1, -0.1, 0.0))):
    """The full recipe and three variants: one that helps, one that hurts, one neutral."""
    nan = (math.nan, math.nan, math.nan)
    rows = [variant_row("full", "", "", nan, "")]
    names = [("without-dropout", "dropout <p>", "dropout", "helps"),
             ("without-alpha", "penalties", "alpha", "hurts"),
             ("plain", "all techniques together", "dropout, alpha", "no measurable effect")]
    for (config, technique, removed, verdict), delta in zip(names, deltas, strict=True):
        rows.append(variant_row(config, technique, removed, delta, verdict))
    return Ablation(experiment(), "ablation-study", "study.db", rows)
