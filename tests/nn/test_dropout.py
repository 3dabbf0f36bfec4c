"""Dropout: the statistics of its masks, reproducibility, and its backward."""

from __future__ import annotations

import numpy as np
import pytest

from fitwell import nn
from fitwell.nn.dropout import draw_keep_bits


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_a_fraction_one_minus_p(p):
    n = 200_000
    out = nn.Dropout(p, rng=0).forward(np.ones((400, n // 400), np.float32), training=True)
    kept = np.count_nonzero(out)
    # binomial(n, 1 - p): five standard deviations
    assert abs(kept - n * (1 - p)) <= 5 * np.sqrt(n * p * (1 - p))
    assert set(np.unique(out)) == {0.0, np.float32(1.0 / (1.0 - p))}


def test_dropout_preserves_the_expectation():
    p = 0.4
    x = np.random.default_rng(1).normal(1.0, 1.0, (2000, 100)).astype(np.float32)
    out = nn.Dropout(p, rng=2).forward(x, training=True)
    # out - x has variance x^2 p / (1 - p) per entry
    sigma = np.sqrt(np.mean(x.astype(np.float64) ** 2) * p / (1 - p) / x.size)
    assert abs(out.mean(dtype=np.float64) - x.mean(dtype=np.float64)) <= 5 * sigma


def test_dropout_preserves_each_entry_on_average_over_many_masks():
    p, draws = 0.3, 2000
    x = np.random.default_rng(0).uniform(0.5, 2.0, (4, 5))
    layer = nn.Dropout(p, rng=3)
    total = np.zeros_like(x)
    for _ in range(draws):
        total += layer.forward(x, training=True)
    sigma = x * np.sqrt(p / (1 - p) / draws)
    assert np.all(np.abs(total / draws - x) <= 5 * sigma)


def test_dropout_inference_is_the_identity():
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    before = x.copy()
    layer = nn.Dropout(0.5, rng=0)
    out = layer.forward(x, training=False)
    assert np.array_equal(out, before) and out.dtype == x.dtype
    assert np.array_equal(x, before)
    grad = np.ones_like(x)
    assert np.array_equal(layer.backward(grad), grad)


def test_dropout_with_p_zero_is_the_identity_in_training():
    x = np.random.default_rng(0).standard_normal((6, 4))
    assert np.array_equal(nn.Dropout(0.0, rng=0).forward(x, training=True), x)


def _mask(layer, shape=(50, 20)):
    return layer.forward(np.ones(shape), training=True).copy()


def test_dropout_same_seed_same_mask_and_different_seed_different_mask():
    assert np.array_equal(_mask(nn.Dropout(0.5, rng=7)), _mask(nn.Dropout(0.5, rng=7)))
    assert np.array_equal(_mask(nn.Dropout(0.5, rng=np.random.default_rng(7))),
                          _mask(nn.Dropout(0.5, rng=7)))
    assert not np.array_equal(_mask(nn.Dropout(0.5, rng=7)), _mask(nn.Dropout(0.5, rng=8)))


def test_dropout_draws_a_new_mask_at_every_training_step():
    layer = nn.Dropout(0.5, rng=0)
    assert not np.array_equal(_mask(layer), _mask(layer))


def test_dropout_backward_uses_the_stored_mask():
    p = 0.5
    x = np.random.default_rng(0).uniform(1.0, 2.0, (30, 10))
    layer = nn.Dropout(p, rng=np.random.default_rng(5))
    out = layer.forward(x, training=True).copy()
    mask = out / x
    layer.rng.random(100)  # the generator moves on; the backward must not redraw
    grad = np.random.default_rng(1).standard_normal(x.shape)
    np.testing.assert_allclose(layer.backward(grad), grad * mask, rtol=1e-12)
    assert set(np.round(np.unique(mask), 12)) <= {0.0, 2.0}


def test_the_mask_draw_reads_the_raw_stream_as_16_bit_integers():
    """The draw both training paths share: four 16-bit integers per raw 64-bit word,
    kept at or above ``round(p * 2**16)``. Pinned, since a model's numbers depend on it."""
    bits, threshold = draw_keep_bits(np.random.default_rng(7), (3, 5), 0.3)
    words = np.random.default_rng(7).bit_generator.random_raw(4)  # ceil(15 / 4) words
    expected = np.array([(int(word) >> (16 * k)) & 0xFFFF for word in words for k in range(4)])
    np.testing.assert_array_equal(bits, expected[:15].reshape(3, 5))
    assert bits.dtype == np.uint16 and threshold == round(0.3 * 65536)
    assert draw_keep_bits(np.random.default_rng(0), (2, 2), 0.99999999)[1] == 65535

