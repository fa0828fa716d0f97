"""3D statistics of a volume: rows of its fidelity table against a 3D original, and a summary.

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

A volume made from a 2D original has no 3D truth to be judged against, but
its 3D statistics are what a simulation meets: :func:`volume_summary` lists
them per phase (volume fraction, surface area and Euler characteristic per
voxel, largest-cluster fraction, percolation along x, y and z, mean feature
radius), and the report shows them, unjudged, under ``volume``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mcrkit.microstructure import AXIS_NAMES
from mcrkit.morphology import (
    euler_density,
    feature_size_distribution,
    largest_cluster_fraction,
    percolation,
    surface_density,
)

__all__ = ["VOLUME", "feature_radii", "format_volume_summary", "volume_statistics",
           "volume_summary"]

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


def volume_summary(labels: np.ndarray, *, periodic: bool = True) -> list[dict[str, Any]]:
    """3D statistics of every phase of a volume (module docstring), JSON-ready.

    Examples
    --------
    >>> tube = np.zeros((8, 8, 8), dtype=int); tube[:, 2:5, 2:5] = 1  # a channel along x
    >>> row = volume_summary(tube)[1]
    >>> row["percolates"], row["largest_cluster"], row["euler_density"]
    ({'x': True, 'y': False, 'z': False}, 1.0, 0.0)
    """
    labels = np.asarray(labels)
    rows = []
    for phase in range(int(labels.max()) + 1):
        mask = labels == phase
        present = bool(mask.any())
        sizes = feature_size_distribution(mask, periodic=periodic) if present else None
        rows.append({
            "phase": phase,
            "volume_fraction": float(mask.mean()),
            "surface_density": surface_density(mask, periodic=periodic),
            "euler_density": euler_density(mask, periodic=periodic),
            "largest_cluster": largest_cluster_fraction(mask, periodic=periodic)
            if present else None,
            "percolates": dict(zip(AXIS_NAMES, map(bool, percolation(mask).percolates),
                                   strict=True)),
            "mean_feature_radius": None if sizes is None else float(sizes.mean_radius),
        })
    return rows


def format_volume_summary(rows: list[dict[str, Any]], title: str) -> str:
    """:func:`volume_summary` as a small text table under ``title``."""
    out = [f"  {title}",
           f"  {'phase':>5} {'fraction':>8} {'surface/voxel':>13} {'Euler/1000 voxels':>17} "
           f"{'largest cluster':>15} {'percolates':>10} {'feature radius':>14}"]
    for row in rows:
        along = "".join(axis for axis, yes in row["percolates"].items() if yes) or "-"
        cluster = "-" if row["largest_cluster"] is None else f"{row['largest_cluster']:.0%}"
        radius = "-" if row["mean_feature_radius"] is None else \
            f"{row['mean_feature_radius']:.3g}"
        out.append(f"  {row['phase']:>5} {row['volume_fraction']:>8.4g} "
                   f"{row['surface_density']:>13.4g} {row['euler_density'] * 1000:>17.3g} "
                   f"{cluster:>15} {along:>10} {radius:>14}")
    return "\n".join(out)
