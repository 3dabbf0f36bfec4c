"""The overfitting verdict: is a run overfitting, underfitting, or a good fit — and what to change.

The rules, applied in order to a run's learning curves and final scores (scores in
points, i.e. accuracy × 100 or R² × 100; the *gap* is train − test, or train −
validation when there is no test set):

1. **Diverged** — training produced a non-finite loss.
2. **Overfitting** — the gap exceeds ``gap_threshold`` (3 points), *or* the
   curves part ways: the validation loss ended more than ``rise_threshold``
   (10 %) above its minimum while the training loss kept falling, and the gap
   is above half the threshold.
3. **Underfitting** — the training score is below ``underfit_score`` (90 points),
   or, with the training score below ``100 − gap_threshold``, the training loss
   was still falling by more than ``still_falling`` (5 %) over the last fifth of
   the epochs when training stopped at its epoch limit.

When the run restored an earlier best epoch (early stopping), only the curves up
to that epoch are judged: the model delivered is that epoch's.
4. **Good fit** — otherwise.

Each verdict comes with one concrete suggestion that takes the run's own
settings into account (no "add dropout" to a run that already has plenty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Verdict", "diagnose", "finite_or_none"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`diagnose`.

    Attributes
    ----------
    kind : {"overfitting", "underfitting", "good fit", "diverged"}
    gap : float
        Train minus test (or validation) score, in points.
    message : str
        One line: the verdict, the evidence and what to try.
    """

    kind: str
    gap: float
    message: str

    def __str__(self):
        return self.message


def finite_or_none(value):
    """``float(value)``, or ``None`` for a missing, NaN or infinite value."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _finite(values):
    return [v for v in values if finite_or_none(v) is not None]


def _overfit_advice(params):
    dropout = params.get("dropout", 0.0)
    dropout = max(dropout) if isinstance(dropout, list | tuple) and dropout else dropout or 0.0
    tips = []
    if dropout < 0.3:
        tips.append("dropout 0.3")
    if (params.get("alpha") or 0.0) < 1e-3 and not params.get("weight_decay"):
        tips.append("weight decay 1e-3 (alpha=1e-3)")
    if not params.get("early_stopping"):
        tips.append("early stopping")
    if not params.get("augment"):
        tips.append("data augmentation")
    if not tips:
        tips.append("more training data or a smaller network")
    return "try " + " or ".join(tips[:2])


def _underfit_advice(params, limit_reached):
    tips = []
    if limit_reached:
        tips.append("more epochs (max_iter)")
    dropout = params.get("dropout", 0.0)
    dropout = max(dropout) if isinstance(dropout, list | tuple) and dropout else dropout or 0.0
    if dropout >= 0.3 or (params.get("alpha") or 0.0) >= 1e-2:
        tips.append("less regularisation")
    tips.append("a wider or deeper network")
    return "try " + " or ".join(tips[:2])


def diagnose(history, train_score, test_score=None, val_score=None, *, params=None,
             max_epochs=None, best_epoch=None, gap_threshold=3.0, rise_threshold=0.10,
             underfit_score=90.0, still_falling=0.05, diverged=False):
    """Judge one run from its history and final scores (fractions in ``[0, 1]``).

    Parameters
    ----------
    history : fitwell.training.History
    train_score, test_score, val_score : float
        Final scores as fractions (accuracy or R²); ``test_score`` may be None.
    params : dict, optional
        The estimator's parameters, to tailor the suggestion.
    max_epochs : int, optional
        The epoch limit, to tell "stopped early" from "ran out of epochs".
    best_epoch : int, optional
        The epoch whose state was restored; later epochs are not judged.

    Returns
    -------
    Verdict
    """
    params = params or {}
    reference = test_score if test_score is not None else val_score
    reference_name = "train–test" if test_score is not None else "train–validation"
    gap = 100.0 * (train_score - reference) if reference is not None else 0.0
    if diverged:
        return Verdict("diverged", gap, "diverged: the loss became non-finite — lower the "
                                        "learning rate or set clip_grad_norm=1.0")
    # With the best epoch restored, the model delivered is that epoch's: judge the
    # curves up to it (early stopping exists precisely to cut what comes after).
    end = best_epoch if best_epoch else len(history)
    train_loss = _finite(history["train_loss"][:end]) if len(history) else []
    val_loss = _finite(history["val_loss"][:end]) if len(history) else []
    curves_part = False
    if len(val_loss) >= 5 and len(train_loss) >= 5:
        best_val = min(val_loss)
        rose = best_val > 0 and (val_loss[-1] - best_val) / best_val > rise_threshold
        train_fell = train_loss[-1] < train_loss[val_loss.index(best_val)]
        curves_part = rose and train_fell
    if gap > gap_threshold or (curves_part and gap > gap_threshold / 2):
        evidence = f"the {reference_name} gap is {gap:.1f} points"
        if curves_part:
            evidence += " and the validation loss rose while the training loss fell"
        return Verdict("overfitting", gap, f"overfitting: {evidence} — {_overfit_advice(params)}")
    limit_reached = max_epochs is not None and len(history) >= max_epochs
    falling = False
    if limit_reached and len(train_loss) >= 5:
        window = max(2, len(train_loss) // 5)
        before, after = train_loss[-window], train_loss[-1]
        falling = before > 0 and (before - after) / before > still_falling
    # A loss still falling only means underfitting while the training score has room.
    falling = falling and 100.0 * train_score < 100.0 - gap_threshold
    if 100.0 * train_score < underfit_score or falling:
        evidence = f"the training score is only {100 * train_score:.1f}" \
            if 100.0 * train_score < underfit_score else \
            "the training loss was still falling when the epochs ran out"
        return Verdict("underfitting", gap,
                       f"underfitting: {evidence} — {_underfit_advice(params, limit_reached)}")
    return Verdict("good fit", gap, f"good fit: the {reference_name} gap is {gap:.1f} points "
                                    f"with a training score of {100 * train_score:.1f}")
