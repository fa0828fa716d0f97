import numpy as np
import pytest

from mcrkit.morphology.chords import (
    chord_distance,
    chord_length_sample,
    chord_statistics,
)


def test_chord_samples_of_stripes_along_each_axis_and_in_3d():
    stripes = np.zeros((12, 10), dtype=bool)
    stripes[:, 2:5] = True  # width 3 along y; whole lines along x
    assert chord_length_sample(stripes, axis=1).tolist() == [3] * 12
    assert chord_length_sample(stripes, axis=0).tolist() == [12] * 3
    assert chord_length_sample(stripes, axis=0, periodic=False).size == 0  # all truncated
    volume = np.repeat(stripes[:, :, None], 4, axis=2)
    assert chord_length_sample(volume, axis=1, voxel_size=(1, 0.5, 2)).tolist() == [1.5] * 48
    stats = chord_statistics(volume, axis=-2)
    assert stats == (48, 3.0, 3.0)
    assert np.isnan(chord_statistics(np.zeros((4, 4), bool), axis=0).mean)


def test_length_weighted_mean_is_the_chord_through_a_random_point():
    line = np.array([[0, 1, 0, 1, 1, 1, 0]], dtype=bool)
    stats = chord_statistics(line, axis=1, periodic=False)
    # random phase point: in the chord of length 1 with probability 1/4, of 3 with 3/4
    assert stats.length_weighted_mean == pytest.approx(1 / 4 + 3 * 3 / 4)
    assert stats.mean == 2.0


def test_chord_distance_against_the_cumulative_distributions():
    rng = np.random.default_rng(2)
    a = rng.integers(1, 20, 200)
    b = rng.integers(1, 30, 150)
    grid = np.arange(0, 31)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
    assert chord_distance(a, b) == pytest.approx(np.abs(cdf_a - cdf_b).sum())
    # length weighting: the same with each chord repeated in proportion to its length
    assert chord_distance(a, b, weighting="length") == pytest.approx(
        chord_distance(np.repeat(a, a), np.repeat(b, b)))
    assert chord_distance(a, a) == 0.0
    assert chord_distance(a, a + 3) == pytest.approx(3.0)
    assert chord_distance(a, b) == chord_distance(b, a)


def test_fragmentation_moves_the_chord_distribution():
    lines = np.zeros((32, 32), dtype=bool)
    lines[::8, :] = True
    broken = lines.copy()
    broken[:, 4::8] = False  # each line cut every 8 pixels into chords of 7
    before = chord_length_sample(lines, axis=1)
    after = chord_length_sample(broken, axis=1)
    assert chord_distance(before, after) == pytest.approx(32 - 7)
    assert chord_distance([], []) == 0.0
    assert np.isnan(chord_distance([], [1.0]))


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="weighting must be 'number' or 'length'"):
        chord_distance([1], [1], weighting="area")
    with pytest.raises(ValueError, match="axis must be an integer in"):
        chord_length_sample(np.zeros((3, 3), bool), axis=2)
