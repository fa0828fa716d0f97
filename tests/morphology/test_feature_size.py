import numpy as np
import pytest
import scipy.ndimage
from _shapes import ball, radius_grid

from mcrkit.morphology.feature_size import feature_size_distribution, opening_radius_map


def ball_footprint(r, ndim):
    grid = radius_grid((2 * r + 1,) * ndim)
    return grid <= r


@pytest.mark.parametrize("shape", [(28, 30), (14, 15, 16)])
def test_opening_radius_matches_scipy_openings_with_ball_footprints(shape):
    rng = np.random.default_rng(8)
    field = scipy.ndimage.gaussian_filter(rng.random(shape), 2.0, mode="wrap")
    mask = field > np.quantile(field, 0.5)
    largest = np.zeros(shape)
    for r in (1, 2, 3):
        opened = scipy.ndimage.grey_opening(mask.astype(np.uint8),
                                            footprint=ball_footprint(r, len(shape)),
                                            mode="wrap").astype(bool)
        np.testing.assert_array_equal(opening_radius_map(mask, radii=[r]) == r, opened)
        largest[opened] = r  # discrete balls need not be nested: the largest that keeps it
    radius = opening_radius_map(mask, radii=[1, 2, 3])
    np.testing.assert_array_equal(radius[mask], largest[mask])
    assert np.isnan(radius[~mask]).all()


def test_slabs_disks_and_balls():
    slab = np.zeros((20, 6), dtype=bool)
    slab[3:10] = True  # 7 thick: radius 3
    slab[13:17] = True  # 4 thick: radius 1 (even thicknesses round down to 3)
    radius = opening_radius_map(slab)
    assert set(radius[3:10].ravel()) == {3.0} and set(radius[13:17].ravel()) == {1.0}
    assert opening_radius_map(slab, periodic=False)[3:10].min() == 3.0
    assert opening_radius_map(slab, voxel_size=0.5)[3:10].min() == 1.5
    # a disk or ball centred on a voxel is itself the discrete ball: one feature of its radius
    disk = feature_size_distribution(ball((65, 65), 12))
    assert disk.radius[-1] == 12.0 and disk.fraction[-1] == 1.0 and disk.mean_radius == 12.0
    sphere = feature_size_distribution(ball((33, 33, 33), 9))
    assert sphere.fraction[-1] == 1.0 and sphere.median_radius == 9.0
    # centred between voxels, the largest ball inside has radius 11
    assert feature_size_distribution(ball((64, 64), 12)).median_radius == 11.0


def test_distribution_fields_and_periodic_continuation():
    # a slab cut by the box's faces is one slab when periodic
    slab = np.zeros((16, 8), dtype=bool)
    slab[:3] = slab[-4:] = True  # 7 thick across the x faces
    periodic = feature_size_distribution(slab)
    assert periodic.median_radius == 3.0 and periodic.fraction[-1] == 1.0
    bounded = opening_radius_map(slab, periodic=False)
    assert bounded[slab].max() == 3.0  # balls may reach past the border
    empty = feature_size_distribution(np.zeros((5, 5), dtype=bool))
    assert np.isnan(empty.mean_radius)
    full = opening_radius_map(np.ones((6, 6), dtype=bool), radii=[1, 2])
    assert (full == 2).all()
    assert feature_size_distribution(slab)._asdict()["radius"] == periodic.radius


def test_bad_radii_are_refused():
    with pytest.raises(ValueError, match="radii must be positive"):
        opening_radius_map(np.ones((4, 4), dtype=bool), radii=[0, 1])


def test_wide_features_across_the_periodic_faces():
    # distances beyond the first padding: the map must follow the structure when rolled
    slab = np.zeros((64, 6), dtype=bool)
    slab[10:51] = True  # 41 thick: radius 20
    across = np.roll(slab, 40, axis=0)  # now cut by the x faces
    centred = opening_radius_map(slab, radii=[5, 20, 21])
    np.testing.assert_array_equal(opening_radius_map(across, radii=[5, 20, 21]),
                                  np.roll(centred, 40, axis=0))
    assert np.nanmax(centred) == 20.0
