"""Fashion-MNIST, MLP only: fitwell's recipe against scikit-learn and PyTorch.

Three models, each trained on the same 54,000 training images (the official 60,000 less
a stratified 10 % validation part, ``random_state=42``) and scored on the official
10,000 test images:

- ``fitwell``: the shipped ``recipes/fashion.toml`` (its validation part drives early
  stopping and the restored best epoch);
- ``sklearn``: ``MLPClassifier(hidden_layer_sizes=(100,))``, scikit-learn's defaults
  (Zalando's own benchmark row for it is 87.1 %);
- ``torch``: the same recipe written in PyTorch — the same layers, batch norm, dropout,
  AdamW, linear warm-up into a per-epoch cosine decay, label smoothing, the same
  augmentation (bilinear sub-pixel shift, flip, random erasing) and the same
  best-validation-epoch restore.

For each: test accuracy, the train–test gap (accuracy on the clean training images in
inference mode minus test accuracy) and the wall time of training. The recipe was chosen
on the validation part only; the test images are looked at only here, to report.

Run ``python benchmarks/fashion.py`` (3 seeds: about an hour of two cores per model);
``--seeds 0 --epochs 20 --models fitwell`` for a shorter look. Needs Debian's
``dataset-fashion-mnist`` package (or ``--data FOLDER``) and, for ``torch``, PyTorch.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import warnings

for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from fitwell import FitwellClassifier  # noqa: E402
from fitwell.data import classic_split, load_dataset  # noqa: E402
from fitwell.recipe import load_recipe  # noqa: E402

MODELS = ("fitwell", "sklearn", "torch")


def recipe_params(epochs=None):
    """The shipped recipe without its seed; ``epochs`` overrides its length."""
    params = {k: v for k, v in load_recipe("fashion").params.items() if k != "random_state"}
    if epochs is not None:
        params["max_iter"] = epochs
        params["n_iter_no_change"] = min(params.get("n_iter_no_change", epochs), epochs)
        params["warmup_epochs"] = min(params.get("warmup_epochs", 0), max(0, epochs - 1))
    return params


def fit_fitwell(params, seed, data):
    clf = FitwellClassifier(**params, random_state=seed)
    started = time.perf_counter()
    clf.fit(*data["train"], validation_data=data["val"])
    return clf.predict, time.perf_counter() - started, clf.n_iter_


def fit_sklearn(params, seed, data):
    clf = MLPClassifier(hidden_layer_sizes=(100,), random_state=seed)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(*data["train"])
    return clf.predict, time.perf_counter() - started, clf.n_iter_


def _torch_augment(torch, x, params, generator):
    """Shift (bilinear, zero fill), flip and erasing of a (n, 1, 28, 28) batch."""
    n, _, height, width = x.shape
    for name, step in params.get("augment") or []:
        if name == "shift":
            shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * step["max_shift"]
            theta = torch.zeros(n, 2, 3)
            theta[:, 0, 0] = theta[:, 1, 1] = 1.0
            # affine_grid works in [-1, 1]; sampling at x - s moves the image by +s pixels
            theta[:, 0, 2] = -shift[:, 1] * 2 / width
            theta[:, 1, 2] = -shift[:, 0] * 2 / height
            grid = torch.nn.functional.affine_grid(theta, x.shape, align_corners=True)
            x = torch.nn.functional.grid_sample(x, grid, mode="bilinear",
                                                padding_mode="zeros", align_corners=True)
        elif name == "flip":
            flip = torch.rand(n, generator=generator) < step.get("p", 0.5)
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        elif name == "erasing":
            low, high = step.get("scale", (0.02, 0.33))
            r_low, r_high = step.get("ratio", (0.3, 3.3))
            erase = torch.rand(n, generator=generator) < step.get("p", 0.5)
            area = (low + (high - low) * torch.rand(n, generator=generator)) * height * width
            ratio = torch.exp(math.log(r_low) + (math.log(r_high) - math.log(r_low))
                              * torch.rand(n, generator=generator))
            h = torch.sqrt(area * ratio).round().clamp(1, height)
            w = torch.sqrt(area / ratio).round().clamp(1, width)
            top = (torch.rand(n, generator=generator) * (height - h + 1)).floor()
            left = (torch.rand(n, generator=generator) * (width - w + 1)).floor()
            rows = torch.arange(height)[None, :]
            cols = torch.arange(width)[None, :]
            in_rows = (rows >= top[:, None]) & (rows < (top + h)[:, None])
            in_cols = (cols >= left[:, None]) & (cols < (left + w)[:, None])
            inside = in_rows[:, :, None] & in_cols[:, None, :] & erase[:, None, None]
            x = x.masked_fill(inside[:, None], step.get("value", 0.0))
        else:
            raise SystemExit(f"torch: augmentation {name!r} is not written here")
    return x


def fit_torch(params, seed, data):
    import torch

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    widths = [data["train"][0].shape[1], *params["hidden_layer_sizes"]]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.BatchNorm1d(fan_out),
                   torch.nn.ReLU(), torch.nn.Dropout(params["dropout"])]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 10))
    optimizer = torch.optim.AdamW(model.parameters(), lr=params["learning_rate_init"],
                                  weight_decay=params["weight_decay"])
    epochs, warmup = params["max_iter"], params.get("warmup_epochs", 0)

    def lr_factor(epoch):  # fitwell's Warmup(CosineAnnealing) per epoch
        if epoch < warmup:
            return (epoch + 1) / (warmup + 1)
        t = epoch - warmup
        return 0.5 * (1 + math.cos(math.pi * min(t, epochs - warmup) / max(1, epochs - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=params.get("label_smoothing", 0.0))
    X = torch.from_numpy(np.ascontiguousarray(data["train"][0], dtype=np.float32))
    y = torch.from_numpy(data["train"][1].astype(np.int64))
    X_val = torch.from_numpy(np.ascontiguousarray(data["val"][0], dtype=np.float32))
    y_val = torch.from_numpy(data["val"][1].astype(np.int64))
    batch = params["batch_size"]
    best, best_state = -1.0, None
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), batch):
            index = order[start:start + batch]
            xb = _torch_augment(torch, X[index].view(-1, 1, 28, 28), params, generator)
            optimizer.zero_grad()
            loss_fn(model(xb.view(len(index), -1)), y[index]).backward()
            optimizer.step()
        scheduler.step()
        model.eval()
        with torch.no_grad():
            score = (model(X_val).argmax(1) == y_val).float().mean().item()
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    seconds = time.perf_counter() - started
    model.eval()

    def predict(features):
        with torch.no_grad():
            return model(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
                         ).argmax(1).numpy()

    return predict, seconds, epochs


def _stat(rows, name, scale=100.0):
    """Mean ± sample standard deviation of one column (± 0 for a single seed)."""
    values = [scale * r[name] for r in rows]
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.2f} ± {spread:.2f}"


FIT = {"fitwell": fit_fitwell, "sklearn": fit_sklearn, "torch": fit_torch}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the recipe's max_iter (fitwell and torch)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--data", default="fashion-mnist")
    args = parser.parse_args(argv)
    for pool in threadpool_info():
        print(f"# {pool['internal_api']} {pool.get('version')} "
              f"{pool.get('architecture')} threads={pool['num_threads']}")
    params = recipe_params(args.epochs)
    split = classic_split(load_dataset(args.data),
                          validation_fraction=params["validation_fraction"], random_state=42)
    data = {"train": (split.X_train, split.y_train), "val": (split.X_val, split.y_val),
            "test": (split.X_test, split.y_test)}
    print(f"# {len(split.y_train)} training, {len(split.y_val)} validation, "
          f"{len(split.y_test)} test images; fitwell/torch max_iter={params['max_iter']}")
    results = {}
    for model in args.models:
        for seed in args.seeds:
            predict, seconds, epochs = FIT[model](params, seed, data)
            row = {part: float(np.mean(predict(X) == y)) for part, (X, y) in data.items()}
            row.update(gap=row["train"] - row["test"], seconds=seconds, epochs=epochs)
            results.setdefault(model, []).append(row)
            print(f"{model:<8} seed {seed}: test {100 * row['test']:.2f} %  val "
                  f"{100 * row['val']:.2f} %  train {100 * row['train']:.2f} %  gap "
                  f"{100 * row['gap']:.2f}  {seconds:.0f} s  ({epochs} epochs)", flush=True)
    print("\n| model | seeds | test accuracy | train − test gap | wall time per seed |")
    print("|---|---|---|---|---|")
    for model, rows in results.items():
        print(f"| {model} | {len(rows)} | {_stat(rows, 'test')} % | {_stat(rows, 'gap')} | "
              f"{_stat(rows, 'seconds', 1.0)} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
