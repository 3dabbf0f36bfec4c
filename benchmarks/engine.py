"""One training step of the engine against the same step in PyTorch eager, one thread.

The step is forward + cross-entropy + backward + AdamW on 64-128-64-32-10 with batch
norm and dropout 0.2 after each hidden layer, at batch 64, in float32: fitwell's
``nn.Sequential`` and ``optim.AdamW`` against ``torch.nn.Sequential`` and
``torch.optim.AdamW`` (``zero_grad(set_to_none=True)``, default implementation).
fitwell is timed twice: as it trains (each hidden layer's run of layers through a
compiled ``DenseBlock``) and with ``Sequential(fuse=False)``, every layer's own NumPy
forward and backward, to show what the compiled blocks buy. The three alternate in
blocks, each block timed as a whole; the medians are compared.

    python benchmarks/engine.py [--repeats 15] [--steps 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from fitwell import nn, optim

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cores  # noqa: E402  (beside this file: the clean BLAS environment)

WIDTHS = (64, 128, 64, 32, 10)
BATCH = 64


def fitwell_step(fuse=True):
    rng = np.random.default_rng(0)
    layers = []
    for fan_in, fan_out in zip(WIDTHS[:-2], WIDTHS[1:-1], strict=True):
        layers += [nn.Linear(fan_in, fan_out, rng=rng), nn.BatchNorm(fan_out), nn.ReLU(),
                   nn.Dropout(0.2, rng=rng)]
    model = nn.Sequential(*layers, nn.Linear(WIDTHS[-2], WIDTHS[-1], rng=rng), fuse=fuse)
    loss = nn.CrossEntropyLoss()
    optimizer = optim.AdamW(model.params, lr=1e-3)
    grads = model.grads
    x = rng.standard_normal((BATCH, WIDTHS[0])).astype(np.float32)
    y = rng.integers(0, WIDTHS[-1], BATCH)

    def step():
        _, dlogits = loss(model.forward(x, training=True), y)
        model.backward(dlogits, need_input_grad=False)
        optimizer.step(grads)

    return step


def torch_step():
    import torch

    torch.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(WIDTHS[:-2], WIDTHS[1:-1], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.BatchNorm1d(fan_out),
                   torch.nn.ReLU(), torch.nn.Dropout(0.2)]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(WIDTHS[-2], WIDTHS[-1])).train()
    loss = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(BATCH, WIDTHS[0])
    y = torch.randint(0, WIDTHS[-1], (BATCH,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss(model(x), y).backward()
        optimizer.step()

    return step


def main(argv=None):
    cores.clean_environment()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed blocks per library")
    parser.add_argument("--steps", type=int, default=200, help="steps per timed block")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    steps = {"fitwell": fitwell_step(), "fitwell-layers": fitwell_step(fuse=False),
             "torch": torch_step()}
    times = {name: [] for name in steps}
    with threadpool_limits(1):
        for step in steps.values():  # warm-up
            for _ in range(20):
                step()
        for repeat in range(args.repeats):
            shift = repeat % len(steps)
            order = list(steps)[shift:] + list(steps)[:shift]
            for name in order:
                started = time.perf_counter()
                for _ in range(args.steps):
                    steps[name]()
                times[name].append((time.perf_counter() - started) / args.steps)
    fw, layers, th = (statistics.median(times[name]) * 1e6
                      for name in ("fitwell", "fitwell-layers", "torch"))
    print(f"one training step (forward + backward + AdamW), 64-128-64-32-10 with batch norm "
          f"and dropout, batch {BATCH}, float32, 1 thread (median of {args.repeats} x "
          f"{args.steps} steps):")
    print(f"  fitwell                  {fw:8.1f} us   (compiled blocks)")
    print(f"  fitwell, fuse=False      {layers:8.1f} us   (NumPy layer by layer)")
    print(f"  torch                    {th:8.1f} us   (PyTorch {torch.__version__}, eager)")
    print(f"  fitwell is {th / fw:.2f}x faster than torch; the compiled blocks make it "
          f"{layers / fw:.2f}x faster than its NumPy layers")
    print("  BLAS (threadpoolctl): " + ", ".join(
        f"{b['internal_api']} {b['version']} kernel {b['architecture']}"
        for b in cores.kernel_report()) + f"; {cores.unset_note()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
