"""Morphology and topology of discrete microstructures, at the structure's own scale.

Exact statistics of integer label arrays (2D ``(X, Y)`` or 3D ``(X, Y, Z)``,
phases ``0..P-1``), computed per phase from its indicator (``labels == p``),
except :func:`morphology` and :func:`correlation_window`, which take the labels.
The data come first, options are keyword-only: ``periodic=True`` by default as
everywhere in mcrkit, ``voxel_size=1`` (one value or one per axis) scales
lengths to physical units. The phase has full connectivity (8 neighbours in
2D, 26 in 3D) and its complement face connectivity (4 / 6) unless
``connectivity=1`` is given; percolation is that of the bounded box.

Everything at once (:mod:`~mcrkit.morphology.summary`)
    :func:`morphology`: a JSON-serializable table of every statistic per phase
    (and per slicing axis for a volume)
Minkowski functionals (:mod:`~mcrkit.morphology.minkowski`)
    :func:`euler_characteristic`, :func:`euler_density`, :func:`surface_density`
Connectivity (:mod:`~mcrkit.morphology.connectivity`)
    :func:`cluster_labels`, :func:`cluster_sizes`, :func:`largest_cluster_fraction`,
    :func:`percolation` (returns :class:`Percolation`)
Cluster function (:mod:`~mcrkit.morphology.cluster_function`)
    :func:`two_point_cluster_function` (C2 along each axis)
Chord-length distributions (:mod:`~mcrkit.morphology.chords`)
    :func:`chord_length_sample`, :func:`chord_statistics` (returns :class:`ChordStatistics`),
    :func:`chord_distance` (Wasserstein-1 distance between two samples)
Characteristic lengths (:mod:`~mcrkit.morphology.lengths`)
    :func:`scaled_autocovariance`, :func:`correlation_lengths`, :func:`repeat_lengths`,
    :func:`correlation_window` (the correlation lag to compare, from the structure)
Feature sizes (:mod:`~mcrkit.morphology.feature_size`)
    :func:`opening_radius_map`, :func:`feature_size_distribution` (returns
    :class:`FeatureSizes`): opening granulometry with Euclidean balls
Cleanup (:mod:`~mcrkit.morphology.cleanup`)
    :func:`remove_small_features` (returns :class:`Cleanup`): the clusters of each phase
    smaller than its smallest feature removed (and, on request, small cavities filled)
Transport (:mod:`~mcrkit.morphology.transport`)
    :func:`tortuosity` (returns :class:`Transport`): tortuosity factor and effective
    diffusivity of one phase along one axis (the optional extra ``mcrkit[transport]``);
    :func:`tortuosities`: several solves, side by side in worker processes when large
"""

from mcrkit.morphology.chords import (
    ChordStatistics,
    chord_distance,
    chord_length_sample,
    chord_statistics,
)
from mcrkit.morphology.cleanup import Cleanup, remove_small_features
from mcrkit.morphology.cluster_function import two_point_cluster_function
from mcrkit.morphology.connectivity import (
    Percolation,
    cluster_labels,
    cluster_sizes,
    largest_cluster_fraction,
    percolation,
)
from mcrkit.morphology.feature_size import (
    FeatureSizes,
    feature_size_distribution,
    opening_radius_map,
)
from mcrkit.morphology.lengths import (
    correlation_lengths,
    correlation_window,
    repeat_lengths,
    scaled_autocovariance,
)
from mcrkit.morphology.minkowski import euler_characteristic, euler_density, surface_density
from mcrkit.morphology.summary import morphology
from mcrkit.morphology.transport import Transport, tortuosities, tortuosity

__all__ = [
    "ChordStatistics",
    "Cleanup",
    "FeatureSizes",
    "Percolation",
    "Transport",
    "chord_distance",
    "chord_length_sample",
    "chord_statistics",
    "cluster_labels",
    "cluster_sizes",
    "correlation_lengths",
    "correlation_window",
    "euler_characteristic",
    "euler_density",
    "feature_size_distribution",
    "largest_cluster_fraction",
    "morphology",
    "opening_radius_map",
    "percolation",
    "remove_small_features",
    "repeat_lengths",
    "scaled_autocovariance",
    "surface_density",
    "tortuosities",
    "tortuosity",
    "two_point_cluster_function",
]
