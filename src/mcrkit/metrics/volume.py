"""3D statistics of one phase for the fidelity table of a volume against a 3D original.

Rows the table holds only when original and result are both volumes (slices
and topology are in :mod:`mcrkit.metrics.validation` and
:mod:`mcrkit.metrics.topology`), measured with :mod:`mcrkit.morphology`:

``surface_density``
    Interface area per voxel (Crofton formula,
    :func:`mcrkit.morphology.surface_density`): with the volume fraction
    (the slices' rows) and the Euler density (a topology row), the 3D
    Minkowski functionals but the mean curvature.
``feature_size``
    Opening granulometry (:func:`mcrkit.morphology.feature_size_distribution`):
    the fraction of the phase in features of opening radius >= r, at the radii
    the original's distribution has (1, 2, ... voxels up to its largest
    fitting ball), so original, result and windows are compared radius by radius.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mcrkit.morphology import feature_size_distribution, surface_density

__all__ = ["VOLUME", "feature_radii", "volume_statistics"]

VOLUME = ("surface_density", "feature_size")
"""Keys of :func:`volume_statistics`."""


def feature_radii(labels: np.ndarray, phase: int) -> tuple[float, ...]:
    """The radii of the feature-size distribution of ``phase`` (periodic), to compare at."""
    return tuple(feature_size_distribution(np.asarray(labels) == phase).radius)


def volume_statistics(labels: np.ndarray, phase: int, *, radii: Sequence[float],
                      periodic: bool = True) -> dict[str, Any]:
    """Surface density and feature-size distribution of ``phase`` (module docstring).

    Parameters
    ----------
    labels : (X, Y, Z) ndarray
        Discrete volume.
    phase : int
        Phase described.
    radii : sequence of float
        Opening radii of the distribution (:func:`feature_radii` of the original).
    periodic : bool, optional
        Periodic boundaries (default) or the bounded box (the windows of the spread).

    Returns
    -------
    dict
        ``surface_density`` (float) and ``feature_size`` (one fraction per radius;
        NaN for an absent phase).

    Examples
    --------
    >>> slab = np.zeros((10, 4, 4), dtype=int); slab[2:7] = 1  # 5 voxels thick: radius 2
    >>> stats = volume_statistics(slab, 1, radii=(1.0, 2.0, 3.0))
    >>> round(stats["surface_density"] * slab.size, 2)  # Crofton estimate of its 32 faces
    21.33
    >>> stats["feature_size"].tolist()
    [1.0, 1.0, 0.0]
    """
    mask = np.asarray(labels) == phase
    if not radii:
        sizes = np.empty(0)
    elif mask.any():
        sizes = np.asarray(feature_size_distribution(mask, periodic=periodic,
                                                     radii=radii).fraction, dtype=float)
    else:
        sizes = np.full(len(radii), np.nan)
    return {"surface_density": surface_density(mask, periodic=periodic),
            "feature_size": sizes}
