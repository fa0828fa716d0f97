import numpy as np
import pytest

from mcrkit.morphology.cluster_function import two_point_cluster_function
from mcrkit.morphology.connectivity import cluster_labels
from mcrkit.morphology.lengths import scaled_autocovariance


def brute_c2(mask, axis, r, periodic, connectivity=None):
    """Pairs (x, x + r e_axis) in the same cluster, counted voxel by voxel."""
    labels, _ = cluster_labels(mask, connectivity=connectivity, periodic=periodic)
    n = mask.shape[axis]
    same = pairs = 0
    for index in np.ndindex(mask.shape):
        other = list(index)
        other[axis] += r
        if other[axis] >= n:
            if not periodic:
                continue
            other[axis] -= n
        pairs += 1
        same += bool(labels[index] and labels[index] == labels[tuple(other)])
    return same / pairs


@pytest.mark.parametrize("periodic", [True, False])
def test_cluster_function_matches_brute_force(periodic):
    rng = np.random.default_rng(9)
    for shape in [(9, 11), (5, 6, 7)]:
        mask = rng.random(shape) < 0.45
        c2 = two_point_cluster_function(mask, max_lag=4, periodic=periodic, connectivity=1)
        for axis in range(len(shape)):
            for r in range(5):
                assert c2[axis, r] == pytest.approx(brute_c2(mask, axis, r, periodic, 1))


def test_cluster_function_equals_s2_for_one_cluster_and_vanishes_past_clusters():
    yy, xx = np.mgrid[:40, :40]
    disks = ((xx % 20 - 10) ** 2 + (yy % 20 - 10) ** 2) <= 36  # 4 disks of radius 6
    matrix = ~disks  # one connected cluster
    phi = matrix.mean()
    s2 = scaled_autocovariance(matrix, max_lag=15) * (phi - phi**2) + phi**2
    np.testing.assert_allclose(two_point_cluster_function(matrix, max_lag=15), s2, atol=1e-12)
    c2 = two_point_cluster_function(disks, max_lag=19)
    assert c2[0, 0] == pytest.approx(disks.mean())
    assert (c2[:, 13:] == 0).all() and (c2[:, 12] > 0).all()  # disks are 13 voxels across


def test_broken_network_has_a_short_cluster_function():
    lattice = np.zeros((32, 32), dtype=bool)
    lattice[::8, :] = lattice[:, ::8] = True
    broken = lattice.copy()
    broken[4::8, :] = broken[:, 4::8] = False
    whole = two_point_cluster_function(lattice, max_lag=16)
    cut = two_point_cluster_function(broken, max_lag=16)
    assert whole[:, 8].min() > 0.1 and cut[:, 8].max() == 0.0


def test_bad_lag_is_refused():
    with pytest.raises(ValueError, match="max_lag must be in"):
        two_point_cluster_function(np.ones((4, 4), dtype=bool), max_lag=4)
