"""Removal of small specks and cavities: counts against the Euler characteristic, budgets."""

from __future__ import annotations

import numpy as np
import pytest

from mcrkit.morphology import cluster_sizes, euler_characteristic
from mcrkit.morphology.cleanup import MAX_SHARE, remove_small_features


def _ball(side: int, radius: float) -> np.ndarray:
    grid = np.indices((side,) * 3) - (side - 1) / 2
    return ((grid**2).sum(axis=0) <= radius**2).astype(np.uint8)


def test_a_ball_keeps_itself_and_loses_its_speck_and_cavity() -> None:
    labels = _ball(20, 6.0)
    labels[9:11, 9:11, 9:11] = 0     # a cavity of 8 voxels
    labels[0, 0, 0] = 1              # a speck (periodic: its neighbours wrap around)
    labels[18, 2, 2] = 1             # another
    assert euler_characteristic(labels == 1) == 1 + 1 + 2  # ball + cavity + specks
    cleaned = remove_small_features(labels, (10, 10))
    assert euler_characteristic(cleaned.labels == 1) == 1
    # with two phases a cavity of one is a speck of the other
    assert cleaned.specks == (1, 2) and cleaned.cavities == (0, 0) and cleaned.changed == 10
    assert np.array_equal(cleaned.labels, _ball(20, 6.0))
    assert np.array_equal(remove_small_features(labels, (8, 10)).labels[9:11, 9:11, 9:11],
                          np.zeros((2, 2, 2)))  # a cavity of 8 is not below 8


def test_a_speck_takes_the_phase_most_of_its_faces_touch() -> None:
    labels = np.zeros((12, 12, 12), dtype=np.uint8)
    labels[:, 6:] = 1
    labels[5, 5, 5] = 2              # five faces in phase 0, one in phase 1
    labels[5, 6, 5] = 2              # five faces in phase 1, one in phase 0: its own speck
    labels[2, 2, 2] = 2
    labels[7:, :4] = 2               # the bulk of phase 2 (what it may lose: 5 % of it)
    cleaned = remove_small_features(labels, (0, 0, 2))
    assert cleaned.labels[2, 2, 2] == 0 and cleaned.specks == (0, 0, 1)
    two = remove_small_features(labels, (0, 0, 3))  # the pair is one speck of two voxels
    assert two.specks == (0, 0, 2) and (two.labels == 2).sum() == 240
    assert two.labels[5, 5, 5] == two.labels[5, 6, 5]  # the pair moves as one cluster


def test_a_pocket_of_two_phases_is_filled_when_smaller_than_both_phases_features() -> None:
    labels = _ball(16, 6.0)
    labels[7, 7, 7:9] = [0, 2]      # a two-voxel cavity holding phases 0 and 2
    labels[0] = 2                    # a layer of phase 2 outside the ball
    only_2 = remove_small_features(labels, (0, 0, 3)).labels  # phase 0 keeps any size
    assert only_2[7, 7, 7] == 0 and only_2[7, 7, 8] == 1
    cleaned = remove_small_features(labels, (3, 0, 3))
    assert (cleaned.labels[7, 7, 7:9] == 1).all() and cleaned.changed == 2
    filled = remove_small_features(labels, (3, 0, 3), fill_cavities=True)
    assert np.array_equal(filled.labels, cleaned.labels)


def test_a_cavity_touching_its_phase_only_at_an_edge_is_filled_on_request() -> None:
    labels = np.full((16, 16, 16), 2, dtype=np.uint8)
    labels[4:12] = 1                 # a slab of phase 1 between phases 2 and 0
    labels[12:] = 0
    labels[3, 8, 8] = 1              # a bump, so that ...
    labels[4, 8, 8] = 2              # ... this voxel meets phase 2 only along an edge:
    assert euler_characteristic(labels == 1) == 0 + 1  # a cavity of phase 1, no speck of 2
    kept = remove_small_features(labels, (2, 0, 2))
    assert kept.changed == 0 and kept.cavities == (0, 0, 0)
    filled = remove_small_features(labels, (2, 0, 2), fill_cavities=True)
    assert filled.cavities == (0, 1, 0) and filled.changed == 1
    assert euler_characteristic(filled.labels == 1) == 0


def test_periodic_clusters_continue_across_the_faces() -> None:
    labels = np.zeros((16, 16, 16), dtype=np.uint8)
    labels[0:2, 13:15, 13:15] = 1
    labels[14:16, 13:15, 13:15] = 1  # with its other half: one cluster of 16 on the torus
    labels[3:13, :11, :11] = 1       # a block of 1210 that stays
    assert remove_small_features(labels, (0, 12)).changed == 0
    bounded = remove_small_features(labels, (0, 12), periodic=False)  # two halves of 8
    assert bounded.changed == 16 and cluster_sizes(bounded.labels == 1).tolist() == [1210]


def test_a_phase_of_small_pieces_loses_at_most_its_share_and_never_everything() -> None:
    rng = np.random.default_rng(0)
    noise = (rng.random((16, 16, 16)) < 0.05).astype(np.uint8)  # isolated voxels mostly
    cleaned = remove_small_features(noise, (0, 1000))
    removed = int(noise.sum() - cleaned.labels.sum())
    assert 0 < removed <= MAX_SHARE * noise.sum()
    single = np.zeros((8, 8, 8), dtype=np.uint8)
    single[3, 3, 3] = 1
    assert remove_small_features(single, 100).changed == 0  # its only cluster stays


def test_two_dimensional_images_and_bad_input() -> None:
    image = np.zeros((20, 20), dtype=np.uint8)
    image[2:7, 2:7] = 1
    image[4, 4] = 0                  # a hole of one pixel in a square
    assert euler_characteristic(remove_small_features(image, 2).labels == 1) == 1
    with pytest.raises(ValueError, match="one per phase"):
        remove_small_features(image, (1, 2, -1))
    with pytest.raises(ValueError, match="one per phase \\(at least 2\\)"):
        remove_small_features(image, (1,))
    with pytest.raises(ValueError, match="integer label array"):
        remove_small_features(image.astype(float), 2)
