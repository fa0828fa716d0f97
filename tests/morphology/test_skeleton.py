"""Skeletons of 2D phases: crossing numbers and dead ends on analytic shapes."""

from __future__ import annotations

import numpy as np
import pytest

from mcrkit.morphology.skeleton import crossings, dead_end_density, dead_ends


def disc_ring(size: int = 32, inner: float = 7.0, outer: float = 10.0) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    radius = np.hypot(yy - (size - 1) / 2, xx - (size - 1) / 2)
    return (radius > inner) & (radius < outer)


def star(arms: int, size: int = 41, length: float = 15.0, width: float = 1.6) -> np.ndarray:
    """``arms`` straight bars of ``width`` from the centre, evenly spread in angle."""
    yy, xx = np.mgrid[:size, :size] - size // 2
    out = np.hypot(yy, xx) <= width
    for k in range(arms):
        angle = 2 * np.pi * k / arms + 0.3
        along = yy * np.sin(angle) + xx * np.cos(angle)
        across = -yy * np.cos(angle) + xx * np.sin(angle)
        out |= (along >= 0) & (along <= length) & (np.abs(across) <= width / 2 + 0.5)
    return out


def test_crossing_numbers_of_a_t_junction() -> None:
    tee = np.zeros((7, 7), dtype=bool)
    tee[1, 1:6] = True
    tee[1:6, 3] = True
    numbers = crossings(tee)
    assert numbers[1, 3] == 3 and numbers[5, 3] == 1 and numbers[3, 3] == 2


def test_a_ring_has_no_ends_a_segment_two_a_plus_four() -> None:
    assert len(dead_ends(disc_ring())) == 0
    segment = np.zeros((32, 32), dtype=bool)
    segment[14:17, 5:27] = True
    assert len(dead_ends(segment)) == 2
    assert len(dead_ends(segment | segment.T)) == 4
    assert dead_end_density(segment | segment.T) == 4 / segment.size


@pytest.mark.parametrize("arms", [3, 5, 6])
def test_a_star_has_one_end_per_arm(arms) -> None:
    assert len(dead_ends(star(arms))) == arms
    assert len(dead_ends(star(arms), periodic=False)) == arms


def test_a_band_around_the_torus_has_no_ends_but_a_cut_band_has_two() -> None:
    band = np.zeros((24, 24), dtype=bool)
    band[10:13, :] = True
    assert len(dead_ends(band)) == 0
    band[10:13, 5:8] = False
    assert len(dead_ends(band)) == 2


def test_walls_cut_by_a_window_edge_are_not_ended_there() -> None:
    grid = np.zeros((40, 40), dtype=bool)
    grid[:, 12:14] = grid[:, 27:29] = grid[18:20, :] = True
    assert len(dead_ends(grid, periodic=False)) == 0
    grid[30:34, 27:29] = False            # one wall cut inside the window
    assert len(dead_ends(grid, periodic=False)) == 2


def test_spurs_shorter_than_the_pruning_are_not_branches() -> None:
    plus = star(4, length=14.0, width=2.0)
    bumped = plus.copy()
    bumped[8:20, 6] = True                # a bump of a few pixels on one arm's side
    assert len(dead_ends(bumped)) > len(dead_ends(plus)) == 4
    assert len(dead_ends(bumped, spur=3)) == 4
    with pytest.raises(ValueError, match="2D images"):
        dead_ends(np.zeros((4, 4, 4), dtype=bool))
