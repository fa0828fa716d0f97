r"""Feature sizes of one phase by opening granulometry with Euclidean balls.

The opening of a phase by the ball :math:`B_r = \{\mathbf v : |\mathbf v| \le r\}`
(voxel centres) keeps the voxels covered by some ball of radius :math:`r`
that fits inside the phase (Matheron's granulometry; the discrete form of
local thickness, Hildebrand & Rüegsegger 1997). Each voxel's *opening
radius* is the largest :math:`r` of the radii tried whose opening keeps it;
the phase's size distribution is the fraction of its voxels with opening
radius :math:`\ge r`. Both steps are exact Euclidean distance transforms
(``edt``): the ball centres that fit are the voxels farther than :math:`r`
from the rest, and the opening is every voxel within :math:`r` of such a
centre.

A slab of odd thickness :math:`t` voxels has opening radius
:math:`(t-1)/2` everywhere (a discrete ball is :math:`2r+1` voxels across;
even thicknesses round down), a disk or ball of radius :math:`R` about
:math:`R`. Periodic structures are handled by padding with their periodic
continuation, wide enough to hold every distance that matters; in a bounded
box a ball may reach past the border (the outside is not counted as another
phase).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import edt
import numpy as np

from mcrkit.morphology._common import check_mask, spacing

__all__ = ["FeatureSizes", "feature_size_distribution", "opening_radius_map"]

MAX_RADII = 8
"""Default number of radii tried: every multiple of the voxel size up to the largest fitting
ball when there are at most this many, otherwise this many geometrically spaced multiples."""


def _distance(nonzero: np.ndarray, size: np.ndarray, periodic: bool,
              reach: float | None = None) -> np.ndarray:
    """Euclidean distance of every True voxel to the nearest False voxel (0 on False voxels).

    ``inf`` everywhere when there is no False voxel. With periodic boundaries
    the array is padded with its periodic continuation: along an axis of
    ``n`` voxels, ``n / 2`` covers every nearest periodic image, and a
    padding as wide as the largest distance covers every nearest voxel. With
    ``reach``, only distances up to ``reach`` are needed (larger ones may come
    out too large).
    """
    if nonzero.all():
        return np.full(nonzero.shape, np.inf)
    if not periodic:
        return edt.edt(np.ascontiguousarray(nonzero), anisotropy=tuple(size), black_border=False,
                       parallel=1)
    width = 8 * float(size.min()) if reach is None else reach
    while True:  # two passes at most: the padded box can only overestimate distances
        pads = [min(int(np.ceil(width / s)) + 1, (n + 1) // 2)
                for n, s in zip(nonzero.shape, size, strict=True)]
        padded = np.pad(nonzero, [(p, p) for p in pads], mode="wrap")
        inner = tuple(slice(p, p + n) for p, n in zip(pads, nonzero.shape, strict=True))
        distance = edt.edt(padded, anisotropy=tuple(size), black_border=False, parallel=1)[inner]
        largest = float(distance.max())
        if reach is not None or all(p * s >= largest or 2 * p >= n for p, n, s
                                    in zip(pads, nonzero.shape, size, strict=True)):
            return distance
        width = largest


def _radii(largest: float, step: float, radii: Sequence[float] | None) -> np.ndarray:
    if radii is not None:
        values = np.unique(np.asarray(radii, dtype=np.float64))
        if values.size == 0 or values[0] <= 0 or not np.all(np.isfinite(values)):
            raise ValueError(f"feature sizes: radii must be positive and finite, got {radii!r}")
        return values
    count = int(np.ceil(largest / step - 1e-9)) - 1  # balls fit where the distance exceeds r
    if count <= MAX_RADII:
        return step * np.arange(1, max(count, 1) + 1)
    return step * np.unique(np.round(np.geomspace(1, count, MAX_RADII)))


def _opening_radii(mask: np.ndarray, size: np.ndarray, periodic: bool,
                   radii: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """(opening radius map, radii tried) of a validated indicator."""
    result = np.where(mask, 0.0, np.nan)
    if not mask.any():
        return result, _radii(float(size.min()), float(size.min()), radii)
    inside = _distance(mask, size, periodic)
    largest = float(np.max(inside)) if np.isfinite(inside).all() else float(max(mask.shape))
    tried = _radii(largest, float(size.min()), radii)
    for r in tried:
        centres = inside > r
        if not centres.any():
            break
        result[mask & (_distance(~centres, size, periodic, reach=r) <= r)] = r
    return result, tried


def opening_radius_map(image: np.ndarray, *, periodic: bool = True,
                       voxel_size: float | Sequence[float] = 1.0,
                       radii: Sequence[float] | None = None) -> np.ndarray:
    """Opening radius of every voxel of one phase (see the module docstring).

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase.
    periodic : bool, optional
        Periodic boundaries (default) or a bounded box.
    voxel_size : float or sequence of float, optional
        Physical size of a voxel (per axis); radii are in these units.
    radii : sequence of float, optional
        Ball radii to try; by default multiples of the smallest voxel size up
        to the largest ball that fits (at most :data:`MAX_RADII` of them).

    Returns
    -------
    ndarray of float
        The largest radius tried whose opening keeps the voxel, 0 for phase
        voxels no ball fits around, NaN outside the phase.

    Examples
    --------
    >>> slab = np.zeros((9, 4), dtype=bool); slab[2:7] = True  # 5 voxels thick
    >>> opening_radius_map(slab)[:, 0]
    array([nan, nan,  2.,  2.,  2.,  2.,  2., nan, nan])
    """
    mask = check_mask(image, "opening_radius_map")
    size = spacing(voxel_size, mask.ndim, "opening_radius_map")
    return _opening_radii(mask, size, periodic, radii)[0]


class FeatureSizes(NamedTuple):
    """Size distribution of one phase (``._asdict()`` for a plain dict).

    Attributes
    ----------
    radius : tuple of float
        Ball radii tried.
    fraction : tuple of float
        Fraction of the phase's voxels whose opening radius is at least each radius.
    mean_radius : float
        Mean opening radius of the phase's voxels (volume-weighted).
    median_radius : float
        Median opening radius of the phase's voxels.
    """

    radius: tuple[float, ...]
    fraction: tuple[float, ...]
    mean_radius: float
    median_radius: float


def feature_size_distribution(image: np.ndarray, *, periodic: bool = True,
                              voxel_size: float | Sequence[float] = 1.0,
                              radii: Sequence[float] | None = None) -> FeatureSizes:
    """Opening granulometry of one phase: the fraction of it in features of each radius.

    Parameters are those of :func:`opening_radius_map`; NaN statistics for an
    empty phase.

    Examples
    --------
    >>> slab = np.zeros((12, 4), dtype=bool); slab[1:4] = True; slab[6:11] = True
    >>> sizes = feature_size_distribution(slab)
    >>> sizes.radius, sizes.fraction
    ((1.0, 2.0), (1.0, 0.625))
    >>> float(sizes.mean_radius), float(sizes.median_radius)
    (1.625, 2.0)
    """
    mask = check_mask(image, "feature_size_distribution")
    size = spacing(voxel_size, mask.ndim, "feature_size_distribution")
    radius_map, tried = _opening_radii(mask, size, periodic, radii)
    values = radius_map[mask]
    if not values.size:
        return FeatureSizes(tuple(tried.tolist()), (float("nan"),) * tried.size,
                            float("nan"), float("nan"))
    fraction = [float((values >= r).mean()) for r in tried]
    return FeatureSizes(tuple(tried.tolist()), tuple(fraction), float(values.mean()),
                        float(np.median(values)))
