r"""Removal of features too small for a structure: isolated specks and enclosed cavities.

A reconstruction matched to short-range statistics often carries small
isolated clusters of a phase (specks) and small pockets of other phases
enclosed in it (cavities). Each adds one to the phase's Euler characteristic
(:math:`\chi` = clusters - tunnels + cavities in 3D, clusters - holes in 2D)
without changing its correlations much. :func:`remove_small_features`
removes the clusters of every phase that hold fewer voxels than that phase's
smallest admissible feature (with two phases this also fills the other
phase's small cavities) and, on request, fills the cavities of fewer voxels
than the enclosed phases' smallest feature with the phase around them.

Connectivity follows :func:`~mcrkit.morphology.euler_characteristic`: a
phase's clusters are full-connected (26 neighbours in 3D, 8 in 2D), its
cavities are the face-connected (6 / 4) clusters of the other phases that
do not reach the rest of them. A removed speck takes the phase most of its
face neighbours have; a filled cavity takes the phase that encloses it.
The volume fractions change by the voxels moved (reported; at most
:data:`MAX_SHARE` of a phase).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from mcrkit.morphology.connectivity import cluster_labels

__all__ = ["MAX_SHARE", "PASSES", "Cleanup", "remove_small_features"]

PASSES = 3
"""At most this many rounds over the phases (a round stops early when nothing changes)."""

MAX_SHARE = 0.05
"""At most this share of a phase's voxels is removed from it (or added to it), smallest
pieces first: a result made mostly of small pieces is left to the verdict, not erased."""


class Cleanup(NamedTuple):
    """Result of :func:`remove_small_features`.

    Attributes
    ----------
    labels : ndarray of int
        The cleaned labels (same shape and dtype as the input).
    specks : tuple of int
        Per phase: clusters removed.
    cavities : tuple of int
        Per phase: cavities filled.
    changed : int
        Voxels whose phase changed.
    """

    labels: np.ndarray
    specks: tuple[int, ...]
    cavities: tuple[int, ...]
    changed: int


def _small(clusters: np.ndarray, n: int, min_size: float, budget: float) -> np.ndarray:
    """Numbers (1..n) of the clusters with fewer than ``min_size`` voxels, smallest first
    while their voxels add up to at most ``budget``; never all ``n``."""
    sizes = np.bincount(clusters.ravel(), minlength=n + 1)[1:]
    order = np.argsort(sizes, kind="stable")
    order = order[sizes[order] < min_size]
    order = order[np.cumsum(sizes[order]) <= budget][:max(n - 1, 0)]
    return order + 1


def _absorb(labels: np.ndarray, clusters: np.ndarray, small: np.ndarray, phase: int,
            n_phases: int, periodic: bool) -> None:
    """Give every voxel of the ``small`` clusters of ``phase`` the phase most face
    neighbours of its cluster have (in place)."""
    if not small.size:
        return
    lookup = np.zeros(int(clusters.max()) + 1, dtype=np.int64)
    lookup[small] = np.arange(1, small.size + 1)
    index = lookup[clusters]  # 0 outside the small clusters, else 1..k
    inside = index > 0
    votes = np.zeros((small.size + 1, n_phases), dtype=np.int64)
    for axis in range(labels.ndim):
        for step in (1, -1):
            neighbour = np.roll(labels, step, axis=axis)
            if not periodic:  # across the border: the voxel itself, which casts no vote
                edge = [slice(None)] * labels.ndim
                edge[axis] = 0 if step == 1 else -1
                neighbour[tuple(edge)] = labels[tuple(edge)]
            np.add.at(votes, (index[inside], neighbour[inside]), 1)
    votes[:, phase] = -1
    winner = np.where(votes.max(axis=1) > 0, votes.argmax(axis=1), phase)
    labels[inside] = winner[index[inside]]


def remove_small_features(labels: np.ndarray, min_size: float | Sequence[float], *,
                          fill_cavities: bool = False, periodic: bool = True) -> Cleanup:
    """Remove the specks and fill the cavities of each phase smaller than ``min_size``.

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) ndarray of int
        Phases ``0..P-1``.
    min_size : float or sequence of float
        Smallest feature (voxels) of each phase, or one value for all: a
        cluster of the phase with fewer voxels is removed.
    fill_cavities : bool, optional
        Also fill a cavity of each phase (a face-connected pocket of the other
        phases) with fewer voxels than the smallest feature of every other
        phase. With two phases a cavity of one is a speck of the other; with
        more it can hold several phases. Off by default: a phase that coats
        another (a binder around particles) has real small cavities.
    periodic : bool, optional
        Clusters continue across the box's faces (default).

    Returns
    -------
    Cleanup

    Examples
    --------
    >>> labels = np.zeros((8, 8, 8), dtype=np.uint8)
    >>> labels[1:6, 1:6, 1:6] = 1           # a cube of phase 1 ...
    >>> labels[3, 3, 3] = 0                 # ... with a one-voxel cavity (a speck of 0)
    >>> labels[7, 7, 7] = 1                 # and a one-voxel speck of phase 1
    >>> cleaned = remove_small_features(labels, 2)
    >>> cleaned.specks, cleaned.cavities, cleaned.changed
    ((1, 1), (0, 0), 2)
    >>> int(cleaned.labels[3, 3, 3]), int(cleaned.labels[7, 7, 7])
    (1, 0)
    """
    labels = np.asarray(labels)
    if labels.ndim not in (2, 3) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"remove_small_features: expected a 2D or 3D integer label array, got "
                         f"dtype {labels.dtype} and shape {labels.shape}")
    present = int(labels.max()) + 1 if labels.size else 0
    sizes = np.full(present, float(min_size)) if np.ndim(min_size) == 0 else \
        np.asarray(min_size, dtype=float)
    n_phases = sizes.size
    if sizes.ndim != 1 or n_phases < present or not np.all(np.isfinite(sizes)) \
            or np.any(sizes < 0):
        raise ValueError(f"remove_small_features: min_size must be one non-negative number or "
                         f"one per phase (at least {present}), got {min_size!r}")
    out = labels.copy()
    # each pass removes specks (and fills cavities): a share of each step
    steps = PASSES * (2 if fill_cavities else 1)
    budget = MAX_SHARE * np.bincount(labels.ravel(), minlength=n_phases) / steps
    specks, cavities = [0] * n_phases, [0] * n_phases
    for _ in range(PASSES):  # a removal can leave a new small piece next to it
        before = out.copy()
        for phase in range(n_phases):
            if sizes[phase] > 1:
                clusters, n = cluster_labels(out == phase, periodic=periodic)
                small = _small(clusters, n, sizes[phase], budget[phase])
                _absorb(out, clusters, small, phase, n_phases, periodic)
                specks[phase] += int(small.size)
        for phase in range(n_phases) if fill_cavities else ():
            enclosed = np.delete(sizes, phase).min(initial=np.inf)
            if 1 < enclosed < np.inf:
                pockets, n = cluster_labels(out != phase, connectivity=1, periodic=periodic)
                # the pockets' voxels leave the other phases: within their budgets too
                small = _small(pockets, n, enclosed,
                               min(budget[phase], np.delete(budget, phase).min()))
                out[np.isin(pockets, small)] = phase
                cavities[phase] += int(small.size)
        if np.array_equal(out, before):
            break
    return Cleanup(out, tuple(specks), tuple(cavities), int(np.count_nonzero(out != labels)))
