"""Skeletons of 2D phases: the periodic skeleton, crossing numbers and dead ends.

A thin network phase (grain boundaries, cell walls) is described by its
skeleton, the one-pixel-wide centre line of scikit-image's
:func:`~skimage.morphology.skeletonize`. The *crossing number* of a skeleton
pixel counts the branches that leave it (Rutovitz: the changes from
background to skeleton going once around its eight neighbours): 1 at an end
of a branch, 2 along a branch, 3 or more at a junction. A closed network has
no ends; every wall cut open adds two, and a dangling wall one.
:func:`dead_end_density` counts them per pixel, the statistic of the fidelity
table that sees loose wall ends which neither the clusters nor the Euler
characteristic of the phase see (a wall cut at one end leaves both unchanged).
"""

from __future__ import annotations

import numpy as np

from mcrkit.morphology._common import check_mask

__all__ = ["crossings", "dead_end_density", "dead_ends", "periodic_skeleton"]

_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
"""The eight neighbours in circular order."""
_EDGE = 3
"""Ends this close to the edge of a window (pixels) are where the window cuts a branch."""
_WRAP = 16
"""Pixels wrapped around each side before a periodic image is skeletonized."""


def periodic_skeleton(mask: np.ndarray) -> np.ndarray:
    """Periodic skeleton of a 2D mask (skeletonized on a wrapped copy, then cropped).

    Examples
    --------
    >>> bar = np.zeros((8, 8), dtype=bool)
    >>> bar[3:5, :] = True          # a band around the periodic image
    >>> periodic_skeleton(bar).sum(axis=1).tolist()
    [0, 0, 0, 8, 0, 0, 0, 0]
    """
    from skimage.morphology import skeletonize

    wrapped = np.pad(mask, _WRAP, mode="wrap")
    return skeletonize(wrapped)[_WRAP:-_WRAP, _WRAP:-_WRAP]


def crossings(skeleton: np.ndarray, *, periodic: bool = True) -> np.ndarray:
    """Crossing number of every pixel of a 2D skeleton: the branches that leave it (0 for a
    lone pixel, 1 at a loose end, 2 along a branch, 3 or more at a junction; 0 off the
    skeleton).

    Examples
    --------
    >>> cross = np.zeros((7, 7), dtype=bool)
    >>> cross[3, 1:6] = True
    >>> cross[1:6, 3] = True
    >>> int(crossings(cross)[3, 3]), int(crossings(cross)[3, 1]), int(crossings(cross)[3, 2])
    (4, 1, 2)
    """
    skeleton = np.asarray(skeleton, dtype=bool)
    padded = skeleton if periodic else np.pad(skeleton, 1)
    ring = [np.roll(padded, (-dr, -dc), axis=(0, 1)) for dr, dc in _RING]
    count = sum((~ring[k] & ring[(k + 1) % 8]).astype(np.int64) for k in range(8))
    if not periodic:
        count = count[1:-1, 1:-1]
    return np.where(skeleton, count, 0)


def dead_ends(image: np.ndarray, *, periodic: bool = True, spur: int = 0) -> np.ndarray:
    """The ends of the branches of a 2D phase's skeleton (crossing number 1), as an
    ``(n, 2)`` array of pixel indices.

    The skeleton is first pruned by ``spur`` pixels (its ends removed that many
    times), so that the spurs a rough wall gives its skeleton, up to ``spur``
    pixels long, are not counted; the ends of longer branches are (where the
    pruned branches now end).

    Without ``periodic`` the image is a window cut from a larger structure: a
    branch that reaches the window's edge is cut there, not ended, so ends near
    the edge (within ``spur`` + 3 pixels) are not counted.

    Parameters
    ----------
    image : (X, Y) array_like of bool
        Indicator of the phase.
    periodic : bool, optional
        Skeletonize on the torus (default) or in the bounded window.
    spur : int, optional
        Longest branch (pixels) not counted.

    Examples
    --------
    >>> yy, xx = np.mgrid[:24, :24]
    >>> radius = np.hypot(yy - 11.5, xx - 11.5)
    >>> len(dead_ends((radius > 6) & (radius < 9)))          # a ring
    0
    >>> segment = np.zeros((24, 24), dtype=bool)
    >>> segment[10:13, 4:20] = True
    >>> len(dead_ends(segment))
    2
    >>> plus = segment | segment.T
    >>> len(dead_ends(plus)), len(dead_ends(plus, spur=4))
    (4, 4)
    >>> plus[6:10, 16] = True                                # a bump on one arm
    >>> len(dead_ends(plus)), len(dead_ends(plus, spur=2))
    (5, 4)
    """
    mask = check_mask(image, "dead_ends")
    if mask.ndim != 2:
        raise ValueError(f"dead_ends works on 2D images; got {mask.ndim} dimensions")
    if periodic:
        skeleton = periodic_skeleton(mask)
    else:
        from skimage.morphology import skeletonize

        skeleton = skeletonize(mask)
    for _ in range(int(spur)):
        skeleton = skeleton & (crossings(skeleton, periodic=periodic) >= 2)
    ends = skeleton & (crossings(skeleton, periodic=periodic) == 1)
    if not periodic:  # the skeleton of a cut wall stops short of the edge
        edge = _EDGE + int(spur)
        ends[:edge] = ends[-edge:] = False
        ends[:, :edge] = ends[:, -edge:] = False
    return np.argwhere(ends)


def dead_end_density(image: np.ndarray, *, periodic: bool = True, spur: int = 0) -> float:
    """Dead ends of a 2D phase's skeleton per pixel (:func:`dead_ends`).

    Examples
    --------
    >>> segment = np.zeros((20, 20), dtype=bool)
    >>> segment[9:11, 3:17] = True
    >>> dead_end_density(segment) * 400
    2.0
    """
    mask = check_mask(image, "dead_end_density")
    return (len(dead_ends(mask, periodic=periodic, spur=spur)) / mask.size if mask.size
            else float("nan"))
