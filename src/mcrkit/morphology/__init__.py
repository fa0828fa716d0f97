"""Morphology and topology of discrete microstructures, at the structure's own scale.

Exact statistics of integer label arrays (2D ``(X, Y)`` or 3D ``(X, Y, Z)``,
phases ``0..P-1``), computed per phase from its indicator (``labels == p``).
Every function takes the data first and keyword-only options; ``periodic=True``
by default as everywhere in mcrkit, ``voxel_size=1`` (one value or one per
axis) scales lengths to physical units.

Minkowski functionals (:mod:`~mcrkit.morphology.minkowski`)
    :func:`euler_characteristic`, :func:`euler_density`, :func:`surface_density`
Chord-length distributions (:mod:`~mcrkit.morphology.chords`)
    :func:`chord_length_sample`, :func:`chord_statistics` (returns :class:`ChordStatistics`),
    :func:`chord_distance` (Wasserstein-1 between two samples)
Connectivity (:mod:`~mcrkit.morphology.connectivity`)
    :func:`cluster_labels`, :func:`cluster_sizes`, :func:`largest_cluster_fraction`,
    :func:`percolation` (returns :class:`Percolation`)
"""

from mcrkit.morphology.chords import (
    ChordStatistics,
    chord_distance,
    chord_length_sample,
    chord_statistics,
)
from mcrkit.morphology.connectivity import (
    Percolation,
    cluster_labels,
    cluster_sizes,
    largest_cluster_fraction,
    percolation,
)
from mcrkit.morphology.minkowski import euler_characteristic, euler_density, surface_density

__all__ = [
    "ChordStatistics",
    "chord_distance",
    "chord_length_sample",
    "chord_statistics",
    "Percolation",
    "cluster_labels",
    "cluster_sizes",
    "euler_characteristic",
    "euler_density",
    "largest_cluster_fraction",
    "percolation",
    "surface_density",
]
