"""Simple points: a change that the local test allows keeps every phase's topology."""

from __future__ import annotations

import numpy as np
import pytest

from mcrkit.morphology import cluster_labels, euler_characteristic
from mcrkit.morphology.simple_points import (
    OFFSETS,
    PLANE,
    PLANE_TABLE,
    change_keeps_topology,
    is_simple,
    label_grid,
    simple_points,
    swaps_keep_topology,
)


def topology(labels: np.ndarray, n_phases: int) -> list[tuple[int, int]]:
    """Euler characteristic and cluster count of every phase (periodic, full connectivity)."""
    return [(euler_characteristic(labels == k), cluster_labels(labels == k)[1])
            for k in range(n_phases)]


@pytest.mark.parametrize(("shape", "n_phases"), [((16, 16), 2), ((16, 16), 3), ((8, 8, 8), 2)])
def test_allowed_changes_keep_topology_and_2d_ones_are_all_that_do(shape, n_phases) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, n_phases, shape)
    lab, dims = label_grid(image)
    before = topology(image, n_phases)
    allowed = agree = 0
    for _ in range(300):
        p = int(rng.integers(lab.size))
        new = int((lab[p] + 1 + rng.integers(n_phases - 1)) % n_phases)
        keeps = change_keeps_topology(lab, dims, p, new, True, -1, -1)
        changed = lab.copy()
        changed[p] = new
        same = topology(changed.reshape(shape), n_phases) == before
        assert same or not keeps  # sound: never a topology change
        allowed += keeps
        agree += keeps == same
    assert allowed > 20
    if len(shape) == 2:  # complete in 2D: every change that keeps the numbers is allowed
        assert agree == 300


def test_many_allowed_flips_in_a_row_keep_the_topology() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 3, (20, 20))
    lab, dims = label_grid(image)
    before, flips = topology(image, 3), 0
    for _ in range(3000):
        p, new = int(rng.integers(lab.size)), int(rng.integers(3))
        if lab[p] != new and change_keeps_topology(lab, dims, p, new, True, -1, -1):
            lab[p] = new
            flips += 1
    assert flips > 200
    assert topology(lab.reshape(image.shape), 3) == before


def test_the_2d_table_on_known_neighbourhoods() -> None:
    # (that the table and the neighbourhood search agree on every change is what the
    # completeness test above shows: 2D periodic images take the table)
    # an isolated pixel, a pixel inside a blob and the middle of a bar are not simple;
    # the end of a bar is
    assert not PLANE_TABLE[0] and not PLANE_TABLE[255]
    bar_middle = sum(1 << bit for bit, k in enumerate(PLANE) if OFFSETS[k, 1] == 0)
    assert not PLANE_TABLE[bar_middle]
    bar_end = sum(1 << bit for bit, k in enumerate(PLANE) if tuple(OFFSETS[k, :2]) == (1, 0))
    assert PLANE_TABLE[bar_end]


def test_a_swap_is_checked_with_its_first_change_applied() -> None:
    # moving the end of a two-pixel island one step along keeps the island (the second
    # change is judged with the first applied); moving it far away makes a new one
    image = np.zeros((8, 8), dtype=int)
    image[3, 3:5] = 1
    lab, dims = label_grid(image)
    lab = lab.astype(np.uint8)  # as the annealer holds them: its compiled test serves both
    out = np.zeros(2, dtype=bool)
    first = np.array([3 * 8 + 3, 3 * 8 + 3])
    second = np.array([3 * 8 + 5, 6 * 8 + 6])  # beside the island / far away
    swaps_keep_topology(lab, dims, first, second, True, out)
    assert out.tolist() == [True, False]


def test_simple_points_of_a_solid_block_are_its_outer_neighbours_except_corners() -> None:
    image = np.zeros((9, 9), dtype=int)
    image[3:6, 3:6] = 1
    grow = simple_points(image, 1)
    assert grow[2, 4] and grow[4, 6]                  # beside a side
    # touching it only at a corner: the pixel would be cut off from the rest of the
    # block's complement by face connectivity, a new hole of phase 0
    assert not grow[2, 2]
    assert not grow[0, 0] and not grow[1, 4]          # not touching the block


def test_bad_labels_are_refused_with_the_function_named() -> None:
    with pytest.raises(ValueError, match="simple_points: labels must be non-negative"):
        simple_points(np.array([[0, -1], [1, 0]]), 1)
    with pytest.raises(ValueError, match="is_simple: expected a 2D or 3D"):
        is_simple(np.zeros(5, dtype=int), (0,), 1)
