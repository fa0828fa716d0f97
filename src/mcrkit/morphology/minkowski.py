r"""Minkowski functionals of one phase: volume fraction, surface density, Euler characteristic.

A phase is read as the union of its closed voxels (unit squares in 2D, unit
cubes in 3D), the polyconvex set whose Minkowski functionals are additive
(Mecke & Stoyan 2000; Ohser & Mücklich 2000, ch. 4).

Euler characteristic
    Counted exactly on the cell complex of that union: :math:`\chi = \sum_k
    (-1)^k n_k`, with :math:`n_k` the number of k-cells (vertices, edges,
    faces, cubes) that touch a voxel of the phase. This is the topology of
    the phase with *full* connectivity (8 neighbours in 2D, 26 in 3D) and its
    complement with *face* connectivity (4 in 2D, 6 in 3D): in 2D,
    :math:`\chi` = clusters - holes; in 3D, clusters - tunnels + cavities.
    ``connectivity=1`` gives the reverse pair (the phase with face, the
    complement with full connectivity): a cell then counts when *all* voxels
    it touches are in the phase, and the sum is multiplied by
    :math:`(-1)^d`. Both agree with :func:`skimage.measure.euler_number` on
    non-periodic images. With periodic boundaries the complex lives on the
    torus (a phase filling the box has :math:`\chi = 0`), which makes
    :math:`\chi / N` an unbiased density for stationary structures.
Surface density
    Interface length per area (2D) or area per volume (3D) by the Crofton
    formula from the interface crossings :math:`P_L` of test lines along the
    axes: :math:`L_A = \frac{\pi}{2} \bar P_L`, :math:`S_V = 2 \bar P_L`
    (mean over the axes). Unbiased for isotropic structures and exact for
    digitized disks and balls up to digitization; an axis-aligned square
    gives :math:`\pi/4` of its perimeter. Only phase boundaries count: without
    periodic boundaries the image border is not an interface.

Volumes of 3D structures can also be described by 2D definitions on the
slices normal to an axis (``slice_axis``): the slices' values are summed and
divided by the slices' total area.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from mcrkit.morphology._common import check_axis, check_connectivity, check_mask, spacing

__all__ = ["euler_characteristic", "euler_density", "surface_density"]

_CROFTON = {2: np.pi / 2, 3: 2.0}
"""Crofton constant c_d of L_A = c_2 P_L (2D) and S_V = c_3 P_L (3D)."""


def _plane_axes(ndim: int, slice_axis: int | None, owner: str) -> tuple[int, ...]:
    """Axes a statistic is evaluated along: all, or those of the slices normal to one axis."""
    if slice_axis is None:
        return tuple(range(ndim))
    if ndim != 3:
        raise ValueError(f"{owner}: slice_axis is only meaningful for a 3D structure")
    axis = check_axis(slice_axis, ndim, owner)
    return tuple(a for a in range(ndim) if a != axis)


def _euler_sum(mask: np.ndarray, axes: tuple[int, ...], *, full: bool, periodic: bool) -> int:
    """Sum of the Euler characteristics of the sub-arrays spanned by ``axes`` (batched)."""
    if not periodic:  # one empty layer after the last voxel closes every boundary cell
        mask = np.pad(mask, [(0, 1) if a in axes else (0, 0) for a in range(mask.ndim)])
    combine = np.logical_or if full else np.logical_and
    # cells[C]: the cells lying between voxels i-1 and i along every axis in C (degenerate to
    # a point along those axes, extended along the others); a cell is present when any (full
    # connectivity) or all (face connectivity) of the voxels it touches are in the phase
    cells = {(): mask}
    total = 0
    for size in range(len(axes) + 1):
        for closed in combinations(axes, size):
            if closed:
                parent = cells[closed[:-1]]
                cells[closed] = combine(parent, np.roll(parent, 1, axis=closed[-1]))
            dimension = len(axes) - size
            total += (-1) ** dimension * int(np.count_nonzero(cells[closed]))
        for closed in combinations(axes, size - 1) if size else ():
            cells.pop(closed, None)
    return total if full else (-1) ** len(axes) * total


def euler_characteristic(image: np.ndarray, *, connectivity: int | None = None,
                         periodic: bool = True, slice_axis: int | None = None) -> int:
    r"""Euler characteristic of one phase (exact, 2D or 3D).

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase, e.g. ``labels == 1``.
    connectivity : {1, ndim}, optional
        Neighbourhood of the phase: ``ndim`` (default; 8 in 2D, 26 in 3D, the
        complement with 4 / 6) or 1 (4 / 6, the complement with 8 / 26).
    periodic : bool, optional
        Count on the torus (default) or on the bounded box.
    slice_axis : int, optional
        For a volume: the sum over its 2D slices normal to this axis.

    Returns
    -------
    int
        :math:`\chi`: 2D clusters - holes; 3D clusters - tunnels + cavities.

    Examples
    --------
    >>> ring = np.ones((5, 5), dtype=bool); ring[2, 2] = False
    >>> euler_characteristic(ring, periodic=False)
    0
    >>> euler_characteristic(np.ones((4, 4), dtype=bool))  # a phase filling the torus
    0
    """
    mask = check_mask(image, "euler_characteristic")
    axes = _plane_axes(mask.ndim, slice_axis, "euler_characteristic")
    conn = check_connectivity(connectivity, len(axes), "euler_characteristic",
                              allowed=(1, len(axes)))
    return _euler_sum(mask, axes, full=conn == len(axes), periodic=periodic)


def euler_density(image: np.ndarray, *, connectivity: int | None = None, periodic: bool = True,
                  slice_axis: int | None = None,
                  voxel_size: float | Sequence[float] = 1.0) -> float:
    """Euler characteristic per unit volume (per unit area of the slices with ``slice_axis``).

    :func:`euler_characteristic` divided by the number of voxels times the
    volume of one voxel (with ``slice_axis``: the area of one pixel of the
    slices). With ``voxel_size=1`` it is the count per voxel.

    Examples
    --------
    >>> dots = np.zeros((8, 8), dtype=bool); dots[::4, ::4] = True  # 4 isolated dots
    >>> euler_density(dots)
    0.0625
    >>> euler_density(dots, voxel_size=0.5)
    0.25
    """
    mask = check_mask(image, "euler_density")
    axes = _plane_axes(mask.ndim, slice_axis, "euler_density")
    size = spacing(voxel_size, mask.ndim, "euler_density")
    chi = euler_characteristic(mask, connectivity=connectivity, periodic=periodic,
                               slice_axis=slice_axis)
    return chi / (mask.size * float(np.prod(size[list(axes)])))


def surface_density(image: np.ndarray, *, periodic: bool = True, slice_axis: int | None = None,
                    voxel_size: float | Sequence[float] = 1.0) -> float:
    r"""Interface length per area (2D) or area per volume (3D) by the Crofton formula.

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase.
    periodic : bool, optional
        Count interfaces across the box's faces (default) or only inside it.
    slice_axis : int, optional
        For a volume: the boundary length per area of its slices normal to
        this axis (2D formula).
    voxel_size : float or sequence of float, optional
        Physical size of a voxel (per axis); the result is in inverse units.

    Returns
    -------
    float
        :math:`L_A` or :math:`S_V` (see the module docstring).

    Examples
    --------
    >>> yy, xx = np.mgrid[:256, :256] - 127.5
    >>> disk = xx**2 + yy**2 <= 60**2
    >>> estimate = surface_density(disk) * disk.size
    >>> bool(abs(estimate / (2 * np.pi * 60) - 1) < 0.01)
    True
    """
    mask = check_mask(image, "surface_density")
    axes = _plane_axes(mask.ndim, slice_axis, "surface_density")
    size = spacing(voxel_size, mask.ndim, "surface_density")
    per_length = []
    for axis in axes:
        if periodic:
            crossings = np.count_nonzero(mask != np.roll(mask, 1, axis=axis))
            pairs = mask.size
        else:
            ahead = [slice(None)] * mask.ndim
            behind = [slice(None)] * mask.ndim
            ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
            crossings = np.count_nonzero(mask[tuple(ahead)] != mask[tuple(behind)])
            pairs = mask.size // mask.shape[axis] * (mask.shape[axis] - 1)
        per_length.append(crossings / max(pairs, 1) / size[axis])
    return float(_CROFTON[len(axes)] * np.mean(per_length))
