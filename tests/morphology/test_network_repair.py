"""Network phases: recognized in an original, repaired in a reconstruction."""

from __future__ import annotations

import dataclasses

import numpy as np

from mcrkit.morphology import cluster_labels, euler_characteristic
from mcrkit.morphology.network_repair import (
    close_network,
    loose_ends,
    repair_networks,
    restore_area,
)
from mcrkit.morphology.networks import NetworkSpec, find_networks
from mcrkit.synthetic import bicontinuous, dispersion, voronoi_grains


def grid(gap: bool = True, spur: bool = False) -> np.ndarray:
    """Walls (phase 0) of a periodic 2 x 3 grid of cells, one wall with a gap (8 cells
    when counted without periodic boundaries, 7 with the gap)."""
    image = np.ones((24, 36), dtype=int)
    image[5:7, :] = 0
    image[:, [5, 6, 17, 18, 29, 30]] = 0
    if gap:
        image[10:14, 17:19] = 1
    if spur:
        image[14:16, 7:12] = 0   # a dead end into a cell
    return image


def test_voronoi_boundaries_are_a_network_and_blobs_are_not() -> None:
    grains = voronoi_grains((96, 96), n_grains=24, rng=0)
    (spec,) = find_networks(grains)
    assert spec.phase == 1 and 1 <= spec.width <= 5
    assert spec.cell_density * grains.size >= 20   # about one cell per grain (border cut)
    assert find_networks(bicontinuous((96, 96), rng=0)) == []
    assert find_networks(dispersion((96, 96), radius=4, rng=0)) == []
    assert find_networks(grains[None]) == []         # volumes: walls are sheets
    assert NetworkSpec.from_json(spec.to_json()) == spec


def test_a_gap_is_bridged_and_cells_are_split() -> None:
    image = grid()
    assert len(loose_ends(image == 0)) == 2
    repaired, added = close_network(image, 0, width=2, max_length=10, cells=8)
    assert added > 0 and len(loose_ends(repaired == 0)) == 0
    assert cluster_labels(repaired == 1, periodic=False)[1] == 8
    # the lower part of the broken wall reaches the rest only across the image's edge:
    # it is joined within the image even when no more cells are asked for
    joined, _ = close_network(image, 0, width=2, max_length=10, cells=1)
    assert cluster_labels(joined == 0, periodic=False)[1] == 1


def test_fragments_are_joined_into_one_cluster() -> None:
    image = np.ones((32, 32), dtype=int)
    image[4:6, 2:10] = 0     # three separate bars
    image[4:6, 14:22] = 0
    image[20:22, 8:16] = 0
    repaired, _ = close_network(image, 0, width=2, max_length=20, cells=1)
    assert cluster_labels(repaired == 0)[1] == 1


def test_dead_ends_are_eroded_back_to_their_junction() -> None:
    image = grid(gap=False, spur=True)
    assert len(loose_ends(image == 0)) == 1
    repaired, added = close_network(image, 0, width=2, max_length=10, cells=8)
    assert added < 0 and len(loose_ends(repaired == 0)) == 0
    assert cluster_labels(repaired == 1, periodic=False)[1] == 8


def test_area_is_restored_without_changing_any_topology() -> None:
    rng = np.random.default_rng(0)
    image = (rng.random((40, 40)) < 0.45).astype(int)
    before = [(euler_characteristic(image == k), cluster_labels(image == k)[1]) for k in (0, 1)]
    for count in (30, -30):
        restored = restore_area(image, 1, count)
        assert (image == 1).sum() - (restored == 1).sum() == count
        after = [(euler_characteristic(restored == k), cluster_labels(restored == k)[1])
                 for k in (0, 1)]
        assert after == before


def test_repair_keeps_the_volume_fraction() -> None:
    image = grid()
    spec = NetworkSpec(0, 2, 10.0, cell_density=8 / image.size, min_cell=4)
    repaired = repair_networks(image, [spec])
    assert (repaired == 0).sum() == (image == 0).sum()
    assert cluster_labels(repaired == 1, periodic=False)[1] == 8


def test_pruning_leaves_the_original_number_of_dead_ends_and_its_noise_the_longest() -> None:
    from mcrkit.morphology.network_repair import prune_networks
    from mcrkit.morphology.skeleton import dead_ends

    image = grid(gap=False)
    image[14:16, 7:12] = 0      # a short dead end into a cell
    image[14:16, 19:28] = 0     # a longer one into the next cell
    image[20:22, 31:36] = 0     # and a third
    assert len(dead_ends(image == 0, spur=2)) == 3
    # no ends in the original: its counting noise, sqrt(2), lets one stay
    spec = NetworkSpec(0, 2, 12.0, cell_density=8 / image.size, min_cell=4, dead_ends=0.0)
    pruned = prune_networks(image, [spec])
    (end,) = dead_ends(pruned == 0, spur=2)
    assert 19 <= end[1] < 28 and (pruned == 0).sum() == (image == 0).sum()
    kept = prune_networks(image, [dataclasses.replace(spec, dead_ends=1 / image.size)])
    assert len(dead_ends(kept == 0, spur=2)) == 2      # one and its noise, 1 + sqrt(2)
