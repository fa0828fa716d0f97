"""Every morphology statistic of a structure in one plain, JSON-serializable table.

:func:`morphology` measures each phase of a label array with the functions of
this package and returns nested dicts, lists and numbers only (NaN becomes
``None``), ready for ``json.dumps``, a characterization's metadata, the
validation report or a comparison of two structures. Per-axis values are
keyed by axis name (``"x"``, ``"y"``, ``"z"``, the array's axes 0, 1, 2).

=============================  ===========================================================
key (per phase)                value
=============================  ===========================================================
``volume_fraction``            fraction of voxels in the phase
``surface_density``            interface length per area (2D) / area per volume (3D), Crofton
``euler_characteristic``       clusters - holes (2D) / clusters - tunnels + cavities (3D)
``euler_density``              ``euler_characteristic`` per unit area / volume
``n_clusters``                 number of clusters
``largest_cluster_fraction``   fraction of the phase in its largest cluster
``percolates``                 per axis: one cluster touches both faces (bounded box)
``spanning_fraction``          per axis: fraction of the phase in clusters touching both faces
``chords``                     per axis: ``count``, ``mean``, ``length_weighted_mean``
``correlation_length``         per axis: lag where the scaled autocovariance falls to 1/e
``repeat_length``              per axis: line length per entry into the phase
``feature_size``               opening granulometry: ``radius``, ``fraction``,
                               ``mean_radius``, ``median_radius``
``cluster_function``           per axis: C2 at lags 0..``correlation_window``
=============================  ===========================================================

For a volume, ``slices`` holds for each slicing axis (the slices *normal* to
it) the 2D definitions pooled over its slices, per phase: ``euler_density``
(per unit area), ``surface_density`` (boundary length per area),
``largest_cluster_fraction`` (mean over the slices holding the phase) and
``percolating_slices`` (per in-plane axis, the fraction of slices in which the
phase percolates).

Conventions: clusters and the Euler characteristic use full connectivity for
the phase (8 neighbours in 2D, 26 in 3D; its complement 4 / 6); clusters join
across the faces when ``periodic``; percolation is always that of the bounded
box. Lengths are in units of ``voxel_size``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mcrkit.microstructure import AXIS_NAMES
from mcrkit.morphology._common import spacing
from mcrkit.morphology.chords import chord_statistics
from mcrkit.morphology.cluster_function import two_point_cluster_function
from mcrkit.morphology.connectivity import cluster_sizes, percolation
from mcrkit.morphology.feature_size import feature_size_distribution
from mcrkit.morphology.lengths import correlation_lengths, correlation_window, repeat_lengths
from mcrkit.morphology.minkowski import euler_characteristic, euler_density, surface_density

__all__ = ["morphology", "plain"]


def morphology(labels: np.ndarray, *, periodic: bool = True,
               voxel_size: float | Sequence[float] = 1.0) -> dict[str, Any]:
    """Morphology and topology statistics of every phase (see the module docstring).

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) array_like of int
        Phase labels ``0..P-1``.
    periodic : bool, optional
        Periodic boundaries (default) or a bounded box.
    voxel_size : float or sequence of float, optional
        Physical size of a voxel (per axis).

    Returns
    -------
    dict
        ``shape``, ``periodic``, ``voxel_size``, ``correlation_window`` (voxels,
        from :func:`~mcrkit.morphology.correlation_window`), ``phases`` (one
        dict per phase, keys in the module docstring) and, for a volume,
        ``slices``.

    Examples
    --------
    >>> labels = np.zeros((16, 16), dtype=int); labels[4:8, 4:8] = 1
    >>> table = morphology(labels)
    >>> table["phases"][1]["euler_characteristic"], table["phases"][0]["euler_characteristic"]
    (1, -1)
    >>> table["phases"][1]["percolates"]
    {'x': False, 'y': False}
    """
    labels = _check_labels(labels)
    size = spacing(voxel_size, labels.ndim, "morphology")
    window = correlation_window(labels, periodic=periodic)
    n_phases = int(labels.max()) + 1
    table: dict[str, Any] = {
        "shape": list(labels.shape),
        "periodic": bool(periodic),
        "voxel_size": size.tolist(),
        "correlation_window": window,
        "phases": [_phase_statistics(labels == phase, periodic, size, window)
                   for phase in range(n_phases)],
    }
    if labels.ndim == 3:
        table["slices"] = {
            AXIS_NAMES[axis]: [_slice_statistics(labels == phase, axis, periodic, size)
                               for phase in range(n_phases)]
            for axis in range(3)
        }
    return plain(table)


def _check_labels(labels: Any) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim not in (2, 3) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"morphology: expected integer phase labels of shape (X, Y) or "
                         f"(X, Y, Z), got {array.dtype} of shape {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError(f"morphology: phase labels must be 0..P-1, got {int(array.min())}")
    return array


def _per_axis(values: Sequence[Any]) -> dict[str, Any]:
    return {AXIS_NAMES[axis]: value for axis, value in enumerate(values)}


def _phase_statistics(mask: np.ndarray, periodic: bool, size: np.ndarray,
                      window: int) -> dict[str, Any]:
    sizes = cluster_sizes(mask, periodic=periodic)
    spanning = percolation(mask)
    chi = euler_characteristic(mask, periodic=periodic)
    return {
        "volume_fraction": float(mask.mean()),
        "surface_density": surface_density(mask, periodic=periodic, voxel_size=size),
        "euler_characteristic": chi,
        "euler_density": chi / (mask.size * float(np.prod(size))),
        "n_clusters": int(sizes.size),
        "largest_cluster_fraction": float(sizes[0] / sizes.sum()) if sizes.size else math.nan,
        "percolates": _per_axis(spanning.percolates),
        "spanning_fraction": _per_axis(spanning.spanning_fraction),
        "chords": _per_axis([
            chord_statistics(mask, axis=axis, periodic=periodic, voxel_size=size)._asdict()
            for axis in range(mask.ndim)]),
        "correlation_length": _per_axis(correlation_lengths(mask, periodic=periodic,
                                                            voxel_size=size)),
        "repeat_length": _per_axis(repeat_lengths(mask, periodic=periodic, voxel_size=size)),
        "feature_size": feature_size_distribution(mask, periodic=periodic,
                                                  voxel_size=size)._asdict(),
        "cluster_function": _per_axis(two_point_cluster_function(mask, max_lag=window,
                                                                 periodic=periodic)),
    }


def _slice_statistics(mask: np.ndarray, axis: int, periodic: bool,
                      size: np.ndarray) -> dict[str, Any]:
    in_plane = [a for a in range(3) if a != axis]
    largest, percolating = [], []
    for image in np.moveaxis(mask, axis, 0):
        if image.any():
            sizes = cluster_sizes(image, periodic=periodic)
            largest.append(sizes[0] / sizes.sum())
            percolating.append(percolation(image).percolates)
        else:
            percolating.append((False, False))
    slices_percolating = np.mean(percolating, axis=0)
    return {
        "euler_density": euler_density(mask, periodic=periodic, slice_axis=axis, voxel_size=size),
        "surface_density": surface_density(mask, periodic=periodic, slice_axis=axis,
                                           voxel_size=size),
        "largest_cluster_fraction": float(np.mean(largest)) if largest else math.nan,
        "percolating_slices": {AXIS_NAMES[a]: float(f)
                               for a, f in zip(in_plane, slices_percolating, strict=True)},
    }


def plain(obj: Any) -> Any:
    """``obj`` with builtins only, NaN and infinity as None (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
