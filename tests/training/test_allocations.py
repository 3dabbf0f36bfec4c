"""After its first step, training allocates almost nothing: the preallocated design holds.

Layers write into workspaces reused from step to step, the optimisers and penalties
update one flat parameter buffer with reused scratch arrays, so a training step's
allocations are a small constant: NumPy's own iterator buffers (at most 8,192
values, for broadcasting and casting ufuncs), the dropout layers' raw random bits,
the loss's logit-sized arrays and a few small objects -- never an array per layer, and
nothing that grows with the number of steps. The trainer gathers every batch (inputs,
targets, sample weights) into reused buffers, and a problem large enough to run the
BLAS on several threads allocates no more than one on a single thread. Measured with
``tracemalloc``, which NumPy reports its array memory to. Nothing here is timed.

The compiled training blocks (``fitwell.nn.dense_block``) are checked like the layers:
their kernels take every array they write as an argument and allocate nothing inside
(``tracemalloc`` would not see memory allocated in compiled code), so what the blocks
allocate is what Python and NumPy allocate around the kernel calls.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fitwell import nn, optim
from fitwell.training import Trainer, accuracy_from_logits

BATCH, WIDTH = 64, 128


def _model(dtype, fuse=True, features=32, width=WIDTH):
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Linear(features, width, rng=rng, dtype=dtype), nn.BatchNorm(width, dtype=dtype),
        nn.ReLU(), nn.Dropout(0.2, rng=rng),
        nn.Linear(width, 64, rng=rng, dtype=dtype), nn.BatchNorm(64, dtype=dtype), nn.ReLU(),
        nn.Dropout(0.2, rng=rng),
        nn.Linear(64, 10, rng=rng, dtype=dtype),
        fuse=fuse,
    )


def _traced(run):
    """``(peak, net)`` bytes allocated while ``run()`` runs, above what was live before."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        run()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, after - before


def _repeat(step, times):
    def run():
        for _ in range(times):
            step()
    return run


@pytest.mark.parametrize("fuse", [True, False], ids=["compiled blocks", "numpy layers"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_training_step_allocates_a_small_bound_that_does_not_grow(dtype, fuse):
    model = _model(dtype, fuse)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, 32)).astype(dtype)
    y = rng.integers(0, 10, BATCH)
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = optim.AdamW(model.params, lr=1e-3, weight_decay=0.01)
    penalty = optim.L2(1e-3)
    params, grads = model.params, model.grads

    def step():
        logits = model.forward(x, training=True)
        _, dlogits = loss(logits, y)
        model.backward(dlogits, need_input_grad=False)
        penalty(params, grads, scale=1.0 / BATCH)
        optim.clip_grad_norm(grads, max_norm=1.0)
        optimizer.step(grads, lr=1e-3)

    step()  # the first step allocates the workspaces and the optimiser state
    step()
    blocks = [type(s).__name__ for s in model._training_plan() if s not in model.layers]
    assert blocks == (["DenseBlock"] * 2 if fuse else [])
    peak_10, net_10 = _traced(_repeat(step, 10))
    peak_200, net_200 = _traced(_repeat(step, 200))

    itemsize = np.dtype(dtype).itemsize
    activation = BATCH * WIDTH * itemsize            # one (batch, width) array
    numpy_buffer = 8192 * itemsize                   # NumPy's ufunc iterator buffer
    bound = numpy_buffer + BATCH * WIDTH * 2 + 16 * 1024   # + dropout's 16-bit draws + small
    assert peak_10 <= bound, f"a step's peak allocation {peak_10} B exceeds {bound} B"
    assert peak_200 <= peak_10 + 2048, (
        f"the peak grew with the number of steps: {peak_10} B over 10 steps, "
        f"{peak_200} B over 200")
    assert net_200 <= 4096, f"{net_200} B stayed allocated after 200 steps"
    # Far less than the network's activations: nothing per layer is allocated per step.
    assert peak_10 < 1.5 * activation + 16 * 1024


def _fit_more(features, width, batch):
    """A trainer warmed up on (n, features) data, and ``more(k)``: fit ``k`` more epochs."""
    model = _model(np.float32, features=features, width=width)
    rng = np.random.default_rng(2)
    n = 500
    X = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, 10, n)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.AdamW(model.params, lr=1e-3),
                      penalties=[optim.L2(1e-3)], penalty_scale="batch", clip_grad_norm=1.0,
                      batch_size=batch, max_epochs=2, rng=np.random.default_rng(3),
                      score=accuracy_from_logits)
    trainer.fit(X, y)  # warm-up: workspaces for both batch shapes, optimiser state

    def more(k):
        def run():
            trainer.max_epochs += k
            trainer.fit(X, y)
        return run

    return model, n, more


def test_the_trainer_epoch_loop_does_not_grow_with_epochs():
    model, n, more_epochs = _fit_more(32, WIDTH, BATCH)
    peak_2, net_2 = _traced(more_epochs(2))
    peak_20, net_20 = _traced(more_epochs(20))
    state = sum(v.nbytes for v in model.params.values()) \
        + sum(v.nbytes for v in model.buffers.values())
    per_epoch_data = n * 8 + n * 10 * 4                 # the shuffled order, the outputs
    bound = 2 * state + per_epoch_data + 8192 * 4 + 64 * 1024
    assert peak_2 <= bound, f"fit's peak allocation {peak_2} B exceeds {bound} B"
    assert peak_20 <= peak_2 + 16 * 1024, (
        f"the peak grew with the epochs: {peak_2} B over 2 epochs, {peak_20} B over 20")
    # What stays is the history (a row per epoch) and the divergence guard's snapshot.
    assert net_20 - net_2 <= 18 * 1024, f"{net_20 - net_2} B more kept after 18 more epochs"


def test_a_fit_on_several_blas_threads_allocates_what_one_on_one_thread_does():
    # 128 rows through a 512-512 layer: 2**25 multiply-adds, where the BLAS keeps its threads
    peaks = {}
    for threads in (1, 2):
        with threadpool_limits(threads):
            _, _, more_epochs = _fit_more(512, 512, 128)
            peaks[threads] = _traced(more_epochs(2))[0], _traced(more_epochs(6))[0]
    assert peaks[2][0] <= peaks[1][0] + 4096, peaks
    assert peaks[2][1] <= peaks[2][0] + 16 * 1024, f"the peak grew with the epochs: {peaks}"


def test_every_batch_is_gathered_into_reused_buffers():
    """Inputs, targets and sample weights of every step are the same few arrays (one per
    batch shape), not fresh copies: the test keeps each one alive, so a copy per step
    would show as a new object."""
    received = {"x": [], "y": [], "w": []}

    class Recording(nn.CrossEntropyLoss):
        def __call__(self, logits, target, sample_weight=None):
            received["y"].append(target)
            received["w"].append(sample_weight)
            return super().__call__(logits, target, sample_weight=sample_weight)

    model = _model(np.float32)
    original_forward = model.forward

    def forward(x, training=False):
        received["x"].append(x)
        return original_forward(x, training=training)

    model.forward = forward
    rng = np.random.default_rng(4)
    n = 500  # 7 batches of 64 and one of 52 per epoch
    X = rng.standard_normal((n, 32)).astype(np.float32)
    trainer = Trainer(model, Recording(), optim.SGD(model.params, lr=1e-2), batch_size=BATCH,
                      max_epochs=3, rng=np.random.default_rng(5))
    trainer.fit(X, rng.integers(0, 10, n), sample_weight=rng.uniform(0.5, 2.0, n))
    for name, arrays in received.items():
        assert len(arrays) == 24
        assert len({id(a) for a in arrays}) == 2, f"{name}: a new array per step"
