"""What augmentation costs per epoch at Fashion-MNIST's size: 60,000 rows of 28×28.

Each augmenter (and the fashion recipe's composition) is run over one epoch of random
``float32`` images in batches of 128, as the trainer calls it, and timed beside one epoch
of training steps of the recipe's 784-1024-1024-10 network without augmentation
(forward, backward, AdamW) on the same batches, so the cost reads as a fraction of an
epoch (timed on 12,800 rows and scaled to 60,000). The best of ``--repeats`` is
reported; the first call (compilation) is not timed.

Run ``python benchmarks/augment_cost.py`` (about a minute on two cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from fitwell import FitwellClassifier  # noqa: E402
from fitwell.recipe import load_recipe  # noqa: E402
from fitwell.training.augment import make_augmenter  # noqa: E402

SHAPE = (28, 28)
SPECS = {
    "shift (1 px)": ("shift", {"max_shift": 1.0}),
    "shift (2 px)": ("shift", {"max_shift": 2.0}),
    "rotation (10°)": ("rotation", {"max_degrees": 10.0}),
    "flip": ("flip", {}),
    "erasing": ("erasing", {"p": 0.5, "scale": [0.02, 0.2]}),
    "brightness/contrast jitter": ("jitter", {}),
    "noise": ("noise", {"std": 0.1}),
}


def epoch_seconds(augmenter, X, y, batch, repeats):
    rng = np.random.default_rng(0)
    augmenter(X[:batch], y[:batch], rng)  # compile outside the clock
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for start in range(0, len(X), batch):
            augmenter(X[start:start + batch], y[start:start + batch], rng)
        best = min(best, time.perf_counter() - started)
    return best


def train_epoch_seconds(X, y, batch, rows):
    """One epoch of the recipe's network, unaugmented: the second epoch on ``rows`` rows,
    scaled to ``len(X)`` (an epoch's cost is linear in its rows)."""
    params = {**load_recipe("fashion").params, "augment": None, "early_stopping": False,
              "max_iter": 2, "batch_size": batch}
    clf = FitwellClassifier(**params)
    clf.fit(X[:rows], y[:rows])
    return float(clf.history_["time"][-1]) * len(X) / rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--train-rows", type=int, default=12_800,
                        help="rows the training epoch is timed on, scaled to --rows")
    args = parser.parse_args(argv)
    for pool in threadpool_info():
        print(f"# {pool['internal_api']} {pool.get('version')} "
              f"{pool.get('architecture')} threads={pool['num_threads']}")
    rng = np.random.default_rng(0)
    X = rng.random((args.rows, SHAPE[0] * SHAPE[1]), dtype=np.float32)
    y = rng.integers(0, 10, args.rows)
    rows = [(label, make_augmenter(spec, SHAPE)) for label, spec in SPECS.items()]
    recipe_augment = load_recipe("fashion").params["augment"]
    names = " + ".join(name for name, _ in recipe_augment)
    rows.append((f"fashion recipe ({names})", make_augmenter(recipe_augment, SHAPE)))
    train = train_epoch_seconds(X, y, args.batch, min(args.train_rows, args.rows))
    print(f"# {args.rows} rows of {SHAPE[0]}x{SHAPE[1]}, batches of {args.batch}; one "
          f"training epoch of the recipe's network: {train:.1f} s (timed on {args.train_rows} "
          "rows, scaled)")
    print("\n| augmentation | seconds per epoch | share of a training epoch |")
    print("|---|---|---|")
    for label, augmenter in rows:
        seconds = epoch_seconds(augmenter, X, y, args.batch, args.repeats)
        print(f"| {label} | {seconds:.2f} | {100 * seconds / train:.1f} % |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
