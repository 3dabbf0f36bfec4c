"""A scipy.sparse batch through the first dense layer: the same outputs and gradients as
its dense copy (fused and unfused networks, batch norm, dropout), a gradient check of
the first layer's weight, and a clear refusal where the first layer is not dense."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from fitwell import nn
from fitwell.errors import DataError
from fitwell.testing.gradcheck import numeric_gradient, relative_error

FORMATS = [scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.csr_array,
           scipy.sparse.csc_array]


def _network(norm, dropout, fuse, seed=0):
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(30, 12, rng=rng, dtype=np.float64)]
    if norm:
        layers.append(nn.BatchNorm(12, dtype=np.float64))
    layers.append(nn.ReLU())
    if dropout:
        layers.append(nn.Dropout(0.3, rng=np.random.default_rng(seed + 1)))
    layers.append(nn.Linear(12, 3, rng=rng, dtype=np.float64))
    return nn.Sequential(*layers, fuse=fuse)


def _batch(seed=0):
    return scipy.sparse.random(16, 30, density=0.15, format="csr", random_state=seed,
                               dtype=np.float64)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("norm", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize("dropout", [False, True], ids=["", "dropout"])
@pytest.mark.parametrize("fuse", [False, True], ids=["layers", "fused"])
def test_sparse_batch_equals_dense_batch(fmt, norm, dropout, fuse):
    x = _batch()
    sparse_net, dense_net = _network(norm, dropout, fuse), _network(norm, dropout, fuse)
    grad_out = np.random.default_rng(5).standard_normal((16, 3))
    out_sparse = sparse_net.forward(fmt(x), training=True)
    sparse_net.backward(grad_out, need_input_grad=False)
    out_dense = dense_net.forward(x.toarray(), training=True)
    dense_net.backward(grad_out, need_input_grad=False)
    np.testing.assert_allclose(out_sparse, out_dense, rtol=1e-12, atol=1e-12)
    for key in dense_net.grads:
        np.testing.assert_allclose(sparse_net.grads[key], dense_net.grads[key], rtol=1e-12,
                                   atol=1e-12, err_msg=key)
    np.testing.assert_allclose(sparse_net.predict(fmt(x)), dense_net.predict(x.toarray()),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fuse", [False, True], ids=["layers", "fused"])
def test_first_weight_gradient_from_sparse_batch_passes_gradient_check(fuse):
    x = _batch(seed=3)
    net = _network(norm=True, dropout=True, fuse=fuse, seed=2)
    weights = np.random.default_rng(7).standard_normal((16, 3))
    dropout_rng = net.layers[3].rng
    state = dropout_rng.bit_generator.state

    def objective():
        dropout_rng.bit_generator.state = state
        return float(np.sum(net.forward(x, training=True) * weights))

    objective()
    net.backward(weights, need_input_grad=False)
    analytic = net.grads["0.weight"].copy()
    numeric = numeric_gradient(objective, net.params["0.weight"])
    assert relative_error(analytic, numeric) < 1e-6


def test_input_gradient_of_a_sparse_batch_is_dense():
    x = _batch()
    layer = nn.Linear(30, 4, rng=0, dtype=np.float64)
    layer.forward(x, training=True)
    grad = np.ones((16, 4))
    dx = layer.backward(grad)
    np.testing.assert_allclose(dx, grad @ layer.params["weight"].T)


def test_sparse_input_needs_a_dense_first_layer():
    net = nn.Sequential(nn.ReLU(), nn.Linear(30, 2, dtype=np.float64))
    with pytest.raises(DataError, match="first layer is a Linear"):
        net.forward(_batch(), training=True)


def test_sparse_input_of_the_wrong_width_is_refused():
    with pytest.raises(DataError, match="shape"):
        nn.Linear(29, 2, dtype=np.float64).forward(_batch())
