"""The morphology descriptors equal the morphology functions they wrap."""

import numpy as np
import pytest

from mcrkit.descriptors.selection import make_descriptor
from mcrkit.microstructure import from_array
from mcrkit.morphology import euler_characteristic, largest_cluster_fraction, opening_radius_map


def _labels():
    rng = np.random.default_rng(21)
    return rng.integers(0, 3, size=(14, 15))


def test_euler_density_descriptor():
    labels = _labels()
    for connectivity in (1, 2):
        for periodic in (True, False):
            value = make_descriptor("euler_density", connectivity=connectivity,
                                    periodic=periodic).characterize(from_array(labels))
            expected = [euler_characteristic(labels == p, connectivity=connectivity,
                                             periodic=periodic) / labels.size for p in range(3)]
            np.testing.assert_allclose(value, expected)


def test_connectivity_descriptor_and_a_phase_missing_from_slices():
    labels = _labels()
    value = make_descriptor("connectivity", connectivity=1).characterize(from_array(labels))
    np.testing.assert_allclose(value, [largest_cluster_fraction(labels == p, connectivity=1)
                                       for p in range(3)])
    volume = np.zeros((4, 6, 6), dtype=int)
    volume[0, 1:3, 1:3] = 1  # phase 1 only in the first slice normal to x
    value = make_descriptor("connectivity").characterize(from_array(volume))
    assert value.shape == (3, 2)
    assert value[0, 1] == pytest.approx(1 / 4)  # 1 in one slice of four, 0 where absent


def test_feature_size_descriptor():
    labels = _labels()
    labels[2:9, :] = 0  # a slab of phase 0, 7 pixels thick
    labels[[1, 9], :] = 1
    value = make_descriptor("feature_size", max_radius=4).characterize(from_array(labels))
    assert value.shape == (3, 4)
    for phase in range(3):
        radius = opening_radius_map(labels == phase, radii=[1, 2, 3, 4])
        expected = [np.mean(radius >= r) for r in (1, 2, 3, 4)]  # NaN compares False
        np.testing.assert_allclose(value[phase], expected)
    assert value[0, 2] >= 7 * 15 / labels.size and value[0, 3] == 0.0


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="connectivity must be 1"):
        make_descriptor("euler_density", connectivity=3)
    with pytest.raises(ValueError, match="max_radius must be a positive integer"):
        make_descriptor("feature_size", max_radius=0)
