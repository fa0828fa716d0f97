"""Network phases: thin connected walls enclosing cells (grain boundaries, cell walls).

:func:`find_networks` recognizes them in an original and records, as a
:class:`NetworkSpec`, what :func:`~mcrkit.morphology.network_repair.repair_networks`
must restore in a reconstruction: wall thickness, cell density, the smallest
cells and the reach of a bridge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mcrkit.morphology.skeleton import dead_end_density, periodic_skeleton

__all__ = ["NetworkSpec", "find_networks"]

NETWORK_FRACTION = 0.35
"""Largest volume fraction of a network phase (thin walls)."""
NETWORK_CLUSTER = 0.9
"""Smallest share of the phase in its largest cluster."""
NETWORK_THINNESS = 0.5
"""Largest ratio of the phase's mean chord to the mean chord of the cells it encloses."""

@dataclass(frozen=True)
class NetworkSpec:
    """What :func:`~mcrkit.morphology.network_repair.repair_networks` restores in one network phase.

    Attributes
    ----------
    phase : int
        The network phase.
    width : int
        Wall thickness of the original (pixels; bridges are at least 2 wide so that they
        separate cells).
    max_length : float
        Longest bridge (pixels): 1.5 times the mean chord of the cells.
    cell_density : float
        Cells per pixel in the original.
    min_cell : int
        Pixels of the original's smallest cells (5th percentile); smaller ones are filled.
    dead_ends : float
        Dead ends of the original's skeleton per pixel, branches no longer than ``width``
        not counted (:func:`~mcrkit.morphology.skeleton.dead_end_density`).
    """

    phase: int
    width: int
    max_length: float
    cell_density: float
    min_cell: int
    dead_ends: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready builtins."""
        return asdict(self)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> NetworkSpec:
        """The spec :meth:`to_json` wrote."""
        return cls(int(document["phase"]), int(document["width"]),
                   float(document["max_length"]), float(document["cell_density"]),
                   int(document["min_cell"]), float(document.get("dead_ends", 0.0)))


def find_networks(labels: np.ndarray) -> list[NetworkSpec]:
    """The network phases of a 2D label image, with what a repair must restore.

    A phase is a network when it is thin (volume fraction at most
    :data:`NETWORK_FRACTION`, mean chord at most :data:`NETWORK_THINNESS` of the
    other phases'), holds at least :data:`NETWORK_CLUSTER` of its pixels in one
    cluster that spans the image along both axes, and encloses cells.

    Examples
    --------
    >>> from mcrkit.synthetic import bicontinuous, voronoi_grains
    >>> [spec.phase for spec in find_networks(voronoi_grains((96, 96), n_grains=20, rng=0))]
    [1]
    >>> find_networks(bicontinuous((96, 96), rng=0))
    []
    """
    from mcrkit.morphology.chords import chord_lengths
    from mcrkit.morphology.connectivity import (
        cluster_labels,
        largest_cluster_fraction,
        percolation,
    )

    labels = np.asarray(labels)
    if labels.ndim != 2:
        return []
    phases = np.unique(labels)
    chords = {}
    for k in phases:
        lengths = np.concatenate([chord_lengths(labels == k, axis, periodic=False)
                                  for axis in (0, 1)])
        chords[int(k)] = float(lengths.mean()) if lengths.size else np.nan
    specs = []
    for k in phases:
        mask = labels == k
        others = [chords[int(j)] for j in phases if j != k and np.isfinite(chords[int(j)])]
        if (not others or mask.mean() > NETWORK_FRACTION
                or not chords[int(k)] <= NETWORK_THINNESS * np.mean(others)
                or largest_cluster_fraction(mask, periodic=False) < NETWORK_CLUSTER
                or not all(percolation(mask).percolates)):
            continue
        cells, n = cluster_labels(~mask, periodic=False)
        if n < 2:
            continue
        sizes = np.bincount(cells.ravel())[1:]
        length = max(int(np.count_nonzero(periodic_skeleton(mask))), 1)
        width = max(1, round(np.count_nonzero(mask) / length))
        specs.append(NetworkSpec(
            phase=int(k), width=width, max_length=round(1.5 * float(np.mean(others)), 1),
            cell_density=n / mask.size, min_cell=int(np.percentile(sizes, 5)),
            dead_ends=dead_end_density(mask, spur=width)))
    return specs
