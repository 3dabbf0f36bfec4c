"""The digits challenge: reproduce the acceptance figure, then look for a better recipe.

The data are split as in the classic walkthrough: ``train_test_split(test_size=0.2,
random_state=42)``, then 20 % of the rest held out for validation (``random_state=42``),
a ``StandardScaler`` fitted on the training part only. Every fit gets the validation
set as ``validation_data`` (early stopping and the restored best epoch use it).

1. The baseline — the 128-64-32 recipe of ``tests/test_acceptance.py`` — over 5 seeds.
2. A search over augmentation, AdamW weight decay, label smoothing, dropout, warm-up
   and wider layers: every candidate is scored on 2 seeds, the best few again on 5,
   and the winner is the one with the highest mean *validation* accuracy (ties:
   lower mean validation log-loss). The test set is looked at only to report.

Run ``python benchmarks/digits_challenge.py`` (a few minutes on two cores);
``--write-recipe recipes/best_digits.toml`` also writes the winner as a recipe and
``--quick`` runs a reduced search.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # small matrices: threads only add overhead

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402

from fitwell import FitwellClassifier  # noqa: E402
from fitwell.data import classic_split, load_dataset  # noqa: E402
from fitwell.recipe import load_recipe  # noqa: E402

SEEDS = (0, 1, 2, 3, 4)
SEARCH_SEEDS = (0, 1)
FINALISTS = 4

#: The acceptance recipe (kept equal to tests/test_acceptance.py).
#: The shipped challenge recipe, without its seed (each fit sets its own).
BASELINE = {k: v for k, v in load_recipe("challenge").params.items() if k != "random_state"}


def candidates(quick=False):
    """The recipes to try: the baseline with one or several changes."""
    image = dict(image_shape=(8, 8))
    longer = dict(max_iter=150, n_iter_no_change=30)  # augmented data take longer
    noise = ("noise", {"std": 0.1})
    small_shift = ("shift", {"max_shift": 0.5})
    shift = ("shift", {"max_shift": 1.0})
    small_rotation = ("rotation", {"max_degrees": 5.0})
    rotation = ("rotation", {"max_degrees": 10.0})
    adamw = dict(solver="adamw", alpha=0.0, weight_decay=0.05)
    grid = [
        dict(),
        dict(dropout=0.1),
        dict(dropout=0.3),
        dict(label_smoothing=0.1),
        dict(warmup_epochs=5),
        adamw,
        dict(adamw, weight_decay=0.2, dropout=0.1),
        dict(hidden_layer_sizes=(256, 128)),
        dict(hidden_layer_sizes=(256, 128, 64), dropout=0.1),
        dict(hidden_layer_sizes=(512, 256), dropout=0.3),
        dict(augment=[noise], dropout=0.1, **longer),
        dict(augment=[noise], **longer),
        dict(augment=[("noise", {"std": 0.2})], dropout=0.1, **longer),
        dict(augment=[("noise", {"std": 0.2})], dropout=0.0, **longer),
        dict(augment=[("noise", {"std": 0.3})], dropout=0.1, **longer),
        dict(augment="mixup", dropout=0.1, **longer),
        dict(augment=[small_shift], **image, **longer),
        dict(augment=[rotation], **image, **longer),
        dict(augment=[small_shift, small_rotation], dropout=0.1, **image, **longer),
        dict(augment=[shift, rotation], **image, **longer),
        dict(augment=[noise], hidden_layer_sizes=(256, 128, 64), dropout=0.1, **longer),
        dict(adamw, augment=[noise], dropout=0.1, warmup_epochs=5, **longer),
    ]
    if quick:
        grid = [grid[0], grid[1], grid[12], grid[18]]
    return [{**BASELINE, **change} for change in grid]


def load_split():
    """The classic walkthrough's split, scaled on the training part (fitwell.data)."""
    split = classic_split(load_dataset("digits"))
    return {"train": (split.X_train, split.y_train), "val": (split.X_val, split.y_val),
            "test": (split.X_test, split.y_test)}


def fit_one(recipe, seed, data):
    """Accuracies on every split, validation log-loss and fit time of one seed."""
    clf = FitwellClassifier(**recipe, random_state=seed)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(*data["train"], validation_data=data["val"])
    seconds = time.perf_counter() - started
    row = {name: clf.score(*data[name]) for name in ("train", "val", "test")}
    row["gap"] = row["train"] - row["test"]
    row["val_log_loss"] = log_loss(data["val"][1], clf.predict_proba(data["val"][0]),
                                   labels=clf.classes_)
    row["seconds"] = seconds
    row["epochs"] = clf.n_iter_
    return row


def evaluate(recipe, seeds, data, cache):
    key = describe(recipe)
    rows = cache.setdefault(key, {})
    for seed in seeds:
        if seed not in rows:
            rows[seed] = fit_one(recipe, seed, data)
    return [rows[seed] for seed in seeds]


def summary(rows, name):
    values = [row[name] for row in rows]
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def rank_key(rows):
    """Highest mean validation accuracy first; ties broken by lower validation log-loss."""
    return (-round(summary(rows, "val")[0], 10), summary(rows, "val_log_loss")[0])


def describe(recipe, reference=None):
    """The recipe's changes from ``reference`` (the estimator defaults), as text."""
    reference = FitwellClassifier().get_params() if reference is None else reference
    parts = [f"{k}={v!r}" for k, v in recipe.items() if reference.get(k, object()) != v]
    return ", ".join(parts) or "(no change)"


def report(title, rows):
    print(f"\n{title}  ({len(rows)} seeds)")
    for name, label in (("train", "train accuracy"), ("val", "validation accuracy"),
                        ("test", "test accuracy"), ("gap", "train - test gap")):
        mean, std = summary(rows, name)
        print(f"  {label:<20} {100 * mean:6.2f} ± {100 * std:4.2f} %"
              f"   (min {100 * min(r[name] for r in rows):6.2f}, "
              f"max {100 * max(r[name] for r in rows):6.2f})")
    mean, std = summary(rows, "seconds")
    epochs = [r["epochs"] for r in rows]
    print(f"  {'time per fit':<20} {mean:6.2f} ± {std:4.2f} s    "
          f"(epochs {min(epochs)}-{max(epochs)})")


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        if len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], dict):
            return toml_value({"name": value[0], **value[1]})  # an augmenter with parameters
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def write_recipe(path, recipe, best_rows, base_rows):
    def figure(rows, name):
        mean, std = summary(rows, name)
        return f"{100 * mean:.2f} ± {100 * std:.2f} %"

    lines = [
        "# The best digits recipe found by benchmarks/digits_challenge.py, selected by mean",
        "# validation accuracy over 5 seeds (random_state 0-4) on the walkthrough split",
        "# (test_size=0.2, then 20 % of the rest for validation, random_state=42; a",
        "# StandardScaler fitted on the training part; validation_data=(X_val, y_val)).",
        f"#   this recipe:           test {figure(best_rows, 'test')}, "
        f"validation {figure(best_rows, 'val')},",
        f"#                          train {figure(best_rows, 'train')}, "
        f"train-test gap {figure(best_rows, 'gap')}",
        f"#   128-64-32 acceptance:  test {figure(base_rows, 'test')}, "
        f"validation {figure(base_rows, 'val')},",
        f"#                          train {figure(base_rows, 'train')}, "
        f"train-test gap {figure(base_rows, 'gap')}",
        "# The test figures were looked at only after the choice was made.",
        "",
    ]
    lines += [f"{key} = {toml_value(value)}" for key, value in recipe.items()]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced search")
    parser.add_argument("--write-recipe", metavar="PATH", help="write the winner as TOML")
    args = parser.parse_args(argv)
    data = load_split()
    print("digits: train {}, validation {}, test {} samples".format(
        *(len(data[name][1]) for name in ("train", "val", "test"))))
    cache = {}
    started = time.perf_counter()

    base_rows = evaluate(BASELINE, SEEDS, data, cache)
    report("Acceptance recipe (128-64-32, batch norm, dropout, L2, cosine, early stopping)",
           base_rows)
    passed = all(r["test"] > 0.97 and r["gap"] < 0.03 for r in base_rows)
    print(f"  acceptance (> 97 % test, gap < 3 points, every seed): "
          f"{'PASS' if passed else 'FAIL'}")

    grid = candidates(args.quick)
    print(f"\nSearch: {len(grid)} candidates on seeds {list(SEARCH_SEEDS)}, the best "
          f"{FINALISTS} on seeds {list(SEEDS)}; ranked by validation accuracy (ties: "
          "validation log-loss). Changes from the acceptance recipe:")
    scored = []
    for recipe in grid:
        rows = evaluate(recipe, SEARCH_SEEDS, data, cache)
        scored.append((rank_key(rows), recipe))
        print(f"  val {100 * summary(rows, 'val')[0]:6.2f} %  val log-loss "
              f"{summary(rows, 'val_log_loss')[0]:.4f}  {summary(rows, 'seconds')[0]:5.2f} s/fit"
              f"  {describe(recipe, BASELINE)}", flush=True)
    scored.sort(key=lambda item: item[0])
    finalists = [recipe for _, recipe in scored[:FINALISTS]]
    print("\nFinalists on 5 seeds:")
    final = []
    for recipe in finalists:
        rows = evaluate(recipe, SEEDS, data, cache)
        final.append((rank_key(rows), recipe, rows))
        print(f"  val {100 * summary(rows, 'val')[0]:6.2f} %  val log-loss "
              f"{summary(rows, 'val_log_loss')[0]:.4f}  {describe(recipe, BASELINE)}", flush=True)
    final.sort(key=lambda item: item[0])
    _, best, best_rows = final[0]

    report("Acceptance recipe, again for comparison", base_rows)
    report("Best recipe (chosen by validation accuracy)", best_rows)
    print("\nBest recipe parameters:")
    for key, value in best.items():
        print(f"  {key} = {value!r}")
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    if args.write_recipe:
        write_recipe(args.write_recipe, best, best_rows, base_rows)
        print(f"wrote {args.write_recipe}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
