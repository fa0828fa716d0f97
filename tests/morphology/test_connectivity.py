import itertools

import numpy as np
import pytest
import scipy.ndimage
import scipy.sparse
import scipy.sparse.csgraph
from _shapes import ball

from mcrkit.morphology.connectivity import (
    cluster_labels,
    cluster_sizes,
    largest_cluster_fraction,
    percolation,
)


def same_partition(a, b):
    """Whether two labellings (0 = background) group the voxels identically."""
    if not np.array_equal(a > 0, b > 0):
        return False
    pairs = np.unique(np.stack([a[a > 0], b[b > 0]]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


def brute_periodic_labels(mask, connectivity):
    """Clusters on the torus from the voxel graph itself (every neighbour offset, rolled)."""
    index = np.arange(mask.size).reshape(mask.shape)
    rows, cols = [], []
    for offset in itertools.product((-1, 0, 1), repeat=mask.ndim):
        if 0 < sum(map(abs, offset)) <= connectivity:
            neighbour = np.roll(index, offset, axis=tuple(range(mask.ndim)))
            both = mask & np.roll(mask, offset, axis=tuple(range(mask.ndim)))
            rows.append(index[both])
            cols.append(neighbour[both])
    graph = scipy.sparse.coo_matrix((np.ones(sum(map(len, rows))),
                                     (np.concatenate(rows), np.concatenate(cols))),
                                    shape=(mask.size, mask.size))
    _, component = scipy.sparse.csgraph.connected_components(graph, directed=False)
    return np.where(mask, component.reshape(mask.shape) + 1, 0)


@pytest.mark.parametrize("shape", [(13, 17), (7, 8, 9)])
def test_periodic_clusters_match_the_voxel_graph_for_every_connectivity(shape):
    rng = np.random.default_rng(11)
    for fraction in (0.25, 0.4):
        mask = rng.random(shape) < fraction
        for connectivity in range(1, len(shape) + 1):
            labels, n = cluster_labels(mask, connectivity=connectivity)
            assert same_partition(labels, brute_periodic_labels(mask, connectivity))
            assert sorted(np.unique(labels[labels > 0])) == list(range(1, n + 1))


@pytest.mark.parametrize("shape", [(30, 31), (12, 13, 14)])
def test_bounded_clusters_match_scipy(shape):
    rng = np.random.default_rng(5)
    mask = rng.random(shape) < 0.45
    for connectivity in range(1, len(shape) + 1):
        structure = scipy.ndimage.generate_binary_structure(len(shape), connectivity)
        expected, n = scipy.ndimage.label(mask, structure)
        labels, m = cluster_labels(mask, connectivity=connectivity, periodic=False)
        assert m == n and same_partition(labels, expected)


def test_largest_cluster_fraction_of_simple_structures():
    two = np.zeros((20, 20), dtype=bool)
    two[2:5, 2:5] = True  # 9 voxels
    two[10:13, 10:19] = True  # 27 voxels
    assert largest_cluster_fraction(two) == pytest.approx(27 / 36)
    assert cluster_sizes(two).tolist() == [27, 9]
    # diagonal neighbours join with full connectivity only
    diagonal = np.eye(6, dtype=bool)
    assert largest_cluster_fraction(diagonal) == 1.0
    assert largest_cluster_fraction(diagonal, connectivity=1) == pytest.approx(1 / 6)
    assert np.isnan(largest_cluster_fraction(np.zeros((4, 4), dtype=bool)))
    # a grain-boundary-like square lattice of lines: one cluster; cut every line: fragments
    lattice = np.zeros((32, 32), dtype=bool)
    lattice[::8, :] = lattice[:, ::8] = True
    assert largest_cluster_fraction(lattice) == 1.0
    broken = lattice.copy()
    broken[4::8, :] = broken[:, 4::8] = False
    assert largest_cluster_fraction(broken) == pytest.approx(1 / 16)


def test_percolation_of_channels_and_isolated_balls():
    channels = np.zeros((16, 16, 16), dtype=bool)
    channels[:, 4:6, 4:6] = True  # straight channel along x
    channels[8:10, 8:10, :] = True  # straight channel along z
    result = percolation(channels)
    assert result.percolates == (True, False, True)
    assert result.spanning_fraction[1] == 0.0
    assert result.spanning_fraction[0] == pytest.approx(16 * 4 / channels.sum()) == 0.5
    assert percolation(ball((20, 20, 20), 6)).percolates == (False, False, False)
    # the matrix around an isolated ball percolates everywhere
    assert percolation(~ball((20, 20, 20), 6)).spanning_fraction == (1.0, 1.0, 1.0)
    # a staircase percolates with full connectivity only
    stairs = np.eye(8, dtype=bool)
    assert percolation(stairs).percolates == (True, True)
    assert percolation(stairs, connectivity=1).percolates == (False, False)
    assert percolation(stairs)._asdict()["percolates"] == (True, True)


def test_percolation_ignores_periodic_wrapping():
    # a U-shaped cluster touching only the x = 0 face, and a bar cut by the x faces
    mask = np.zeros((10, 10), dtype=bool)
    mask[0:9, 2] = True
    mask[[0, 9], 6] = True
    assert percolation(mask).percolates == (False, False)
    assert largest_cluster_fraction(mask) == pytest.approx(9 / 11)  # periodic: the bar joins


def test_bad_connectivity_is_refused():
    with pytest.raises(ValueError, match=r"connectivity must be one of \(1, 2\)"):
        cluster_labels(np.zeros((3, 3), dtype=bool), connectivity=3)
