"""Analytic test shapes on voxel grids (bool arrays), centred in the box."""

import numpy as np


def radius_grid(shape):
    """Distance of every voxel centre from the centre of the box."""
    grids = np.meshgrid(*[np.arange(n) - (n - 1) / 2 for n in shape], indexing="ij")
    return np.sqrt(sum(g**2 for g in grids))


def ball(shape, radius):
    """Disk (2D) or ball (3D) of ``radius`` voxels."""
    return radius_grid(shape) <= radius


def shell(shape, inner, outer):
    """Annulus (2D) or hollow ball (3D): inner < r <= outer."""
    r = radius_grid(shape)
    return (r > inner) & (r <= outer)


def torus(shape, major, minor):
    """Solid torus around the z axis of a 3D box."""
    x, y, z = np.meshgrid(*[np.arange(n) - (n - 1) / 2 for n in shape], indexing="ij")
    return (np.sqrt(x**2 + y**2) - major) ** 2 + z**2 <= minor**2
