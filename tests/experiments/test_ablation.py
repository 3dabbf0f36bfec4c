"""Ablations: which techniques a recipe uses, the variants, the paired contributions and
verdicts, and the real thing: ``fitwell ablate`` with the challenge recipe on digits."""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import pytest

from fitwell.errors import ExperimentError
from fitwell.experiments.ablation import (
    _contribution_rows,
    build_ablation,
    format_ablation,
    techniques_used,
)
from fitwell.experiments.inputs import resolve_inputs
from fitwell.experiments.results import summarize_configurations
from fitwell.recipe import load_recipe

CHALLENGE_TECHNIQUES = ["dropout", "penalties", "normalization", "schedule", "early_stopping"]


def test_the_challenge_recipe_uses_five_techniques():
    params = load_recipe("challenge").params
    assert [t.key for t in techniques_used(params)] == CHALLENGE_TECHNIQUES


def test_every_technique_is_recognised_and_removable():
    params = {"dropout": [0.1, 0.0], "l1": 1e-4, "alpha": 0.0, "normalization": "layer",
              "learning_rate": "constant", "warmup_epochs": 3, "early_stopping": False,
              "augment": ["noise"], "clip_grad_norm": 1.0, "label_smoothing": 0.1,
              "hidden_layer_sizes": [8, 8]}
    assert [t.key for t in techniques_used(params)] == [
        "dropout", "penalties", "normalization", "schedule", "augmentation", "clipping",
        "label_smoothing"]
    # sklearn's default alpha=1e-4 is an L2 penalty: a recipe that leaves it out uses it
    assert [t.key for t in techniques_used({"alpha": 0.0})] == []
    assert [t.key for t in techniques_used({})] == ["penalties"]


def test_the_variants_are_full_one_per_technique_and_plain():
    inputs = resolve_inputs("challenge", "iris")
    experiment = build_ablation(inputs, seeds=3)
    ids = [c.id for c in experiment.configurations]
    assert ids == ["full", *(f"without-{k}" for k in CHALLENGE_TECHNIQUES), "plain"]
    plain = experiment.configurations[-1].overrides
    assert plain["dropout"] == 0.0 and plain["normalization"] == "none"
    assert plain["early_stopping"] is False and plain["learning_rate"] == "constant"
    assert experiment.seeds == [0, 1, 2]
    with pytest.raises(ExperimentError, match="uses none of the techniques"):
        build_ablation(resolve_inputs({"alpha": 0.0}, "iris"))


def _records(values_by_config):
    """Hand-made trial records: {config: {seed: (train, val, test)}} in points."""
    out = []
    for config, by_seed in values_by_config.items():
        for seed, (train, val, test) in by_seed.items():
            out.append({"trial": len(out), "unit": f"{config}/seed={seed}", "config": config,
                        "label": config, "seed": seed, "status": "complete", "train": train,
                        "val": val, "test": test, "gap": train - test, "overrides": {},
                        "history": None, "error": ""})
    return out


def test_contributions_are_paired_by_seed_with_verdicts():
    records = _records({
        # full beats "without-dropout" by exactly 1 point on every seed, although the
        # seeds differ by much more: pairing sees the effect, unpaired intervals would not
        "full": {0: (99, 90, 89), 1: (99, 95, 94), 2: (99, 85, 84)},
        "without-dropout": {0: (99, 89, 88), 1: (99, 94, 93), 2: (99, 84, 83)},
        "without-penalties": {0: (99, 91, 89), 1: (99, 96, 94), 2: (99, 86, 84)},
        "without-normalization": {0: (99, 90, 89), 1: (99, 94, 94), 2: (99, 86, 84)},
    })
    rows = _contribution_rows(summarize_configurations(
        records, ["full", "without-dropout", "without-penalties", "without-normalization"]))
    by = {r["config"]: r for r in rows}
    dropout = by["without-dropout"]
    assert dropout["delta_val_mean"] == pytest.approx(1.0)
    assert dropout["delta_val_ci_low"] == pytest.approx(1.0)  # no spread in the differences
    assert dropout["verdict"] == "helps"
    assert dropout["verdict_line"].startswith("helps: +1.0 ± 0.0 points")
    assert dropout["delta_gap_mean"] == pytest.approx(0.0 - 1.0)
    assert by["without-penalties"]["verdict"] == "hurts"
    assert by["without-normalization"]["verdict"] == "no measurable effect"
    assert math.isnan(by["full"]["delta_val_mean"]) and by["full"]["verdict"] == ""
    text = format_ablation(rows, 3)
    assert "dropout" in text and "helps" in text and "hurts" in text


def test_fitwell_ablate_on_digits_with_the_challenge_recipe(tmp_path):
    out = tmp_path / "ablate"
    run = subprocess.run(
        [sys.executable, "-m", "fitwell", "ablate", "challenge", "--data", "digits",
         "--seeds", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    with open(out / "ablation.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # the rows match the recipe's techniques: full, one per technique, plain
    assert [r["variant"] for r in rows] == [
        "full recipe", "dropout off", "penalties off", "normalisation off",
        "constant learning rate", "no early stopping", "plain (all removed)"]
    assert all(r["seeds"] == "2" and r["failed"] == "0" for r in rows)
    contributions = [float(r[f"delta_{m}_mean"]) for r in rows[1:] for m in ("val", "test")]
    assert any(c > 0 for c in contributions), "no technique contributed anything positive"
    assert all(r["verdict"] in ("helps", "hurts", "no measurable effect") for r in rows[1:])
    assert "normalisation" in run.stdout and "verdict" in run.stdout
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in report
    assert "src=\"http" not in report and "<link" not in report and "<script" not in report
