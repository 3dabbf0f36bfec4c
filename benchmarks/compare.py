"""fitwell side by side with JAX, PyTorch (eager) and scikit-learn's MLPClassifier.

Every library trains the same network with the same batch size, epochs and learning
rate, in one run, alternating (the order rotates each repetition), after a warm-up,
and the median of several repetitions is reported: milliseconds per epoch, samples
per second, the speed-up of fitwell over each peer (peer time / fitwell time), test
accuracy (speed is never bought with accuracy), and the share of the *matrix
product bound* each library reaches: the time the epoch's bare matrix products take
in NumPy, with the same shapes and dtype, on the same cores (on all cores, the
faster of the BLAS on one thread and on all of them), over the library's epoch.

JAX is written the fastest honest way (``jax_peer.py``): the whole epoch one jitted
``lax.scan``, dropout masks from ``jax.random``, batch-norm statistics in the scan
state, optax with the same hyper-parameters; its compile time is reported apart.

Each group of rows runs in a process of its own, limited to one core or given all
of them (``cores.py`` says how, library by library), after the BLAS environment
traps are removed (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``).

Networks
    challenge  digits (1,437 training rows), 64-128-64-32-10 with batch norm, dropout
               0.2, L2 (alpha 1e-4, divided by the batch size as scikit-learn does),
               SGD with momentum 0.9 and a cosine schedule (Adam for the "adam" rows).
               MLPClassifier has no batch norm, dropout or cosine schedule: it trains
               the same layers without them, at the same constant learning rate.
    fashion    Fashion-MNIST's 60,000 training rows of 784 pixels (the Debian package
               dataset-fashion-mnist; random rows of that shape where it is absent),
               784-512-256-10 with batch norm, dropout 0.2, L2, Adam 1e-3, batch 128,
               one epoch; on one core and on all cores.
    width-W    synthetic rows (64 features, 10 classes), 64-W-W-10 ReLU MLP, L2, SGD
               with momentum at a constant rate: every library expresses it.

Also: prediction (``predict_proba``) on 100k rows on one core and on all cores, and
the peak memory of training on 100k x 64 rows, each library in a fresh process.

    python benchmarks/compare.py           # quick: a few minutes (``make bench``)
    python benchmarks/compare.py --full    # the whole grid: batch 16/64/256/full,
                                           # widths 128/512/2048 (100k rows), float32
                                           # and float64 -- hours

Writes ``benchmarks/results/latest.json`` and ``benchmarks/results/latest.png``.
The peers are benchmark dependencies: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import fitwell
from fitwell import FitwellClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cores  # noqa: E402  (the benchmark's own modules, beside this file)
from jax_peer import compile_seconds, fit_jax  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
LIBRARIES = ("fitwell", "jax", "torch", "sklearn")
#: prediction and memory are measured without JAX
EAGER_LIBRARIES = ("fitwell", "torch", "sklearn")
FASHION = Path("/usr/share/datasets/fashion-mnist")


# -- configurations -----------------------------------------------------------------------

@dataclass
class Config:
    """One row of the table: a network, its data and its training settings."""

    name: str
    data: str                      # "digits", "fashion" or "synthetic"
    hidden: tuple
    batch: int | None              # None: the full training set in one batch
    dtype: str = "float32"
    solver: str = "sgd"
    lr: float = 0.02
    schedule: str = "cosine"       # "cosine" or "constant"
    normalization: bool = True
    dropout: float = 0.2
    alpha: float = 1e-4
    epochs: int = 20
    repeats: int = 5
    rows: int = 0                  # synthetic training rows
    cores: int = 1                 # 1, or 0 for every core of the machine
    notes: list = field(default_factory=list)

    @property
    def label(self):
        batch = "full" if self.batch is None else str(self.batch)
        extra = "" if self.solver == "sgd" else f" {self.solver}"
        where = " all cores" if self.cores == 0 else ""
        return f"{self.name}{extra} b={batch} {self.dtype}{where}"


def grid(full: bool) -> list[Config]:
    challenge = dict(name="challenge", data="digits", hidden=(128, 64, 32))
    configs = []
    dtypes = ("float32", "float64") if full else ("float32",)
    for dtype in dtypes:
        for batch in (16, 64, 256, None):
            configs.append(Config(**challenge, batch=batch, dtype=dtype,
                                  repeats=7 if full else 5))
    configs.append(Config(**challenge, batch=64, solver="adam", lr=1e-3,
                          repeats=7 if full else 5))
    if not full:
        configs.append(Config(**challenge, batch=64, dtype="float64"))
    # The same layers without batch norm and dropout: the network MLPClassifier trains.
    for solver, lr in (("sgd", 0.02), ("adam", 1e-3)):
        configs.append(Config(name="challenge-plain", data="digits", hidden=(128, 64, 32),
                              batch=64, solver=solver, lr=lr, schedule="constant",
                              normalization=False, dropout=0.0, repeats=7 if full else 5))
    plain = dict(data="synthetic", normalization=False, dropout=0.0, schedule="constant",
                 lr=0.01)
    for width in (128, 512, 2048):
        if full:
            rows, batches, epochs, repeats = 100_000 if width == 2048 else 20_000, \
                (16, 64, 256, None), 1, 3
        else:
            rows, batches, epochs, repeats = (4096, (256,), 2, 3) if width == 2048 else \
                (10_000, (64, 256), 3, 3)
        for dtype in dtypes:
            for batch in batches:
                configs.append(Config(name=f"width-{width}", hidden=(width, width),
                                      batch=batch, dtype=dtype, rows=rows, epochs=epochs,
                                      repeats=repeats, **plain))
    # Fashion-MNIST's size, and the challenge net, on one core and on all cores.
    for where in (1, 0):
        configs.append(Config(name="fashion", data="fashion", hidden=(512, 256), batch=128,
                              solver="adam", lr=1e-3, schedule="constant", epochs=1,
                              repeats=3, cores=where))
    configs.append(Config(**challenge, batch=64, cores=0, repeats=7 if full else 5))
    return configs


# -- data -------------------------------------------------------------------------------------

def fashion_rows():
    """Fashion-MNIST's training and test images (pixels as floats) and labels, or random
    rows of the same shape, with labels a random linear teacher gives them, where the
    Debian package is not installed; ``(X_train, y_train, X_test, y_test, source)``."""
    import gzip

    def read(name, offset):
        with gzip.open(FASHION / name) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    if (FASHION / "train-images-idx3-ubyte.gz").exists():
        return (read("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float64),
                read("train-labels-idx1-ubyte.gz", 8).astype(np.int64),
                read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float64),
                read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64), "Fashion-MNIST")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((70_000, 784))
    y = (X @ rng.standard_normal((784, 10))).argmax(axis=1)
    return X[:60_000], y[:60_000], X[60_000:], y[60_000:], "random rows"


def load(config: Config):
    if config.data == "fashion":
        X_train, y_train, X_test, y_test, source = fashion_rows()
        config.notes.append(f"data: {source}")
    elif config.data == "digits":
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0,
                                                            stratify=y)
    else:
        X, y = make_classification(n_samples=config.rows + 2000, n_features=64,
                                   n_informative=40, n_classes=10, n_clusters_per_class=1,
                                   class_sep=1.5, random_state=0)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=2000,
                                                            random_state=0)
    scaler = StandardScaler().fit(X_train)
    dtype = np.dtype(config.dtype)
    return (np.ascontiguousarray(scaler.transform(X_train), dtype=dtype), y_train.astype(np.int64),
            np.ascontiguousarray(scaler.transform(X_test), dtype=dtype), y_test.astype(np.int64))


# -- the libraries ------------------------------------------------------------------------------

def fit_fitwell(config, X, y, X_test, y_test, epochs, seed):
    model = FitwellClassifier(
        hidden_layer_sizes=config.hidden, solver=config.solver,
        learning_rate=config.schedule, learning_rate_init=config.lr, momentum=0.9,
        nesterovs_momentum=False, alpha=config.alpha,
        normalization="batch" if config.normalization else None, dropout=config.dropout,
        batch_size="full" if config.batch is None else config.batch, max_iter=epochs,
        tol=0.0, n_iter_no_change=epochs + 1, random_state=seed, dtype=config.dtype)
    started = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - started
    return seconds, float(np.mean(model.predict(X_test) == y_test))


def fit_sklearn(config, X, y, X_test, y_test, epochs, seed):
    model = MLPClassifier(
        hidden_layer_sizes=config.hidden, solver=config.solver, learning_rate="constant",
        learning_rate_init=config.lr, momentum=0.9, nesterovs_momentum=False,
        alpha=config.alpha, batch_size=len(X) if config.batch is None else config.batch,
        max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    started = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - started
    return seconds, float(np.mean(model.predict(X_test) == y_test))


def fit_torch(config, X, y, X_test, y_test, epochs, seed):
    import torch
    from torch import nn

    started = time.perf_counter()  # like the estimators' fit: building the network counts
    torch.manual_seed(seed)
    dtype = getattr(torch, config.dtype)
    widths = [X.shape[1], *config.hidden]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers.append(nn.Linear(fan_in, fan_out))
        if config.normalization:
            layers.append(nn.BatchNorm1d(fan_out))
        layers.append(nn.ReLU())
        if config.dropout:
            layers.append(nn.Dropout(config.dropout))
    layers.append(nn.Linear(widths[-1], int(y.max()) + 1))
    model = nn.Sequential(*layers).to(dtype)
    n = len(X)
    batch = n if config.batch is None else config.batch
    # L2 on weight matrices only, alpha / batch size: what fitwell and scikit-learn do.
    groups = [{"params": [p for p in model.parameters() if p.ndim == 2],
               "weight_decay": config.alpha / batch},
              {"params": [p for p in model.parameters() if p.ndim < 2], "weight_decay": 0.0}]
    if config.solver == "sgd":
        optimizer = torch.optim.SGD(groups, lr=config.lr, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(groups, lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs) \
        if config.schedule == "cosine" else None
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(seed)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(n))
        for start in range(0, n, batch):
            index = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_t[index]), y_t[index])
            loss.backward()
            optimizer.step()
        if schedule is not None:
            schedule.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.inference_mode():
        predicted = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    return seconds, float(np.mean(predicted == y_test))


FITTERS = {"fitwell": fit_fitwell, "jax": fit_jax, "torch": fit_torch, "sklearn": fit_sklearn}


# -- the matrix-product bound ------------------------------------------------------------------

def matmul_epoch_seconds(widths, n, batch, dtype, repeats=5):
    """Median time of an epoch's matrix products alone: ``x @ W`` forward, ``x.T @ g``
    and ``g @ W.T`` backward (none for the first layer's input), for every batch."""
    rng = np.random.default_rng(0)
    dtype = np.dtype(dtype)
    weights = [rng.standard_normal((a, b)).astype(dtype)
               for a, b in zip(widths[:-1], widths[1:], strict=True)]
    sizes = [batch] * (n // batch) + ([n % batch] if n % batch else [])
    shapes = sorted(set(sizes))
    acts = {m: [rng.standard_normal((m, w)).astype(dtype) for w in widths] for m in shapes}
    grads = {m: [np.empty((m, w), dtype) for w in widths] for m in shapes}
    weight_grads = [np.empty_like(w) for w in weights]

    def epoch():
        for m in sizes:
            a, g = acts[m], grads[m]
            for i, w in enumerate(weights):
                np.matmul(a[i], w, out=g[i + 1])
            for i in range(len(weights) - 1, -1, -1):
                np.matmul(a[i].T, a[i + 1], out=weight_grads[i])
                if i:
                    np.matmul(a[i + 1], weights[i].T, out=g[i])

    epoch()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# -- timing ---------------------------------------------------------------------------------------

def activation_bytes(config, n):
    batch = n if config.batch is None else config.batch
    return batch * max(config.hidden) * np.dtype(config.dtype).itemsize * 12


def run_config(config):
    X, y, X_test, y_test = load(config)
    n = len(X)
    row = {"config": asdict(config), "label": config.label, "rows": n,
           "epochs": config.epochs, "results": {}}
    if activation_bytes(config, n) > 2 * 2**30:
        row["skipped"] = "a full batch of this size needs more than 2 GiB per library"
        return row
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for library in LIBRARIES:  # warm-up: imports, caches, first-call costs
            if library != "jax":  # JAX compiles for the full data's shapes, below
                FITTERS[library](config, X[:512], y[:512], X_test[:64], y_test[:64], 1, 0)
        row["jax_compile_s"] = compile_seconds(config, X, y)
        times = {library: [] for library in LIBRARIES}
        accuracy = {}
        for repeat in range(config.repeats):
            shift = repeat % len(LIBRARIES)
            for library in LIBRARIES[shift:] + LIBRARIES[:shift]:
                seconds, acc = FITTERS[library](config, X, y, X_test, y_test, config.epochs,
                                                seed=repeat)
                times[library].append(seconds / config.epochs)
                accuracy.setdefault(library, []).append(acc)
    widths = [X.shape[1], *config.hidden, int(y.max()) + 1]
    batch = n if config.batch is None else config.batch
    bound = matmul_epoch_seconds(widths, n, batch, config.dtype)
    row["matmul_threads"] = "all"
    if config.cores == 0:  # the products' best on these cores: small ones on one thread
        with threadpool_limits(1):
            one_thread = matmul_epoch_seconds(widths, n, batch, config.dtype)
        if one_thread < bound:
            bound, row["matmul_threads"] = one_thread, "1"
    row["matmul_ms_per_epoch"] = 1e3 * bound
    for library in LIBRARIES:
        per_epoch = statistics.median(times[library])
        row["results"][library] = {
            "ms_per_epoch": 1e3 * per_epoch, "samples_per_s": n / per_epoch,
            "test_accuracy": statistics.median(accuracy[library]),
            "matmul_fraction": bound / per_epoch,
            "ms_per_epoch_all": [1e3 * t for t in times[library]],
        }
    fw = row["results"]["fitwell"]["ms_per_epoch"]
    row["fitwell_matmul_fraction"] = row["results"]["fitwell"]["matmul_fraction"]
    for peer in LIBRARIES[1:]:
        row[f"speedup_vs_{peer}"] = row["results"][peer]["ms_per_epoch"] / fw
    return row


# -- prediction and memory ------------------------------------------------------------------------

def run_inference(rows=100_000, repeats=5):
    """``predict_proba`` on ``rows`` rows of the challenge network, each library."""
    config = Config(name="challenge", data="digits", hidden=(128, 64, 32), batch=64, epochs=2)
    X, y, _, _ = load(config)
    big = np.random.default_rng(0).standard_normal((rows, X.shape[1])).astype(np.float32)
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fw = FitwellClassifier(hidden_layer_sizes=config.hidden, normalization="batch",
                               dropout=0.2, max_iter=2, random_state=0).fit(X, y)
        sk = MLPClassifier(hidden_layer_sizes=config.hidden, max_iter=2, random_state=0).fit(X, y)
    torch.manual_seed(0)
    tnn = torch.nn
    layers = []
    for fan_in, fan_out in zip((64, 128, 64), (128, 64, 32), strict=True):
        layers += [tnn.Linear(fan_in, fan_out), tnn.BatchNorm1d(fan_out), tnn.ReLU(),
                   tnn.Dropout(0.2)]
    net = tnn.Sequential(*layers, tnn.Linear(32, 10)).eval()

    def torch_predict_proba():
        with torch.inference_mode():
            return torch.softmax(net(torch.from_numpy(big)), dim=1).numpy()

    predictors = {"fitwell": lambda: fw.predict_proba(big), "torch": torch_predict_proba,
                  "sklearn": lambda: sk.predict_proba(big)}
    times = {library: [] for library in EAGER_LIBRARIES}
    for predict in predictors.values():
        predict()
    for repeat in range(repeats):
        shift = repeat % len(EAGER_LIBRARIES)
        for library in EAGER_LIBRARIES[shift:] + EAGER_LIBRARIES[:shift]:
            started = time.perf_counter()
            predictors[library]()
            times[library].append(time.perf_counter() - started)
    result = {library: 1e3 * statistics.median(times[library]) for library in EAGER_LIBRARIES}
    result["rows"] = rows
    result["speedup_vs_torch"] = result["torch"] / result["fitwell"]
    result["speedup_vs_sklearn"] = result["sklearn"] / result["fitwell"]
    return result


_MEMORY_CHILD = r"""
import json, sys, time, warnings
import numpy as np
library, rows, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from threadpoolctl import threadpool_limits
threadpool_limits(1)
if library == "torch":
    import torch
    torch.set_num_threads(1)
from sklearn.neural_network import MLPClassifier
from fitwell import FitwellClassifier
sys.path.insert(0, sys.argv[4])
import compare

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, 64)).astype(np.float32)
y = (X[:, :10].argmax(axis=1)).astype(np.int64)
config = compare.Config(name="memory", data="synthetic", hidden=(128, 64, 32), batch=256,
                        epochs=epochs, repeats=1)
if library == "sklearn":
    config.normalization, config.dropout = False, 0.0
compare.FITTERS[library](config, X[:512], y[:512], X[:64], y[:64], 1, 0)  # warm-up
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident size to the current one
before = status("VmRSS:")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    compare.FITTERS[library](config, X, y, X[:64], y[:64], epochs, 0)
print(json.dumps({"peak_bytes": status("VmHWM:") - before, "data_bytes": X.nbytes + y.nbytes}))
"""


def run_memory(rows=100_000, epochs=2):
    """Peak resident memory of training on ``rows`` x 64 rows (batch 256), beyond what
    the process held with the data loaded, each library in a fresh process."""
    result = {"rows": rows, "features": 64, "batch": 256, "epochs": epochs}
    for library in EAGER_LIBRARIES:
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, library, str(rows), str(epochs),
             str(Path(__file__).resolve().parent)],
            capture_output=True, text=True, check=False)
        if done.returncode:
            result[library] = {"error": done.stderr.strip().splitlines()[-1:]}
            continue
        result[library] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- reporting --------------------------------------------------------------------------------

HEADER = (f"{'configuration':<38} {'fitwell':>8} {'jax':>8} {'torch':>8} {'sklearn':>8} "
          f"{'x jax':>6} {'x torch':>7} {'x sk':>6} {'matmul':>6} {'jax jit':>7}  "
          f"{'accuracy fw / jax / torch / sk':>31}")


def format_row(row):
    if "skipped" in row:
        return f"{row['label']:<38} skipped: {row['skipped']}"
    r = row["results"]
    times = " ".join(f"{r[lib]['ms_per_epoch']:8.2f}" for lib in LIBRARIES)
    speedups = (f"{row['speedup_vs_jax']:5.2f}x {row['speedup_vs_torch']:6.2f}x "
                f"{row['speedup_vs_sklearn']:5.2f}x")
    acc = " / ".join(f"{r[lib]['test_accuracy']:.3f}" for lib in LIBRARIES)
    return (f"{row['label']:<38} {times} {speedups} {100 * row['fitwell_matmul_fraction']:5.0f}% "
            f"{row['jax_compile_s']:6.1f}s  {acc:>31}")


def format_cores(rows):
    """The rows run on one core and on all cores, in seconds per epoch with each library's
    share of the matrix-product bound measured on the same cores."""
    def chosen(config):
        return config["name"] == "fashion" or (
            config["name"] == "challenge" and config["batch"] == 64
            and config["solver"] == "sgd" and config["dtype"] == "float32")

    lines = [f"{'':<38} {'bound':>7}  " + "  ".join(f"{lib:>15}" for lib in LIBRARIES)]
    for row in (r for r in rows if "skipped" not in r and chosen(r["config"])):
        r = row["results"]
        cells = "  ".join(f"{r[lib]['ms_per_epoch'] / 1e3:7.3f} "
                          f"({100 * r[lib]['matmul_fraction']:3.0f}%)" for lib in LIBRARIES)
        lines.append(f"{row['label']:<38} {row['matmul_ms_per_epoch'] / 1e3:7.3f}  {cells}")
    return "\n".join(lines)


def environment():
    from importlib.metadata import version

    import threadpoolctl

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    versions = {name: version(name) for name in ("jax", "jaxlib", "optax", "torch",
                                                  "scikit-learn")}
    return {
        "cpu": cpu, "logical_cpus": os.cpu_count(), "cores": len(cores.available_cores()),
        "python": platform.python_version(), "numpy": np.__version__, **versions,
        "threadpoolctl": threadpoolctl.__version__, "fitwell": fitwell.__version__,
        "blas": cores.kernel_report(), "load_average": os.getloadavg(),
        "blas_environment": cores.unset_note(),
    }


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if "skipped" not in r]
    labels = [r["label"] for r in rows]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(8, 0.8 * len(rows) + 2), 8),
                                      sharex=True)
    x = np.arange(len(rows))
    colours = {"fitwell": "#2a9d8f", "jax": "#8d5fd3", "torch": "#e76f51", "sklearn": "#457b9d"}
    for offset, library in zip((-0.3, -0.1, 0.1, 0.3), LIBRARIES, strict=True):
        top.bar(x + offset, [r["results"][library]["ms_per_epoch"] for r in rows], width=0.2,
                label=library, color=colours[library])
    top.set_yscale("log")
    top.set_ylabel("ms per epoch (log)")
    top.legend()
    top.set_title("Training time per epoch, one CPU core unless 'all cores' (lower is better)")
    for offset, peer in zip((-0.27, 0.0, 0.27), LIBRARIES[1:], strict=True):
        bottom.bar(x + offset, [r[f"speedup_vs_{peer}"] for r in rows], width=0.27,
                   label=f"fitwell vs {peer}", color=colours[peer])
    bottom.axhline(1.0, color="black", linewidth=0.8)
    bottom.set_ylabel("speed-up (x)")
    bottom.legend()
    bottom.set_xticks(x, labels, rotation=45, ha="right")
    fig.text(0.01, 0.005, "challenge and fashion rows: scikit-learn trains the same layers without "
             "batch norm and dropout (it has neither); challenge-plain and width rows: the same "
             "network in all four", fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def worker(args):
    """Run the rows of one core setting (``args.worker``: 1, or 0 for all cores) in this
    process, printing each as a line ``ROW <json>`` for :func:`main`."""
    limits = cores.limit_process(args.worker)
    print("LIMITS " + json.dumps({"limits": limits, "blas": cores.kernel_report()}), flush=True)
    for config in grid(args.full):
        if config.cores == args.worker and (args.only is None or args.only in config.label):
            print("ROW " + json.dumps(run_config(config), default=float), flush=True)
    print("INFERENCE " + json.dumps(run_inference(), default=float), flush=True)
    return 0


def run_workers(args, on_row):
    """Start a worker for one core, then one for all cores; ``on_row(row)`` for each row.
    Returns ``{where: inference}``."""
    inference = {}
    for where, name in ((1, "one core"), (0, "all cores")):
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(where)]
        command += ["--full"] if args.full else []
        command += ["--only", args.only] if args.only is not None else []
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
            for line in process.stdout:
                kind, _, payload = line.partition(" ")
                if kind == "LIMITS":
                    data = json.loads(payload)
                    blas = ", ".join(f"{b['internal_api']} {b['version']} kernel "
                                     f"{b['architecture']}, {b['num_threads']} threads"
                                     for b in data["blas"])
                    print(f"\n{name}: {data['limits']}\n  BLAS (threadpoolctl): {blas}\n")
                    print(HEADER, flush=True)
                elif kind == "ROW":
                    on_row(json.loads(payload))
                elif kind == "INFERENCE":
                    inference[name] = json.loads(payload)
                else:
                    print(line, end="")
        if process.returncode:
            raise SystemExit(f"the {name} worker failed (exit {process.returncode})")
    return inference


def main(argv=None):
    cores.clean_environment()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the whole grid (hours)")
    parser.add_argument("--only", default=None,
                        help="run only configurations whose label contains this text")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--replot", type=Path, default=None, metavar="JSON",
                        help="only redraw the chart of a results file (e.g. a .partial.json)")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replot is not None:
        rows = json.loads(args.replot.read_text())["rows"]
        plot(rows, args.replot.with_suffix(".png"))
        print(f"wrote {args.replot.with_suffix('.png')}")
        return 0
    if args.worker is not None:
        return worker(args)

    env = environment()
    print(f"CPU: {env['cpu']} ({env['logical_cpus']} logical CPUs, {env['cores']} usable)")
    print(f"numpy {env['numpy']}, jax {env['jax']} (jaxlib {env['jaxlib']}, optax "
          f"{env['optax']}), torch {env['torch']}, scikit-learn {env['scikit-learn']}, "
          f"fitwell {env['fitwell']}")
    print("BLAS (threadpoolctl): " + ", ".join(
        f"{b['internal_api']} {b['version']} kernel {b['architecture']}" for b in env["blas"])
        + f"; {env['blas_environment']}")
    print(f"load average at start: {', '.join(f'{v:.2f}' for v in env['load_average'])}")
    print("\nms per epoch (median); 'x peer' = peer time / fitwell time; 'matmul' = the epoch's "
          "bare matrix products (same cores) as a share of fitwell's epoch; 'jax jit' = JAX's "
          "compile time, not in its epochs")
    started = time.perf_counter()
    rows = []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".partial.json")

    def on_row(row):
        rows.append(row)
        print(format_row(row), flush=True)
        # A long run (--full takes hours) keeps its rows if it is cut short.
        partial.write_text(json.dumps({"environment": env, "full": args.full, "rows": rows,
                                       "complete": False}, indent=1, default=float))

    inference = run_workers(args, on_row)
    print("\non one core and on all cores: s per epoch (median) and, in brackets, the "
          "matrix-product bound on the same cores as a share of it")
    print(format_cores(rows))
    print("\npredict_proba on 100,000 rows of the challenge network (ms, median):")
    for name, result in inference.items():
        print(f"  {name + ':':<11}" + "   ".join(f"{lib} {result[lib]:.1f}"
                                                 for lib in EAGER_LIBRARIES)
              + f"   -> fitwell {result['speedup_vs_torch']:.2f}x torch, "
              f"{result['speedup_vs_sklearn']:.2f}x scikit-learn")
    memory = None
    if not args.skip_memory:
        memory = run_memory()
        print(f"\npeak memory of training on {memory['rows']:,} x 64 rows (batch 256), beyond "
              f"the process with its data loaded (data: "
              f"{memory['fitwell'].get('data_bytes', 0) / 2**20:.1f} MiB):")
        print("  " + "   ".join(
            f"{lib} {memory[lib]['peak_bytes'] / 2**20:.1f} MiB" if "peak_bytes" in memory[lib]
            else f"{lib} failed: {memory[lib]['error']}" for lib in EAGER_LIBRARIES))
    env["load_average_end"] = os.getloadavg()
    env["seconds"] = time.perf_counter() - started
    payload = {"environment": env, "full": args.full, "rows": rows, "inference": inference,
               "memory": memory, "complete": True}
    args.out.write_text(json.dumps(payload, indent=1, default=float))
    partial.unlink(missing_ok=True)
    if rows:
        plot(rows, args.out.with_suffix(".png"))
    print(f"\nload average at end: {', '.join(f'{v:.2f}' for v in env['load_average_end'])}; "
          f"{env['seconds']:.0f} s; wrote {args.out} and {args.out.with_suffix('.png').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
