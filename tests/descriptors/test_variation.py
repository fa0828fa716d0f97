"""Tests for mcrkit.descriptors.variation: interface density of binary fields."""

import numpy as np
import pytest
import torch
from _brute import unlike_pair_fraction

from mcrkit.descriptors import Variation, total_variation
from mcrkit.descriptors.base import one_hot
from mcrkit.microstructure import from_array


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("shape", [(12, 12), (7, 7), (4, 12), (5, 5, 5), (3, 4, 6)])
def test_equals_fraction_of_unlike_neighbour_pairs(periodic, shape):
    rng = np.random.default_rng(1234)
    image = (rng.random(shape) < 0.4).astype(np.uint8)
    expected = unlike_pair_fraction(image, periodic=periodic)
    assert total_variation(image, periodic=periodic) == pytest.approx(expected, abs=1e-12)
    if len(shape) == 2:
        value = Variation(periodic=periodic).characterize(from_array(image))
        assert value.shape == (1,)
        assert value[0] == pytest.approx(expected, abs=1e-12)


def test_periodic_non_square_equals_brute_force():
    rng = np.random.default_rng(1234)
    image = (rng.random((6, 11)) < 0.5).astype(np.uint8)
    expected = unlike_pair_fraction(image)
    assert total_variation(image) == pytest.approx(expected, abs=1e-12)
    assert Variation().characterize(from_array(image))[0] == pytest.approx(expected, abs=1e-12)


def test_non_periodic_normalizes_by_the_number_of_pairs():
    # 2 x 10 alternating columns: all 18 pairs along y differ, none of the 10 along x.
    columns = np.broadcast_to(np.arange(10) % 2, (2, 10))
    assert total_variation(columns, periodic=False) == pytest.approx(18 / 28)
    value = Variation(periodic=False).characterize(from_array(columns))
    assert value[0] == pytest.approx(18 / 28)


def test_descriptor_equals_function_on_relaxed_fields():
    rng = np.random.default_rng(1234)
    relaxed = rng.uniform(0.05, 0.95, size=(7, 9))
    field = torch.as_tensor(np.stack([1 - relaxed, relaxed]))
    for periodic in (True, False):
        value = Variation(periodic=periodic).evaluate(field)[0].item()
        assert value == pytest.approx(total_variation(relaxed, periodic=periodic), abs=1e-12)


def test_three_phases_each_phase():
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(10, 10))
    value = Variation().characterize(from_array(labels))
    assert value.shape == (3,)
    np.testing.assert_allclose(value, [unlike_pair_fraction(labels == p) for p in range(3)],
                               atol=1e-12)
    field = one_hot(labels, 3)
    np.testing.assert_allclose(Variation().evaluate(field).numpy(), value, atol=1e-12)


@pytest.mark.parametrize("width", [1, 2, 4])
def test_stripes_known_value(width):
    stripes = np.broadcast_to((np.arange(16) // width) % 2, (16, 16))
    # Two boundaries per period 2w across the stripes, none along them.
    assert total_variation(stripes) == pytest.approx(1 / (2 * width))
    value = Variation().characterize(from_array(stripes))
    assert value[0] == pytest.approx(1 / (2 * width))
    # Without wrap a row of 16 has 16 / w - 1 boundaries among its 15 pairs.
    assert total_variation(stripes, periodic=False) == pytest.approx((16 / width - 1) / 30)


def test_uniform_and_checkerboard_extremes():
    board = np.add.outer(np.arange(6), np.arange(6)) % 2
    assert total_variation(board) == 1.0
    assert total_variation(np.ones((6, 6))) == 0.0
    assert Variation().characterize(from_array(board))[0] == 1.0
