"""Write ``improving_neural_networks.ipynb`` (no outputs) from the cells below.

Run ``python examples/build_notebook.py`` after editing a cell; ``make test`` executes
the notebook (tests/examples/test_notebook.py), so it cannot rot. Budgets are small
(a few dozen epochs, one or two seeds) so that it runs in well under a minute.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).with_name("improving_neural_networks.ipynb")

CELLS = [
    ("md", """# Improving neural networks, with fitwell

The classic lesson on making a network *fit well* — neither memorising its training set
nor underfitting it — one technique at a time, on scikit-learn's 8×8 digits:
overfitting, L1/L2 penalties, dropout, early stopping, augmentation, batch / layer /
group normalisation, learning-rate schedules, the improved-vs-baseline comparison, a
regularisation sweep and the final 128-64-32 challenge.

Every cell uses fitwell's public API. The epoch budgets are small so that the whole
notebook runs in well under a minute; raise `EPOCHS` to see the full effects."""),
    ("code", """%matplotlib inline
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

import fitwell
from fitwell import schedules
from fitwell.data import classic_split, load_dataset
from fitwell.experiments import fit_and_evaluate, sweep
from fitwell.recipe import load_recipe
from fitwell.report import (
    ComparisonDisplay,
    GapBarDisplay,
    LossCurveDisplay,
    ScheduleComparisonDisplay,
)
from fitwell.training.augment import make_augmenter

warnings.simplefilter("ignore", ConvergenceWarning)  # fixed epoch budgets, on purpose
warnings.filterwarnings("ignore", message="IProgress not found")  # no widgets needed
EPOCHS = 40
digits = load_dataset("digits")
split = classic_split(digits, test_size=0.2, validation_fraction=0.2, random_state=42)
print(f"{len(split.y_train)} training, {len(split.y_val)} validation, "
      f"{len(split.y_test)} test images of {digits.image_shape}")


def table(runs):
    \"\"\"Scores in %, the train-test gap in points, and the verdict of each run.\"\"\"
    rows = [{"run": r.name, "train": 100 * r.train_score, "valid": 100 * r.val_score,
             "test": 100 * r.test_score, "gap": r.gap, "epochs": r.epochs_run,
             "verdict": r.verdict.kind} for r in runs]
    return pd.DataFrame(rows).set_index("run").round(1)


def run(name, **params):
    \"\"\"Train one configuration (128 hidden units unless told otherwise).\"\"\"
    params = {"hidden_layer_sizes": (128,), "max_iter": EPOCHS, "random_state": 0,
              "tol": 0.0, "n_iter_no_change": EPOCHS, **params}
    return fit_and_evaluate(params, split, name=name)"""),
    ("md", """## 1. Overfitting

A network with more capacity than data memorises the training set: the training loss
keeps falling while the validation loss turns back up. To make it visible in a few
epochs we train a wide network on only 200 of the training images."""),
    ("code", """small = classic_split(digits, test_size=0.2, validation_fraction=0.2,
                      random_state=42)
small.X_train, small.y_train = small.X_train[:200], small.y_train[:200]
overfit = fit_and_evaluate({"hidden_layer_sizes": (256, 256), "max_iter": 80, "tol": 0.0,
                            "n_iter_no_change": 80, "learning_rate_init": 0.003,
                            "random_state": 0}, small, name="200 images")
LossCurveDisplay.from_history(overfit.history, name="wide network, 200 images")
plt.show()
print(overfit.verdict.message)"""),
    ("md", """## 2. L1 and L2 penalties

`alpha` adds an L2 penalty (scikit-learn's convention: divided by the batch size),
`l1` an L1 penalty; both act on the weight matrices only. L2 shrinks the large weights
most, L1 pulls every weight towards zero by the same step, so the small ones gather
there (with Adam they hover near zero rather than landing exactly on it)."""),
    ("code", """penalised = [run("plain"), run("L2 alpha=1", alpha=1.0), run("L1 1e-2", l1=1e-2)]
fig, ax = plt.subplots(figsize=(6, 3))
for r in penalised:
    weights = np.abs(r.estimator.coefs_[0]).ravel()
    ax.hist(weights, bins=60, histtype="step", label=r.name, log=True)
ax.set(xlabel="|weight| of the first layer", ylabel="count")
ax.legend()
plt.show()
table(penalised)"""),
    ("md", """## 3. Dropout

Dropout zeroes a random share of the hidden units at every training step (and scales
the rest), so no unit can rely on another; at prediction time nothing is dropped."""),
    ("code", """dropped = [run("dropout 0", dropout=0.0), run("dropout 0.3", dropout=0.3),
           run("dropout 0.6", dropout=0.6)]
ComparisonDisplay(dropped).plot()
plt.show()
table(dropped)"""),
    ("md", """## 4. Early stopping

With `early_stopping=True` training watches the validation score, stops after
`n_iter_no_change` epochs without improvement, and restores the best epoch's weights
*and* batch-norm statistics (`restore_best_weights=True`)."""),
    ("code", """stopped = run("early stopping", early_stopping=True, monitor="val_loss",
              max_iter=100, n_iter_no_change=5, tol=1e-4, learning_rate_init=0.01)
LossCurveDisplay.from_history(stopped.history, best_epoch=stopped.best_epoch,
                              name="early stopping")
plt.show()
print(f"stopped after {stopped.epochs_run} epochs, kept epoch {stopped.best_epoch}")"""),
    ("md", """## 5. Data augmentation

Each training batch is perturbed on the fly — here shifted by up to one pixel — so the
network sees a slightly different image every epoch. Validation and test data are never
augmented."""),
    ("code", """shift = make_augmenter(["shift"], image_shape=(8, 8))
shifted, _ = shift(split.X_train[:6], split.y_train[:6], np.random.default_rng(0))
fig, axes = plt.subplots(2, 6, figsize=(7, 2.6))
for column in range(6):
    axes[0, column].imshow(split.X_train[column].reshape(8, 8), cmap="gray_r")
    axes[1, column].imshow(shifted[column].reshape(8, 8), cmap="gray_r")
for ax in axes.ravel():
    ax.set_axis_off()
axes[0, 0].set_title("original", loc="left")
axes[1, 0].set_title("shifted", loc="left")
plt.show()
augmented = [run("no augmentation"), run("shift", augment=["shift"], image_shape=(8, 8))]
table(augmented)"""),
    ("md", """## 6. Batch, layer and group normalisation

Batch norm normalises each unit over the batch (running statistics at prediction time,
PyTorch's momentum convention); layer norm normalises each sample over its units; group
norm over groups of units."""),
    ("code", """normed = [run(f"{kind or 'no'} norm", normalization=kind,
              hidden_layer_sizes=(64, 64))
          for kind in (None, "batch", "layer", "group")]
ComparisonDisplay(normed).plot()
plt.show()
table(normed)"""),
    ("md", """## 7. Learning-rate schedules

Five ways to lower the learning rate over training, as closed forms of the epoch (the
plateau schedule reacts to a validation loss that stops improving)."""),
    ("code", """ScheduleComparisonDisplay.from_schedules({
    "step decay": schedules.StepDecay(0.01, step_size=30, gamma=0.3),
    "exponential": schedules.Exponential(0.01, gamma=0.97),
    "cosine": schedules.CosineAnnealing(0.01, t_max=100),
    "warm-up + cosine": schedules.Warmup(schedules.CosineAnnealing(0.01, t_max=95), 5,
                                         start_factor=0.1),
    "one cycle": schedules.OneCycle(0.01, total_steps=100),
    "reduce on plateau": schedules.ReduceLROnPlateau(0.01, factor=0.3, patience=5),
}, epochs=100)
plt.show()"""),
    ("md", """## 8. Improved versus baseline

The shipped `baseline` recipe (128 units, nothing else) against the `improved` one
(dropout 0.3, L2, batch norm, a cosine schedule, early stopping), on a short budget."""),
    ("code", """recipes = [load_recipe("baseline", overrides=[f"max_iter={EPOCHS}"]),
           load_recipe("improved", overrides=[f"max_iter={EPOCHS}"])]
compared = [fit_and_evaluate(r.params, split, name=r.name) for r in recipes]
ComparisonDisplay(compared).plot()
GapBarDisplay.from_runs(compared)
plt.show()
for r in compared:
    print(f"{r.name}: {r.verdict.message}")
table(compared)"""),
    ("md", """## 9. Which regularisation helps? A small sweep

`sweep` runs every configuration of a grid over seeds (here two) and ranks them by
validation score — never test. Each trial is stored, so running the cell again
resumes instead of starting over."""),
    ("code", """summary = sweep("challenge", "digits",
                {"dropout": [0.0, 0.3], "alpha": [1e-3, 0.1]}, seeds=2,
                overrides=["max_iter=15", "early_stopping=false"], out="sweep-output")
summary[["rank", "label", "val_mean", "val_std", "test_mean", "gap_mean"]].round(2)"""),
    ("md", """## 10. The challenge: 128-64-32

Three hidden layers with everything together: batch norm, dropout, L2, a cosine
schedule with warm-up, AdamW and early stopping. Then the deployable model: saved as
plain arrays (`fitwell.save`) and exported to ONNX (`fitwell.to_onnx`)."""),
    ("code", """challenge = fit_and_evaluate({
    "hidden_layer_sizes": (128, 64, 32), "normalization": "batch", "dropout": 0.2,
    "alpha": 0.1, "solver": "adamw", "weight_decay": 0.01, "learning_rate": "cosine",
    "warmup_epochs": 3, "batch_size": 32, "max_iter": 60, "early_stopping": True,
    "monitor": "val_loss", "n_iter_no_change": 10, "random_state": 0}, split,
    name="challenge")
LossCurveDisplay.from_history(challenge.history, best_epoch=challenge.best_epoch,
                              name="128-64-32")
plt.show()
print(challenge.verdict.message)
fitwell.save(challenge.estimator, "challenge.npz")
onnx_model = fitwell.to_onnx(fitwell.load("challenge.npz"))
print("ONNX inputs:", [i.name for i in onnx_model.graph.input],
      "outputs:", [o.name for o in onnx_model.graph.output])
table([challenge])"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, cells without outputs."""
    notebook = new_notebook(cells=[new_markdown_cell(text) if kind == "md" else
                                   new_code_cell(text) for kind, text in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


if __name__ == "__main__":
    nbformat.write(build(), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
