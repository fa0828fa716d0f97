import numpy as np
import pytest

from mcrkit.morphology.lengths import (
    correlation_lengths,
    correlation_window,
    repeat_lengths,
    scaled_autocovariance,
)


def brute_s2_along(mask, axis, r):
    return np.mean(mask & np.roll(mask, -r, axis=axis))


def test_scaled_autocovariance_matches_brute_force_in_2d_and_3d():
    rng = np.random.default_rng(0)
    for shape in [(20, 24), (10, 12, 14)]:
        mask = rng.random(shape) < 0.3
        f = scaled_autocovariance(mask, max_lag=5)
        phi = mask.mean()
        for axis in range(mask.ndim):
            expected = [(brute_s2_along(mask, axis, r) - phi**2) / (phi - phi**2)
                        for r in range(6)]
            np.testing.assert_allclose(f[axis], expected, atol=1e-12)
        np.testing.assert_allclose(f, scaled_autocovariance(~mask, max_lag=5), atol=1e-12)
    assert np.isnan(scaled_autocovariance(np.ones((4, 4), bool))).all()


def test_correlation_length_of_stripes_is_the_analytic_crossing():
    for width in (6, 10):
        stripes = np.zeros((8 * width, 48), dtype=bool)
        stripes[np.arange(8 * width) % (2 * width) < width] = True  # f = 1 - 2r/w along x
        lengths = correlation_lengths(stripes, voxel_size=(0.5, 1.0))
        assert lengths[0] == pytest.approx(0.5 * width * (1 - np.exp(-1)) / 2)
        assert np.isnan(lengths[1])


def test_correlation_length_of_a_random_checkerboard():
    # independent cells of side a: f = 1 - r/a for r <= a along an axis (in expectation)
    rng = np.random.default_rng(4)
    cells = rng.random((64, 64)) < 0.5
    mask = cells.repeat(4, axis=0).repeat(4, axis=1)
    lengths = correlation_lengths(mask)
    np.testing.assert_allclose(lengths, 4 * (1 - np.exp(-1)), rtol=0.05)


def test_repeat_lengths_and_the_window():
    lamellae = np.zeros((60, 30), dtype=int)
    lamellae[np.arange(60) % 12 < 4] = 1  # period 12 along x, phase 1 four thick
    np.testing.assert_allclose(repeat_lengths(lamellae == 1), [12.0, np.nan])
    np.testing.assert_allclose(repeat_lengths(lamellae == 0), [12.0, np.nan])
    assert correlation_window(lamellae) == 12
    assert correlation_window(lamellae, minimum=13) == 13
    fine = np.indices((40, 40)).sum(axis=0) % 2  # checkerboard: period 2
    assert correlation_window(fine) == 2
    assert correlation_window(np.zeros((10, 16), dtype=int)) == 5
    three = np.tile(np.repeat([0, 1, 2], [3, 5, 4]), (40, 4))  # period 12 along y for each
    assert correlation_window(three) == 12
    assert repeat_lengths(three == 1, voxel_size=0.5).tolist()[1] == 6.0
    # bounded box: 11 neighbour pairs per line, entries at 3 and 6
    line = np.array([[0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0]], dtype=bool)
    assert repeat_lengths(line, periodic=False)[1] == 11 / 2
    assert repeat_lengths(line)[1] == 12 / 2
