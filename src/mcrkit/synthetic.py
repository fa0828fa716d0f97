r"""Seeded synthetic microstructures whose morphology is known by construction.

Reference cases for the fidelity benchmark and for tests of the morphology
statistics: each generator takes the shape first (2D ``(X, Y)`` or 3D
``(X, Y, Z)``, the dimension follows from it), keyword-only parameters and a
random source ``rng`` (an int seed, a :class:`numpy.random.Generator` or None,
passed once to :func:`numpy.random.default_rng`), and returns ``uint8`` labels.
Every structure is periodic: shapes wrap around the box's faces.

=========================  =========================================================
function                   structure and what is known about it
=========================  =========================================================
:func:`voronoi_grains`     periodic Voronoi grains (0) and boundaries of a set width
                           (1): one connected, percolating boundary network, one
                           cluster per grain
:func:`overlapping_balls`  Boolean model of polydisperse discs/balls (1) in a matrix
                           (0): expected fraction :math:`1 - e^{-\lambda \bar v}`
:func:`fibres`             straight fibres (cylinders; bands in 2D) of a set radius,
                           parallel to one axis (percolating along it) or isotropic
:func:`coated_particles`   pores (0), overlapping particles (1) and a binder coating
                           (2) of a set thickness around every particle
:func:`dispersion`         non-overlapping equal balls at a low fraction (1): as many
                           clusters as balls, Euler characteristic = their number
:func:`bicontinuous`       thresholded Gaussian random field (two interwoven phases;
                           in 3D both percolate)
=========================  =========================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import edt
import numpy as np
from scipy.spatial import cKDTree

from mcrkit.generators import gaussian_random_field

__all__ = ["bicontinuous", "coated_particles", "dispersion", "fibres", "overlapping_balls",
           "voronoi_grains"]

Seed = int | np.random.Generator | None


def _dims(shape: Sequence[int], owner: str) -> tuple[int, ...]:
    dims = tuple(int(s) for s in shape)
    if len(dims) not in (2, 3) or min(dims) < 1:
        raise ValueError(f"{owner}: shape must be 2 or 3 positive sizes such as (64, 64), "
                         f"got {shape!r}")
    return dims


def _check_fraction(value: float, name: str, owner: str, upper: float = 1.0) -> None:
    if not 0 < value < upper:
        raise ValueError(f"{owner}: {name} must lie strictly between 0 and {upper}, got {value!r}")


def _check_positive(value: float, name: str, owner: str) -> None:
    if not value > 0:
        raise ValueError(f"{owner}: {name} must be positive, got {value!r}")


def _ball_volume(radius: float, ndim: int, spread: float = 0.0) -> float:
    """Mean volume of discs/balls with radii uniform in ``radius * (1 ± spread)``."""
    low, high = radius * (1 - spread), radius * (1 + spread)
    moment = ((high ** (ndim + 1) - low ** (ndim + 1)) / ((ndim + 1) * (high - low))
              if high > low else radius**ndim)  # mean of r**ndim
    return (np.pi if ndim == 2 else 4 / 3 * np.pi) * moment


def _paint_balls(dims: tuple[int, ...], centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Voxels whose centre lies within a ball, the balls wrapped around the box."""
    out = np.zeros(dims, dtype=bool)
    for centre, radius in zip(centres, radii, strict=True):
        ranges = [np.arange(int(np.floor(c - radius)), int(np.ceil(c + radius)) + 1)
                  for c in centre]
        grids = np.meshgrid(*ranges, indexing="ij", sparse=True)
        inside = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True)) <= radius**2
        index = np.ix_(*[r % n for r, n in zip(ranges, dims, strict=True)])
        out[index] |= inside
    return out


def _periodic_distance(target: np.ndarray, reach: float) -> np.ndarray:
    """Distance of every voxel to the nearest True voxel of ``target``, exact up to ``reach``."""
    pads = [min(int(np.ceil(reach)) + 1, n) for n in target.shape]
    padded = np.pad(~target, [(p, p) for p in pads], mode="wrap")
    inner = tuple(slice(p, p + n) for p, n in zip(pads, target.shape, strict=True))
    return edt.edt(padded, black_border=False, parallel=1)[inner]


def voronoi_grains(shape: Sequence[int], *, n_grains: int, boundary_width: float = 2.0,
                   rng: Seed = None) -> np.ndarray:
    """Periodic Voronoi grains (phase 0) separated by boundaries (phase 1).

    A voxel belongs to a boundary when its distances to the nearest and the
    second-nearest seed differ by less than ``boundary_width`` (so boundaries
    are about that many voxels thick); seeds are uniform in the periodic box.

    Parameters
    ----------
    shape : (X, Y) or (X, Y, Z) sequence of int
        Size of the box.
    n_grains : int
        Number of seeds (grains).
    boundary_width : float, optional
        Boundary thickness in voxels.
    rng : int, Generator or None, optional
        Random source.

    Examples
    --------
    >>> labels = voronoi_grains((64, 64), n_grains=12, rng=0)
    >>> labels.dtype, sorted(np.unique(labels).tolist())
    (dtype('uint8'), [0, 1])
    """
    dims = _dims(shape, "voronoi_grains")
    if isinstance(n_grains, bool) or not isinstance(n_grains, int | np.integer) or n_grains < 2:
        raise ValueError(f"voronoi_grains: n_grains must be an integer >= 2, got {n_grains!r}")
    _check_positive(boundary_width, "boundary_width", "voronoi_grains")
    generator = np.random.default_rng(rng)
    seeds = generator.random((n_grains, len(dims))) * dims
    points = np.stack(np.meshgrid(*[np.arange(n, dtype=np.float64) for n in dims],
                                  indexing="ij"), axis=-1).reshape(-1, len(dims))
    distances, _ = cKDTree(seeds, boxsize=dims).query(points, k=2)
    boundary = (distances[:, 1] - distances[:, 0]) < boundary_width
    return boundary.reshape(dims).astype(np.uint8)


def overlapping_balls(shape: Sequence[int], *, radius: float, volume_fraction: float,
                      polydispersity: float = 0.0, rng: Seed = None) -> np.ndarray:
    r"""Boolean model: discs (2D) or balls (3D) at uniform random centres, overlaps allowed.

    The number of balls is Poisson with mean :math:`\lambda V`, where
    :math:`\lambda = -\ln(1 - \phi) / \bar v` makes the expected covered
    fraction :math:`\phi` = ``volume_fraction`` (:math:`\bar v` the mean ball
    volume). Radii are uniform in ``radius * (1 ± polydispersity)``.

    Examples
    --------
    >>> labels = overlapping_balls((128, 128), radius=5, volume_fraction=0.3, rng=1)
    >>> bool(abs(labels.mean() - 0.3) < 0.05)
    True
    """
    dims = _dims(shape, "overlapping_balls")
    _check_positive(radius, "radius", "overlapping_balls")
    _check_fraction(volume_fraction, "volume_fraction", "overlapping_balls")
    if not 0 <= polydispersity < 1:
        raise ValueError(f"overlapping_balls: polydispersity must lie in [0, 1), got "
                         f"{polydispersity!r}")
    generator = np.random.default_rng(rng)
    mean_volume = _ball_volume(radius, len(dims), polydispersity)
    count = generator.poisson(-np.log1p(-volume_fraction) / mean_volume * np.prod(dims))
    centres = generator.random((count, len(dims))) * dims
    radii = radius * generator.uniform(1 - polydispersity, 1 + polydispersity, count)
    return _paint_balls(dims, centres, radii).astype(np.uint8)


def fibres(shape: Sequence[int], *, radius: float, volume_fraction: float,
           axis: int | None = None, rng: Seed = None) -> np.ndarray:
    r"""Straight fibres of ``radius`` (phase 1) in a matrix (phase 0), overlaps allowed.

    With ``axis``, every fibre runs parallel to that axis through the whole
    (periodic) box, so the fibre phase percolates along it; otherwise each
    fibre is a segment as long as the box's largest side, with a uniformly
    random direction, wrapped around the box. The number of fibres makes the
    expected covered fraction ``volume_fraction`` (Boolean model, ends neglected).

    Examples
    --------
    >>> labels = fibres((40, 40, 40), radius=2, volume_fraction=0.2, axis=2, rng=0)
    >>> bool((labels == labels[:, :, :1]).all())  # invariant along the fibres
    True
    """
    dims = _dims(shape, "fibres")
    _check_positive(radius, "radius", "fibres")
    _check_fraction(volume_fraction, "volume_fraction", "fibres")
    generator = np.random.default_rng(rng)
    ndim = len(dims)
    if axis is not None:
        if axis not in range(-ndim, ndim):
            raise ValueError(f"fibres: axis must be an axis of a {ndim}D box or None, "
                             f"got {axis!r}")
        axis %= ndim
        cross = tuple(n for a, n in enumerate(dims) if a != axis)
        section = (np.pi * radius**2 if ndim == 3 else 2 * radius)
        count = generator.poisson(-np.log1p(-volume_fraction) / section * np.prod(cross))
        centres = generator.random((count, ndim - 1)) * cross
        image = _paint_balls(cross, centres, np.full(count, float(radius)))
        return np.repeat(np.expand_dims(image, axis), dims[axis], axis=axis).astype(np.uint8)
    length = float(max(dims))
    section = np.pi * radius**2 if ndim == 3 else 2 * radius
    count = generator.poisson(-np.log1p(-volume_fraction) / (section * length) * np.prod(dims))
    directions = generator.standard_normal((count, ndim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    centres = generator.random((count, ndim)) * dims
    steps = np.arange(-length / 2, length / 2 + 0.25, 0.25)
    axes = np.zeros(dims, dtype=bool)
    for centre, direction in zip(centres, directions, strict=True):
        points = np.round(centre + steps[:, None] * direction).astype(int) % dims
        axes[tuple(points.T)] = True
    return (_periodic_distance(axes, radius) <= radius).astype(np.uint8)


def coated_particles(shape: Sequence[int], *, radius: float, particle_fraction: float,
                     coating: float = 1.0, rng: Seed = None) -> np.ndarray:
    """Pores (0), overlapping particles (1) and a binder coating (2) around them.

    Particles are :func:`overlapping_balls` with the expected fraction
    ``particle_fraction``; the binder is every voxel outside them within
    ``coating`` voxels of a particle voxel, so every particle is wrapped in a
    binder film of that thickness.

    Examples
    --------
    >>> labels = coated_particles((64, 64), radius=6, particle_fraction=0.3, rng=2)
    >>> sorted(np.unique(labels).tolist())
    [0, 1, 2]
    """
    dims = _dims(shape, "coated_particles")
    _check_positive(coating, "coating", "coated_particles")
    particles = overlapping_balls(dims, radius=radius, volume_fraction=particle_fraction,
                                  rng=rng).astype(bool)
    binder = (_periodic_distance(particles, coating) <= coating) & ~particles
    return (particles + 2 * binder).astype(np.uint8)


def dispersion(shape: Sequence[int], *, radius: float, volume_fraction: float = 0.05,
               rng: Seed = None) -> np.ndarray:
    """Separate equal discs/balls (phase 1) at a low volume fraction in a matrix (0).

    Balls are placed one after the other at uniform random centres and kept
    when they stay clear of all earlier ones by more than one voxel diagonal
    (random sequential addition), until their nominal volume reaches
    ``volume_fraction``; so no two balls touch, even through a corner.

    Raises
    ------
    ValueError
        If the balls cannot be placed (fraction too high for the box).

    Examples
    --------
    >>> labels = dispersion((96, 96), radius=4, volume_fraction=0.05, rng=3)
    >>> bool(abs(labels.mean() - 0.05) < 0.01)
    True
    """
    dims = _dims(shape, "dispersion")
    _check_positive(radius, "radius", "dispersion")
    _check_fraction(volume_fraction, "volume_fraction", "dispersion", upper=0.3)
    generator = np.random.default_rng(rng)
    ndim = len(dims)
    count = max(1, round(volume_fraction * np.prod(dims) / _ball_volume(radius, ndim)))
    clearance = 2 * radius + 2 * np.sqrt(ndim)
    box = np.asarray(dims, dtype=np.float64)
    centres = np.empty((0, ndim))
    attempts = 0
    while len(centres) < count:
        attempts += 1
        if attempts > 1000 * count:
            raise ValueError(f"dispersion: could not place {count} balls of radius {radius} "
                             f"apart in a box of {dims}; lower volume_fraction or radius")
        candidate = generator.random(ndim) * box
        offset = np.abs(centres - candidate)
        offset = np.minimum(offset, box - offset)
        if not len(centres) or np.sqrt((offset**2).sum(axis=1)).min() > clearance:
            centres = np.vstack([centres, candidate])
    return _paint_balls(dims, centres, np.full(count, float(radius))).astype(np.uint8)


def bicontinuous(shape: Sequence[int], *, correlation_length: float = 4.0,
                 volume_fraction: float = 0.5, rng: Seed = None) -> np.ndarray:
    """Two interwoven phases: a thresholded Gaussian random field.

    :func:`mcrkit.generators.gaussian_random_field` under this module's
    interface. In 3D both phases form one percolating cluster for fractions
    not far from 0.5; in 2D a phase percolates only above about one half.

    Examples
    --------
    >>> labels = bicontinuous((32, 32, 32), rng=0)
    >>> float(labels.mean())
    0.5
    """
    return gaussian_random_field(_dims(shape, "bicontinuous"), correlation_length,
                                 volume_fraction=volume_fraction, seed=rng)
