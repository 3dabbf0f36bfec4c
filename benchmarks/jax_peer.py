"""The benchmark's networks in JAX, written the fastest honest way for a CPU.

One epoch is one compiled program: ``jax.jit`` around a ``jax.lax.scan`` over the
mini-batches (the last, shorter batch is one more step inside the same program),
with the shuffle (``jax.random.permutation``), the batch gather, dropout masks
(``jax.random.bernoulli``), batch norm's running statistics (carried in the scan
state, updated as PyTorch does: momentum 0.1, unbiased variance) and the optimiser
(optax's ``trace`` for SGD with momentum, ``scale_by_adam`` for Adam, the same
hyper-parameters; the learning rate is an argument, so the cosine schedule steps
per epoch without recompiling). The L2 term is ``0.5 * alpha / batch * sum(W**2)``
over the weight matrices, added to the loss, as fitwell and scikit-learn define
``alpha``. Parameters and optimiser state are donated, so an epoch updates them in
place.

Compiling happens once per network and data shape, before the timed runs, and is
reported separately (:func:`compile_seconds`). A timed fit is: the data to JAX
arrays, fresh parameters, every epoch, ``block_until_ready``.
"""

from __future__ import annotations

import time

import numpy as np

BN_EPS, BN_MOMENTUM = 1e-5, 0.1
_PROGRAMS = {}


def _program(config, n, features, classes):
    """``(epoch, predict, compile seconds)`` for this network and data shape, compiled once."""
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)  # float64 rows; float32 ones stay float32
    batch = n if config.batch is None else min(config.batch, n)
    key = (config.label, n, features, classes)
    if key in _PROGRAMS:
        return _PROGRAMS[key]
    full, rest = divmod(n, batch)
    p, normalize = config.dropout, config.normalization
    transform = optax.scale_by_adam() if config.solver == "adam" else optax.trace(decay=0.9)

    def forward(params, stats, x, key, training):
        h, new_stats = x, []
        for i, layer in enumerate(params["hidden"]):
            h = h @ layer["w"] + layer["b"]
            if normalize:
                if training:
                    mean, var = h.mean(axis=0), h.var(axis=0)
                    m = h.shape[0]
                    running_mean, running_var = stats[i]
                    new_stats.append((running_mean * (1 - BN_MOMENTUM) + mean * BN_MOMENTUM,
                                      running_var * (1 - BN_MOMENTUM)
                                      + var * (BN_MOMENTUM * m / (m - 1))))
                else:
                    mean, var = stats[i]
                h = (h - mean) * jax.lax.rsqrt(var + BN_EPS) * layer["gamma"] + layer["beta"]
            h = jax.nn.relu(h)
            if training and p:
                keep = jax.random.bernoulli(jax.random.fold_in(key, i), 1.0 - p, h.shape)
                h = jnp.where(keep, h * (1.0 / (1.0 - p)), 0.0)
        logits = h @ params["out"]["w"] + params["out"]["b"]
        return logits, (new_stats if training and normalize else stats)

    def objective(params, stats, x, y, key):
        logits, stats = forward(params, stats, x, key, True)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        weights = [layer["w"] for layer in params["hidden"]] + [params["out"]["w"]]
        penalty = 0.5 * config.alpha / x.shape[0] * sum(jnp.sum(w * w) for w in weights)
        return loss + penalty, stats

    def step(carry, index, X, y, lr):
        params, opt_state, stats, key = carry
        key, sub = jax.random.split(key)
        grads, stats = jax.grad(objective, has_aux=True)(params, stats, X[index], y[index], sub)
        updates, opt_state = transform.update(grads, opt_state, params)
        params = jax.tree.map(lambda w, u: w - lr * u, params, updates)
        return (params, opt_state, stats, key), None

    def epoch(params, opt_state, stats, key, lr, X, y):
        key, shuffle = jax.random.split(key)
        order = jax.random.permutation(shuffle, n)
        carry = (params, opt_state, stats, key)
        carry, _ = jax.lax.scan(lambda c, index: step(c, index, X, y, lr), carry,
                                order[:full * batch].reshape(full, batch))
        if rest:
            carry, _ = step(carry, order[full * batch:], X, y, lr)
        return carry

    def predict(params, stats, x):
        return forward(params, stats, x, None, False)[0].argmax(axis=1)

    dtype = np.dtype(config.dtype)
    params, stats = _initial(config, features, classes, np.random.default_rng(0))
    args = (params, transform.init(params), stats, jax.random.key(0), dtype.type(config.lr),
            jax.ShapeDtypeStruct((n, features), dtype), jax.ShapeDtypeStruct((n,), np.int32))
    started = time.perf_counter()
    compiled = jax.jit(epoch, donate_argnums=(0, 1, 2)).lower(*args).compile()
    seconds = time.perf_counter() - started
    _PROGRAMS[key] = (compiled, jax.jit(predict), transform, seconds)
    return _PROGRAMS[key]


def _initial(config, features, classes, rng):
    """PyTorch's default initialisation: weights and biases uniform in +-1/sqrt(fan_in)."""
    import jax.numpy as jnp

    dtype = np.dtype(config.dtype)
    widths = [features, *config.hidden, classes]

    def dense(fan_in, fan_out):
        bound = 1.0 / np.sqrt(fan_in)
        return {"w": jnp.asarray(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype)),
                "b": jnp.asarray(rng.uniform(-bound, bound, fan_out).astype(dtype))}

    hidden, stats = [], []
    for fan_in, fan_out in zip(widths[:-2], widths[1:-1], strict=True):
        layer = dense(fan_in, fan_out)
        if config.normalization:
            layer["gamma"], layer["beta"] = jnp.ones(fan_out, dtype), jnp.zeros(fan_out, dtype)
            stats.append((jnp.zeros(fan_out, dtype), jnp.ones(fan_out, dtype)))
        hidden.append(layer)
    return {"hidden": hidden, "out": dense(widths[-2], widths[-1])}, stats


def compile_seconds(config, X, y):
    """Compile the epoch for this data (once) and return how long compiling took."""
    return _program(config, len(X), X.shape[1], int(y.max()) + 1)[3]


def fit_jax(config, X, y, X_test, y_test, epochs, seed):
    """Train ``epochs`` epochs; ``(seconds, test accuracy)``, compiling excluded."""
    import jax
    import jax.numpy as jnp

    classes = int(y.max()) + 1
    epoch, predict, transform, _ = _program(config, len(X), X.shape[1], classes)
    started = time.perf_counter()
    X_j, y_j = jnp.asarray(X), jnp.asarray(y.astype(np.int32))
    params, stats = _initial(config, X.shape[1], classes, np.random.default_rng(seed))
    opt_state = transform.init(params)
    key = jax.random.key(seed)
    dtype = np.dtype(config.dtype).type
    for t in range(epochs):
        lr = config.lr
        if config.schedule == "cosine":  # PyTorch's CosineAnnealingLR(T_max=epochs), per epoch
            lr = config.lr * (1 + np.cos(np.pi * t / epochs)) / 2
        params, opt_state, stats, key = epoch(params, opt_state, stats, key, dtype(lr), X_j, y_j)
    jax.block_until_ready((params, stats))
    seconds = time.perf_counter() - started
    predicted = np.asarray(predict(params, stats, jnp.asarray(X_test)))
    return seconds, float(np.mean(predicted == y_test))
