"""Tests for mcrkit.descriptors.volume_fractions and mcrkit.descriptors.chord_length."""

import numpy as np
import pytest
import torch
from _brute import chords_by_walk

from mcrkit.descriptors import (
    ChordLength,
    VolumeFractions,
    chord_length_distribution,
    chord_lengths,
    mean_chord_length,
    volume_fractions,
)
from mcrkit.descriptors.base import one_hot
from mcrkit.microstructure import from_array

# ---- volume fractions ---------------------------------------------------------------


@pytest.mark.parametrize("shape", [(9, 13), (4, 5, 6)])
@pytest.mark.parametrize("n_phases", [2, 4])
def test_volume_fractions_match_bincount_and_sum_to_one(shape, n_phases):
    rng = np.random.default_rng(1234)
    labels = rng.choice(n_phases, size=shape, p=np.linspace(1, 2, n_phases) / np.linspace(
        1, 2, n_phases).sum())
    expected = np.bincount(labels.ravel(), minlength=n_phases) / labels.size
    function = volume_fractions(labels, n_phases)
    np.testing.assert_allclose(function, expected, atol=1e-15)
    assert function.sum() == pytest.approx(1.0)

    value = VolumeFractions().characterize(from_array(labels))
    if len(shape) == 2:
        np.testing.assert_allclose(value, expected, atol=1e-12)
    else:  # every slicing axis sees the same voxels
        assert value.shape == (3, n_phases)
        np.testing.assert_allclose(value, np.broadcast_to(expected, (3, n_phases)), atol=1e-12)
    np.testing.assert_allclose(value.sum(axis=-1), 1.0, atol=1e-12)


def test_volume_fractions_keep_absent_phases():
    np.testing.assert_array_equal(volume_fractions(np.array([[0, 0], [2, 0]]), 4),
                                  [0.75, 0, 0.25, 0])


def test_volume_fractions_of_relaxed_field_are_means():
    rng = np.random.default_rng(1234)
    raw = rng.random((3, 6, 7))
    field = torch.as_tensor(raw / raw.sum(axis=0))
    value = VolumeFractions().evaluate(field).numpy()
    np.testing.assert_allclose(value, field.numpy().mean(axis=(1, 2)), atol=1e-15)
    assert value.sum() == pytest.approx(1.0)


def test_volume_fractions_two_phases_describe_both():
    labels = np.array([[0, 1, 1], [1, 1, 1]])
    value = VolumeFractions().evaluate(one_hot(labels, 2)).numpy()
    np.testing.assert_allclose(value, [1 / 6, 5 / 6])


# ---- chord lengths --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "periodic", "expected"),
    [
        ([1, 1, 0, 1], True, [3]),  # joined across the edge
        ([1, 1, 0, 1], False, []),  # both chords touch an edge
        ([0, 1, 1, 0, 1, 0], True, [1, 2]),
        ([0, 1, 1, 0, 1, 0], False, [1, 2]),
        ([1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1], True, [2, 2, 3]),
        ([1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1], False, [2, 3]),
        ([1, 1, 1, 1, 1], True, [5]),  # a full line is one chord of the line's length
        ([1, 1, 1, 1, 1], False, []),
        ([0, 0, 0, 0], True, []),
        ([0, 0, 0, 0], False, []),
        ([0, 1, 1, 1, 1], True, [4]),
        ([0, 1, 1, 1, 1], False, []),
        ([1, 1, 1, 1, 0], True, [4]),
    ],
)
def test_chord_lengths_of_hand_made_lines(line, periodic, expected):
    lengths = chord_lengths(np.array([line]), axis=1, periodic=periodic)
    assert sorted(lengths.tolist()) == expected
    assert chords_by_walk(line, periodic=periodic) == expected
    # The same line as a column.
    column = chord_lengths(np.array([line]).T, axis=0, periodic=periodic)
    assert sorted(column.tolist()) == expected


@pytest.mark.parametrize("periodic", [True, False])
def test_chord_lengths_equal_walk_on_random_images(periodic):
    rng = np.random.default_rng(1234)
    image = rng.random((9, 11)) < 0.6
    image[2] = True
    for axis in (0, 1):
        lines = np.moveaxis(image, axis, -1)
        expected = sorted(c for line in lines for c in chords_by_walk(line, periodic=periodic))
        assert sorted(chord_lengths(image, axis, periodic=periodic).tolist()) == expected
    volume = rng.random((4, 5, 6)) < 0.5
    lines = np.moveaxis(volume, 1, -1).reshape(-1, 5)
    expected = sorted(c for line in lines for c in chords_by_walk(line, periodic=periodic))
    assert sorted(chord_lengths(volume, 1, periodic=periodic).tolist()) == expected


def test_periodic_chords_tile_the_phase():
    rng = np.random.default_rng(1234)
    image = rng.random((8, 9)) < 0.5
    for axis in (0, 1):
        assert chord_lengths(image, axis).sum() == image.sum()


def test_distribution_sums_to_one_and_clips_into_last_bin():
    line = np.array([[1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0]])  # chords 5, 1, 2
    np.testing.assert_allclose(chord_length_distribution(line, 1, max_length=6),
                               [1 / 3, 1 / 3, 0, 0, 1 / 3, 0])
    np.testing.assert_allclose(chord_length_distribution(line, 1, max_length=3),
                               [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(chord_length_distribution(line, 1, max_length=2), [1 / 3, 2 / 3])
    np.testing.assert_allclose(chord_length_distribution(line, 1, max_length=1), [1.0])
    assert mean_chord_length(line, 1) == pytest.approx(8 / 3)

    rng = np.random.default_rng(1234)
    image = rng.random((12, 12)) < 0.7
    for periodic in (True, False):
        p = chord_length_distribution(image, 0, max_length=4, periodic=periodic)
        assert p.sum() == pytest.approx(1.0)
        lengths = chord_lengths(image, 0, periodic=periodic)
        assert p[-1] == pytest.approx(np.mean(lengths >= 4))
        assert p[0] == pytest.approx(np.mean(lengths == 1))


def test_no_chords_give_zeros_and_nan_mean():
    empty = np.zeros((3, 4), dtype=bool)
    np.testing.assert_array_equal(chord_length_distribution(empty, 1, max_length=3), [0, 0, 0])
    assert np.isnan(mean_chord_length(empty, 1))


def test_descriptor_layout_and_stripes():
    stripes = np.broadcast_to((np.arange(12) // 3) % 2 == 0, (12, 12)).astype(np.uint8)
    value = ChordLength(max_length=6).characterize(from_array(stripes))
    assert value.shape == (1, 2, 6)
    # Along x the stripes are full columns of 12 (clipped to the last bin); across, 3 wide.
    np.testing.assert_allclose(value[0, 0], [0, 0, 0, 0, 0, 1])
    np.testing.assert_allclose(value[0, 1], [0, 0, 1, 0, 0, 0])
    non_periodic = ChordLength(max_length=6, periodic=False).characterize(from_array(stripes))
    np.testing.assert_allclose(non_periodic[0, 0], 0)  # every column chord touches the edges
    np.testing.assert_allclose(non_periodic[0, 1], [0, 0, 1, 0, 0, 0])


def test_descriptor_per_phase_matches_functions():
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(10, 12))
    value = ChordLength(max_length=5).characterize(from_array(labels))
    assert value.shape == (3, 2, 5)
    for phase in range(3):
        for axis in (0, 1):
            lengths = chord_lengths(labels == phase, axis)
            expected = np.bincount(np.minimum(lengths, 5), minlength=6)[1:] / lengths.size
            np.testing.assert_allclose(value[phase, axis], expected, atol=1e-12)
