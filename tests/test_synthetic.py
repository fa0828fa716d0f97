"""Synthetic structures have the morphology they are documented to have."""

import numpy as np
import pytest

from mcrkit.morphology import (
    cluster_sizes,
    euler_characteristic,
    feature_size_distribution,
    largest_cluster_fraction,
    percolation,
)
from mcrkit.synthetic import (
    bicontinuous,
    coated_particles,
    dispersion,
    fibres,
    overlapping_balls,
    voronoi_grains,
)


@pytest.mark.parametrize(("shape", "n_grains"), [((96, 96), 15), ((36, 36, 36), 8)])
def test_voronoi_boundaries_form_one_network_around_every_grain(shape, n_grains):
    labels = voronoi_grains(shape, n_grains=n_grains, boundary_width=2, rng=4)
    boundary, grains = labels == 1, labels == 0
    assert largest_cluster_fraction(boundary) == 1.0
    assert all(percolation(boundary).percolates)
    assert cluster_sizes(grains, connectivity=1).size == n_grains
    assert 0.05 < boundary.mean() < 0.4
    np.testing.assert_array_equal(labels, voronoi_grains(shape, n_grains=n_grains,
                                                         boundary_width=2, rng=4))


def test_overlapping_balls_meet_the_boolean_model_fraction():
    fractions = [overlapping_balls((64, 64, 64), radius=4, volume_fraction=0.3,
                                   polydispersity=p, rng=seed).mean()
                 for seed, p in [(0, 0.0), (1, 0.5), (2, 0.0)]]
    np.testing.assert_allclose(fractions, 0.3, atol=0.03)
    disks = overlapping_balls((200, 200), radius=6, volume_fraction=0.2, rng=5)
    assert disks.mean() == pytest.approx(0.2, abs=0.03)
    assert not np.array_equal(disks, overlapping_balls((200, 200), radius=6,
                                                       volume_fraction=0.2, rng=6))


def test_aligned_fibres_percolate_along_their_axis():
    labels = fibres((48, 48, 48), radius=2.5, volume_fraction=0.15, axis=0, rng=1)
    assert (labels == labels[:1]).all()
    assert labels.mean() == pytest.approx(0.15, abs=0.04)
    spanning = percolation(labels == 1)
    assert spanning.percolates[0] and spanning.spanning_fraction[0] == 1.0
    bands = fibres((64, 80), radius=2, volume_fraction=0.3, axis=1, rng=2)
    assert (bands == bands[:, :1]).all()


def test_isotropic_fibres_have_the_set_radius():
    labels = fibres((48, 48, 48), radius=3, volume_fraction=0.15, rng=3)
    assert labels.mean() == pytest.approx(0.15, abs=0.05)
    sizes = feature_size_distribution(labels == 1)
    assert 2 <= sizes.median_radius <= 3


def test_coated_particles_are_wrapped_in_binder():
    labels = coated_particles((40, 40, 40), radius=5, particle_fraction=0.25, coating=1.5,
                              rng=7)
    particle, binder, pore = labels == 1, labels == 2, labels == 0
    assert particle.mean() == pytest.approx(0.25, abs=0.05) and binder.mean() > 0.05
    for axis in range(3):  # no particle voxel touches a pore voxel through a face
        assert not (particle & np.roll(pore, 1, axis=axis)).any()
        assert not (particle & np.roll(pore, -1, axis=axis)).any()
    assert feature_size_distribution(binder).median_radius <= 1.0


def test_dispersion_balls_are_separate_clusters():
    labels = dispersion((64, 64, 64), radius=3, volume_fraction=0.03, rng=8)
    count = round(0.03 * 64**3 / (4 / 3 * np.pi * 27))
    balls = labels == 1
    assert cluster_sizes(balls).size == count
    assert euler_characteristic(balls) == count
    assert not any(percolation(balls).percolates)
    disks = dispersion((128, 128), radius=5, volume_fraction=0.1, rng=9)
    assert cluster_sizes(disks == 1).size == round(0.1 * 128**2 / (np.pi * 25))


def test_bicontinuous_volume_has_two_percolating_phases():
    labels = bicontinuous((40, 40, 40), correlation_length=3, rng=10)
    for phase in (0, 1):
        assert largest_cluster_fraction(labels == phase) > 0.99
        assert all(percolation(labels == phase).percolates)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="shape must be 2 or 3 positive sizes"):
        voronoi_grains((10,), n_grains=3)
    with pytest.raises(ValueError, match="n_grains must be an integer >= 2"):
        voronoi_grains((10, 10), n_grains=1)
    with pytest.raises(ValueError, match="volume_fraction must lie strictly between 0 and 1"):
        overlapping_balls((10, 10), radius=2, volume_fraction=1.0)
    with pytest.raises(ValueError, match="polydispersity must lie in"):
        overlapping_balls((10, 10), radius=2, volume_fraction=0.2, polydispersity=1.0)
    with pytest.raises(ValueError, match="axis must be an axis"):
        fibres((10, 10), radius=1, volume_fraction=0.2, axis=2)
    with pytest.raises(ValueError, match="could not place"):
        dispersion((16, 16), radius=2, volume_fraction=0.29, rng=0)
    with pytest.raises(ValueError, match="radius must be positive"):
        coated_particles((10, 10), radius=0, particle_fraction=0.2)
