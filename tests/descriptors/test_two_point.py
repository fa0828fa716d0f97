"""Tests for mcrkit.descriptors.two_point: S2 and cross-correlations against brute force."""

from itertools import combinations

import numpy as np
import pytest
import scipy.ndimage
import torch
from _brute import s2

from mcrkit.descriptors import TwoPoint, TwoPointCross, two_point_correlation
from mcrkit.descriptors.base import one_hot
from mcrkit.microstructure import from_array


def _binary(rng, shape, phi=0.4):
    return (rng.random(shape) < phi).astype(np.uint8)


@pytest.mark.parametrize("limit_to", [3, 8])
def test_s2_equals_brute_force_2d(limit_to):
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (16, 16))
    expected = s2(arr, limit_to=limit_to)

    from_function = two_point_correlation(arr, limit_to=limit_to)
    descriptor = TwoPoint(limit_to=limit_to)
    characterized = descriptor.characterize(from_array(arr))
    evaluated = descriptor.evaluate(one_hot(arr, 2, dtype=torch.float64)).numpy()

    assert from_function.shape == (2 * limit_to + 1,) * 2
    assert characterized.shape == (1, 2 * limit_to + 1, 2 * limit_to + 1)
    np.testing.assert_allclose(from_function, expected, atol=1e-6)
    np.testing.assert_allclose(characterized[0], expected, atol=1e-6)
    np.testing.assert_allclose(evaluated[0], expected, atol=1e-6)


def test_s2_equals_brute_force_non_square():
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (10, 14))
    expected = s2(arr, limit_to=4)
    np.testing.assert_allclose(two_point_correlation(arr, limit_to=4), expected, atol=1e-6)
    value = TwoPoint(limit_to=4).characterize(from_array(arr))
    np.testing.assert_allclose(value[0], expected, atol=1e-6)


def test_s2_equals_brute_force_3d():
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (8, 8, 8))
    value = two_point_correlation(arr, limit_to=3)
    assert value.shape == (7, 7, 7)
    np.testing.assert_allclose(value, s2(arr, limit_to=3), atol=1e-6)


def test_s2_non_periodic_equals_brute_force():
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (16, 16))
    expected = s2(arr, limit_to=6, periodic=False)
    # The edges make the non-periodic map differ from the periodic one.
    assert not np.allclose(expected, s2(arr, limit_to=6))

    np.testing.assert_allclose(two_point_correlation(arr, limit_to=6, periodic=False),
                               expected, atol=1e-6)
    descriptor = TwoPoint(limit_to=6, periodic=False)
    np.testing.assert_allclose(descriptor.characterize(from_array(arr))[0], expected, atol=1e-6)
    field = one_hot(arr, 2, dtype=torch.float64)
    np.testing.assert_allclose(descriptor.evaluate(field)[0].numpy(), expected, atol=1e-6)


def test_s2_non_periodic_equals_brute_force_3d():
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (6, 7, 5))
    np.testing.assert_allclose(two_point_correlation(arr, limit_to=2, periodic=False),
                               s2(arr, limit_to=2, periodic=False), atol=1e-6)


@pytest.mark.parametrize("periodic", [True, False])
def test_cross_correlation_equals_brute_force_per_pair(periodic):
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(12, 12))
    value = TwoPointCross(limit_to=4, periodic=periodic).characterize(from_array(labels))
    pairs = list(combinations(range(3), 2))
    assert value.shape == (len(pairs), 9, 9)
    for channel, (i, j) in enumerate(pairs):
        expected = s2(labels == i, labels == j, limit_to=4, periodic=periodic)
        np.testing.assert_allclose(value[channel], expected, atol=1e-6)
        function = two_point_correlation(labels == i, labels == j, limit_to=4, periodic=periodic)
        np.testing.assert_allclose(function, expected, atol=1e-6)


def test_cross_correlation_is_not_symmetric_but_reverses():
    # S2^ij(r) = S2^ji(-r); for an asymmetric structure S2^ij(r) != S2^ij(-r).
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(10, 10))
    ij = two_point_correlation(labels == 0, labels == 2, limit_to=3)
    ji = two_point_correlation(labels == 2, labels == 0, limit_to=3)
    np.testing.assert_allclose(ij, ji[::-1, ::-1], atol=1e-12)
    assert not np.allclose(ij, ij[::-1, ::-1])


def test_s2_at_origin_is_volume_fraction():
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(16, 12))
    value = TwoPoint(limit_to=4).characterize(from_array(labels))
    phi = np.bincount(labels.ravel(), minlength=3) / labels.size
    np.testing.assert_allclose(value[:, 4, 4], phi, atol=1e-12)
    binary = labels == 1
    assert two_point_correlation(binary, limit_to=4)[4, 4] == pytest.approx(binary.mean())
    assert two_point_correlation(binary, limit_to=4, periodic=False)[4, 4] == pytest.approx(
        binary.mean())


def test_s2_is_symmetric_and_bounded():
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (16, 16), phi=0.3)
    value = two_point_correlation(arr, limit_to=8)
    np.testing.assert_allclose(value, value[::-1, ::-1], atol=1e-12)
    phi = arr.mean()
    assert value.max() == pytest.approx(phi)
    assert value.min() >= -1e-12


def test_s2_levels_off_at_phi_squared():
    rng = np.random.default_rng(1234)
    blurred = scipy.ndimage.gaussian_filter(rng.random((96, 96)), sigma=1.5, mode="wrap")
    arr = blurred > np.quantile(blurred, 0.65)
    phi = arr.mean()
    value = two_point_correlation(arr, limit_to=24)
    ii, jj = np.meshgrid(np.arange(-24, 25), np.arange(-24, 25), indexing="ij")
    far = np.hypot(ii, jj) >= 16
    near = np.hypot(ii, jj) == 1
    # Correlated at short range, uncorrelated far away.
    assert value[near].mean() > phi**2 + 0.05
    assert abs(value[far].mean() - phi**2) < 0.01
    assert np.abs(value[far] - phi**2).max() < 0.05


def test_two_phase_value_is_phase_one_only():
    rng = np.random.default_rng(1234)
    arr = _binary(rng, (12, 12))
    value = TwoPoint(limit_to=3).characterize(from_array(arr))
    assert value.shape == (1, 7, 7)
    np.testing.assert_allclose(value[0], s2(arr == 1, limit_to=3), atol=1e-6)
    assert not np.allclose(value[0], s2(arr == 0, limit_to=3))


def test_three_phases_give_one_channel_per_phase():
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(12, 12))
    value = TwoPoint(limit_to=3).characterize(from_array(labels))
    assert value.shape == (3, 7, 7)
    for phase in range(3):
        np.testing.assert_allclose(value[phase], s2(labels == phase, limit_to=3), atol=1e-6)


def test_relaxed_field_uses_the_same_formula():
    rng = np.random.default_rng(1234)
    field = rng.uniform(0.05, 0.95, size=(8, 10))
    value = TwoPoint(limit_to=3).evaluate(torch.as_tensor(np.stack([1 - field, field])))
    np.testing.assert_allclose(value[0].numpy(), s2(field, limit_to=3), atol=1e-12)
    np.testing.assert_allclose(two_point_correlation(field, limit_to=3), s2(field, limit_to=3),
                               atol=1e-12)


def test_stripes_known_values():
    stripes = np.array([[1, 0, 1, 0]] * 4)
    value = two_point_correlation(stripes, limit_to=2)
    # Along the stripes (axis 0) S2 = phi; across them it alternates between phi and 0.
    np.testing.assert_allclose(value[:, 2], 0.5)
    np.testing.assert_allclose(value[2], [0.5, 0.0, 0.5, 0.0, 0.5])
