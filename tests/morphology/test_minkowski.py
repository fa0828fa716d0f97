import numpy as np
import pytest
from _shapes import ball, shell, torus
from skimage.measure import euler_number, perimeter_crofton

from mcrkit.morphology.minkowski import euler_characteristic, euler_density, surface_density


@pytest.mark.parametrize("periodic", [True, False])
def test_euler_of_disk_annulus_and_two_disks(periodic):
    shape = (48, 48)
    disk = ball(shape, 10)
    annulus = shell(shape, 6, 12)
    two = np.zeros(shape, dtype=bool)
    two[5:15, 5:15] = True
    two[30:40, 25:45] = True
    assert euler_characteristic(disk, periodic=periodic) == 1
    assert euler_characteristic(annulus, periodic=periodic) == 0
    assert euler_characteristic(two, periodic=periodic) == 2
    # the complement: the box minus a disk is a torus with a hole (periodic) or a disk with one
    assert euler_characteristic(~disk, periodic=periodic) == (-1 if periodic else 0)


@pytest.mark.parametrize("periodic", [True, False])
def test_euler_of_ball_hollow_ball_and_torus(periodic):
    shape = (28, 28, 28)
    assert euler_characteristic(ball(shape, 9), periodic=periodic) == 1
    assert euler_characteristic(shell(shape, 5, 11), periodic=periodic) == 2
    assert euler_characteristic(torus(shape, 8, 3), periodic=periodic) == 0


def test_periodic_euler_of_structures_wrapping_the_torus():
    stripes = np.zeros((12, 12), dtype=bool)
    stripes[:, 2:5] = True  # one band around the 2-torus: a circle
    assert euler_characteristic(stripes) == 0
    assert euler_characteristic(stripes, periodic=False) == 1
    # a periodic lattice of rods along all three axes: one cluster with 3 independent
    # tunnels around the 3-torus plus the tunnels closed by each unit cell
    rods = np.zeros((8, 8, 8), dtype=bool)
    rods[:2, :2, :] = rods[:2, :, :2] = rods[:, :2, :2] = True
    assert euler_characteristic(rods) == 1 - 3
    lattice = np.tile(rods, (2, 2, 2))  # 8 cells: chi is extensive on the torus
    assert euler_characteristic(lattice) == 8 * (1 - 3)
    assert euler_density(lattice) == pytest.approx(euler_density(rods))


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("full", [True, False])
def test_euler_matches_scikit_image_on_random_images(ndim, full):
    rng = np.random.default_rng(1234)
    shape = (40, 40) if ndim == 2 else (16, 16, 16)
    for fraction in (0.3, 0.5, 0.7):
        image = rng.random(shape) < fraction
        connectivity = ndim if full else 1
        assert (euler_characteristic(image, connectivity=connectivity, periodic=False)
                == euler_number(image, connectivity=connectivity))


def test_periodic_euler_is_additive_over_a_tiled_box():
    rng = np.random.default_rng(7)
    cell = rng.random((10, 12, 9)) < 0.4
    for connectivity in (1, 3):
        one = euler_characteristic(cell, connectivity=connectivity)
        assert euler_characteristic(np.tile(cell, (2, 1, 3)), connectivity=connectivity) == 6 * one


def test_euler_on_slices_sums_the_2d_values():
    rng = np.random.default_rng(3)
    volume = rng.random((6, 10, 11)) < 0.5
    for axis in range(3):
        slices = np.moveaxis(volume, axis, 0)
        for periodic in (True, False):
            expected = sum(euler_characteristic(s, periodic=periodic) for s in slices)
            assert euler_characteristic(volume, slice_axis=axis, periodic=periodic) == expected
        area = np.prod([n for i, n in enumerate(volume.shape) if i != axis]) * len(slices)
        assert euler_density(volume, slice_axis=axis) == pytest.approx(
            sum(euler_characteristic(s) for s in slices) / area)


def test_euler_density_units():
    shape = (40, 40, 40)
    b = ball(shape, 5)
    assert euler_density(b) == pytest.approx(1 / 40**3)
    assert euler_density(b, voxel_size=(1.0, 2.0, 0.5)) == pytest.approx(1 / 40**3)
    assert euler_density(b, voxel_size=2.0) == pytest.approx(1 / (40**3 * 8))
    assert euler_density(b, slice_axis=2, voxel_size=(1.0, 2.0, 0.5)) == pytest.approx(
        euler_characteristic(b, slice_axis=2) / (40**3 * 2.0))


def test_surface_density_against_analytic_shapes_and_scikit_image_crofton():
    disk = ball((200, 200), 70)
    length = surface_density(disk) * disk.size
    assert length == pytest.approx(2 * np.pi * 70, rel=0.01)
    rng = np.random.default_rng(5)
    blobs = np.zeros((60, 60), dtype=bool)
    blobs[2:-2, 2:-2] = rng.random((56, 56)) < 0.5  # nothing on the border: no edge effects
    assert surface_density(blobs) * blobs.size == pytest.approx(perimeter_crofton(blobs, 2))
    sphere = ball((64, 64, 64), 25)
    area = surface_density(sphere) * sphere.size
    assert area == pytest.approx(4 * np.pi * 25**2, rel=0.01)


def test_surface_density_conventions():
    stripes = np.zeros((10, 10), dtype=bool)
    stripes[:, :4] = True  # two straight interfaces of length 10 in a 10 x 10 box (periodic)
    assert surface_density(stripes) == pytest.approx(np.pi / 2 * (2 * 10 / 100) / 2)
    # without periodic boundaries only the inner interface counts, over 10 x 9 pairs
    assert surface_density(stripes, periodic=False) == pytest.approx(np.pi / 2 * (10 / 90) / 2)
    assert surface_density(stripes, voxel_size=0.5) == pytest.approx(2 * surface_density(stripes))
    assert surface_density(stripes) == surface_density(~stripes)
    assert surface_density(np.ones((5, 5), dtype=bool)) == 0.0
    volume = np.repeat(stripes[:, :, None], 6, axis=2)
    assert surface_density(volume, slice_axis=2) == pytest.approx(surface_density(stripes))
    assert surface_density(volume) == pytest.approx(2 * (2 * 10 * 6 / 600) / 3)


def test_bad_inputs_are_refused_with_clear_messages():
    with pytest.raises(ValueError, match="2D .* or 3D"):
        euler_characteristic(np.zeros(5, dtype=bool))
    with pytest.raises(ValueError, match="only 0 and 1"):
        euler_characteristic(np.array([[0, 2]]))
    with pytest.raises(ValueError, match="connectivity must be one of"):
        euler_characteristic(np.zeros((3, 3, 3), dtype=bool), connectivity=2)
    with pytest.raises(ValueError, match="slice_axis is only meaningful"):
        surface_density(np.zeros((3, 3), dtype=bool), slice_axis=0)
    with pytest.raises(ValueError, match="voxel_size must be"):
        euler_density(np.zeros((3, 3), dtype=bool), voxel_size=(1.0, -1.0))
