"""The overfitting verdict's documented rules, on scripted learning curves."""

from __future__ import annotations

from fitwell.training.history import History
from fitwell.verdict import diagnose


def history(train_loss, val_loss):
    h = History()
    for t, v in zip(train_loss, val_loss, strict=True):
        h.append(train_loss=t, val_loss=v, lr=0.1, time=0.0)
    return h


FLAT = history([1.0, 0.5, 0.3, 0.2, 0.15, 0.12], [1.0, 0.6, 0.4, 0.3, 0.25, 0.24])


def test_a_large_gap_is_overfitting_with_a_suggestion():
    verdict = diagnose(FLAT, train_score=1.0, test_score=0.939, params={"dropout": 0.0})
    assert verdict.kind == "overfitting"
    assert "6.1 points" in verdict.message
    assert "dropout 0.3" in verdict.message


def test_suggestion_respects_what_the_run_already_uses():
    verdict = diagnose(FLAT, 1.0, 0.9, params={"dropout": 0.5, "alpha": 0.01,
                                                 "early_stopping": True})
    assert "dropout" not in verdict.message.split("—")[1]


def test_curves_parting_is_overfitting_even_with_a_moderate_gap():
    parting = history([1.0, 0.5, 0.3, 0.2, 0.1, 0.05], [1.0, 0.6, 0.4, 0.45, 0.5, 0.6])
    assert diagnose(parting, 1.0, 0.98).kind == "overfitting"
    assert diagnose(FLAT, 1.0, 0.98).kind == "good fit"


def test_restored_best_epoch_hides_the_curves_after_it():
    parting = history([1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03], [1.0, 0.6, 0.4, 0.35, 0.3, 0.5, 0.6])
    assert diagnose(parting, 1.0, 0.98).kind == "overfitting"
    assert diagnose(parting, 1.0, 0.98, best_epoch=5).kind == "good fit"


def test_low_training_score_is_underfitting():
    verdict = diagnose(FLAT, train_score=0.7, test_score=0.69)
    assert verdict.kind == "underfitting"
    assert "70.0" in verdict.message


def test_loss_still_falling_at_the_epoch_limit_is_underfitting_only_with_room_to_learn():
    falling = history([1.0, 0.8, 0.6, 0.45, 0.3, 0.2], [1.0, 0.8, 0.6, 0.45, 0.3, 0.2])
    assert diagnose(falling, 0.93, 0.92, max_epochs=6).kind == "underfitting"
    assert "more epochs" in diagnose(falling, 0.93, 0.92, max_epochs=6).message
    assert diagnose(falling, 0.995, 0.98, max_epochs=6).kind == "good fit"
    assert diagnose(falling, 0.93, 0.92, max_epochs=50).kind == "good fit"


def test_divergence_comes_first():
    assert diagnose(FLAT, 1.0, 0.5, diverged=True).kind == "diverged"


def test_validation_is_the_reference_without_a_test_set():
    verdict = diagnose(FLAT, 1.0, test_score=None, val_score=0.9)
    assert verdict.kind == "overfitting"
    assert "train–validation" in verdict.message
