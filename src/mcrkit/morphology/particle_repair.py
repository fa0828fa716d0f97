"""Repairing fused 2D particles: cutting necks, removing specks, closing coats.

A phase of separate particles (discs, grains of a powder) carries its meaning
in its clusters: many, none much larger than a few particles. Statistics of a
few pixels' reach do not keep particles apart, and a reconstruction matching
them joins neighbours through thin necks and leaves specks.
:func:`repair_particles` gives the specks (smaller than a quarter of the
original's smallest particle) to the phase around them, cuts clusters at
their narrowest necks (a watershed of the distance map: the necks between the
pieces it finds are kept widest first) until none is larger than the
original's largest particle and there are as many as in the original, closes
the coat of a coated phase (pixels of other phases that touch the particles
join the coat) and returns every phase to its area where that changes no
topology (:func:`~mcrkit.morphology.network_repair.restore_area`).

It works on periodic 2D label images, the form of a reconstruction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.ndimage as ndi
from scipy.cluster.hierarchy import DisjointSet

from mcrkit.morphology._common import neighbours_of
from mcrkit.morphology.connectivity import cluster_labels
from mcrkit.morphology.network_repair import restore_area
from mcrkit.morphology.particles import ParticleSpec

__all__ = ["close_coats", "cut_necks", "remove_specks", "repair_particles"]

_EIGHT = np.ones((3, 3), dtype=bool)


def repair_particles(labels: np.ndarray, specs: Sequence[ParticleSpec]) -> np.ndarray:
    """Repair every particle phase of ``specs`` and restore every phase's area.

    Parameters
    ----------
    labels : ndarray of int
        Periodic 2D label image (a reconstruction).
    specs : sequence of ParticleSpec
        From :func:`~mcrkit.morphology.particles.find_particles` of the original.

    Returns
    -------
    ndarray of int
        The repaired image (a copy).

    Examples
    --------
    >>> from mcrkit.morphology import cluster_sizes
    >>> image = np.zeros((32, 32), dtype=int)
    >>> yy, xx = np.mgrid[:32, :32]
    >>> image[(yy - 16) ** 2 + (xx - 10) ** 2 <= 25] = 1   # two discs joined by a neck
    >>> image[(yy - 16) ** 2 + (xx - 21) ** 2 <= 25] = 1
    >>> image[3, 3] = 1                                    # and a speck
    >>> spec = ParticleSpec(1, largest=90, speck=5, radius=3, cluster_density=2 / 1024)
    >>> repaired = repair_particles(image, [spec])
    >>> cluster_sizes(repaired == 1).tolist(), int((repaired == 1).sum() - (image == 1).sum())
    ([83, 80], 0)
    """
    labels = np.array(labels, copy=True)
    if labels.ndim != 2:
        raise ValueError(f"repair_particles works on 2D images; got {labels.ndim} dimensions")
    phases = [int(labels.max())] + [p for spec in specs for p in (spec.phase, spec.coat)
                                    if p is not None]
    counts = np.bincount(labels.ravel(), minlength=max(phases) + 1)  # a phase may be missing
    for spec in specs:
        remove_specks(labels, spec.phase, spec.speck)
        into = spec.coat if spec.coat is not None else _around(labels, labels == spec.phase,
                                                                     spec.phase)
        cut_necks(labels, spec.phase, largest=spec.largest, radius=spec.radius, into=into,
                  clusters=round(spec.cluster_density * labels.size))
        if spec.coat is not None:
            close_coats(labels, spec.phase, spec.coat)
    for spec in specs:  # the particles first, then their coats give back what they took
        for phase in (spec.phase, spec.coat):
            if phase is not None:
                change = int(np.count_nonzero(labels == phase)) - int(counts[phase])
                labels = restore_area(labels, phase, change)
    return labels


def _around(labels: np.ndarray, region: np.ndarray, phase: int) -> int:
    """The phase other than ``phase`` that holds most of the pixels touching ``region``."""
    votes = np.bincount(labels[neighbours_of(region)], minlength=int(labels.max()) + 1)
    votes[phase] = -1
    return int(np.argmax(votes))


def remove_specks(labels: np.ndarray, phase: int, smallest: int) -> int:
    """Give the clusters of ``phase`` smaller than ``smallest`` pixels, in place, to the phase
    that surrounds each most; returns the pixels changed.

    Examples
    --------
    >>> image = np.zeros((8, 8), dtype=int)
    >>> image[1:5, 1:5] = 1
    >>> image[6, 6] = 1
    >>> remove_specks(image, 1, 4), int(image.sum())
    (1, 16)
    """
    pieces, n = cluster_labels(labels == phase, periodic=True)
    sizes = np.bincount(pieces.ravel(), minlength=n + 1)
    changed = 0
    for piece in np.flatnonzero(sizes < smallest):
        if piece == 0:
            continue
        speck = pieces == piece
        labels[speck] = _around(labels, speck, phase)
        changed += int(sizes[piece])
    return changed


def close_coats(labels: np.ndarray, phase: int, coat: int) -> int:
    """Give the pixels of other phases than ``coat`` that touch ``phase`` (8 neighbours) to
    ``coat``, in place, so that the coat separates the particles from every other phase;
    returns the pixels changed.

    Examples
    --------
    >>> image = np.zeros((7, 7), dtype=int)
    >>> image[1:6, 1:6] = 2
    >>> image[2:5, 2:5] = 1
    >>> image[3, 5] = 0          # a gap in the coat
    >>> close_coats(image, 1, 2), int(image[3, 5])
    (1, 2)
    """
    touching = neighbours_of(labels == phase) & (labels != coat)
    labels[touching] = coat
    return int(np.count_nonzero(touching))


def cut_necks(labels: np.ndarray, phase: int, *, largest: int, radius: float, into: int,
              clusters: int | None = None) -> int:
    """Cut clusters of ``phase`` at their narrowest necks, in place, giving the cut to phase
    ``into``, until none is larger than ``largest`` pixels and there are ``clusters`` of
    them (if given); returns the pixels cut.

    Every cluster is divided by a watershed of its distance map from the maxima
    at least ``radius`` apart. The necks between neighbouring pieces are kept,
    widest first, while the pieces they join stay within ``largest`` and the
    clusters are more than ``clusters``; the others are cut (the pixels of one
    piece that touch the other, on the narrower side). A cluster that wraps
    around the image is left whole.

    Examples
    --------
    >>> from mcrkit.morphology import cluster_sizes
    >>> image = np.zeros((20, 40), dtype=int)
    >>> image[5:15, 5:15] = 1
    >>> image[5:15, 20:30] = 1
    >>> image[9:11, 15:20] = 1    # two squares joined by a neck two pixels wide
    >>> cut_necks(image, 1, largest=150, radius=3, into=0)
    2
    >>> cluster_sizes(image == 1).tolist()
    [106, 102]
    """
    pieces, n = cluster_labels(labels == phase, periodic=True)
    split = [_split(pieces == piece, radius) for piece in range(1, n + 1)]
    contacts = [None if parts is None else _contacts(parts[1]) for parts in split]
    nodes = [(k, region) for k, parts in enumerate(split) if parts is not None
             for region in range(1, parts[1].max() + 1)]
    groups = DisjointSet(nodes)
    size = {node: int(np.count_nonzero(split[node[0]][1] == node[1])) for node in nodes}
    necks = sorted(((width, k, a, b) for k, touching in enumerate(contacts)
                    if touching is not None for (a, b), width in touching.items()),
                   reverse=True)
    count = n - sum(parts is not None for parts in split) + len(nodes)
    wanted = 0 if clusters is None else clusters
    for _, k, a, b in necks:  # join the widest first
        first, second = groups[k, a], groups[k, b]
        if first != second and size[first] + size[second] <= largest and count > wanted:
            groups.merge(first, second)
            size[groups[first]] = size[first] + size[second]
            count -= 1
    cut = 0
    for k, parts in enumerate(split):
        if parts is None:
            continue
        place, regions = parts
        removed = np.zeros(regions.shape, dtype=bool)
        for a, b in contacts[k]:
            if not groups.connected((k, a), (k, b)):
                side_a = (regions == a) & ndi.binary_dilation(regions == b, _EIGHT)
                side_b = (regions == b) & ndi.binary_dilation(regions == a, _EIGHT)
                removed |= side_a if side_a.sum() <= side_b.sum() else side_b
        if removed.any():
            full = place(removed)
            labels[full] = into
            cut += int(np.count_nonzero(full))
    return cut


def _split(cluster: np.ndarray, radius: float) -> tuple[Any, np.ndarray] | None:
    """The watershed pieces of one cluster of a periodic image, in a box around it, with the
    function that puts a mask of that box back into the image; None for a cluster that
    wraps around or holds one piece."""
    from skimage.feature import peak_local_max
    from skimage.segmentation import watershed

    free_rows = np.flatnonzero(~cluster.any(axis=1))
    free_cols = np.flatnonzero(~cluster.any(axis=0))
    if not free_rows.size or not free_cols.size:
        return None
    shift = (-int(free_rows[0]), -int(free_cols[0]))
    local = np.roll(cluster, shift, axis=(0, 1))  # no longer crosses the edges
    rows, cols = np.flatnonzero(local.any(axis=1)), np.flatnonzero(local.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    sub = np.pad(local[box], 1)
    distance = ndi.distance_transform_edt(sub)
    peaks = peak_local_max(distance, min_distance=max(1, round(radius)),
                           labels=sub.astype(int), exclude_border=False)
    if len(peaks) < 2:
        return None
    markers = np.zeros(sub.shape, dtype=np.int64)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    regions = watershed(-distance, markers, mask=sub)

    def place(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(cluster.shape, dtype=bool)
        out[box] = mask[1:-1, 1:-1]
        return np.roll(out, (-shift[0], -shift[1]), axis=(0, 1))

    return place, regions


def _contacts(regions: np.ndarray) -> dict[tuple[int, int], int]:
    """Pairs of touching regions (8 neighbours) -> pixel pairs in contact (the neck's
    width)."""
    contacts: dict[tuple[int, int], int] = {}
    padded = np.pad(regions, 1)
    rows, cols = regions.shape
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        there = padded[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols]
        touch = (regions > 0) & (there > 0) & (regions != there)
        for a, b in zip(regions[touch].tolist(), there[touch].tolist(), strict=True):
            key = (min(a, b), max(a, b))
            contacts[key] = contacts.get(key, 0) + 1
    return contacts
