"""Connectivity of one phase: clusters, the largest cluster's share, percolation.

Clusters are labelled by connected-components-3d with the neighbourhood
given in scikit-image's convention (``connectivity`` 1: face neighbours, 4 in
2D and 6 in 3D; ``ndim``: all neighbours, 8 in 2D and 26 in 3D, the default
and the convention of :func:`~mcrkit.morphology.euler_characteristic`; 2 in
3D: 18). With periodic boundaries clusters continue across the box's faces:
connected-components-3d labels periodically with 4, 8 and 6 neighbours; for
18 and 26 its bounded labelling is merged across every face (a union of the
labels of neighbouring voxels on opposite faces).

Percolation is a property of the bounded box: a phase percolates along an
axis when one cluster of the *non-periodic* labelling touches both faces
normal to that axis (with periodic labelling every cluster that wraps around
would touch both faces trivially).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import cc3d
import numpy as np

from mcrkit.morphology._common import check_connectivity, check_mask

__all__ = ["Percolation", "cluster_labels", "cluster_sizes", "largest_cluster_fraction",
           "percolation"]

_CC3D = {2: {1: 4, 2: 8}, 3: {1: 6, 2: 18, 3: 26}}


def cluster_labels(image: np.ndarray, *, connectivity: int | None = None,
                   periodic: bool = True) -> tuple[np.ndarray, int]:
    """Connected clusters of one phase.

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase.
    connectivity : int, optional
        1 (face neighbours) to ``ndim`` (all neighbours, the default).
    periodic : bool, optional
        Join clusters across the box's faces (default).

    Returns
    -------
    labels : ndarray of int
        0 outside the phase, clusters numbered ``1..n``.
    n : int
        Number of clusters.

    Examples
    --------
    >>> image = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 0]], dtype=bool)
    >>> cluster_labels(image, connectivity=1)[1]
    1
    >>> cluster_labels(image, connectivity=1, periodic=False)[1]
    3
    """
    mask = check_mask(image, "cluster_labels")
    conn = check_connectivity(connectivity, mask.ndim, "cluster_labels")
    neighbours = _CC3D[mask.ndim][conn]
    native = periodic and neighbours in (4, 8, 6)
    labels, n = cc3d.connected_components(np.ascontiguousarray(mask), connectivity=neighbours,
                                          return_N=True, periodic_boundary=native)
    labels = labels.astype(np.int32 if n < 2**31 - 1 else np.int64)
    if periodic and not native and n > 1:
        labels, n = _merge_across_faces(labels, n, conn)
    return labels, int(n)


def _merge_across_faces(labels: np.ndarray, n: int, connectivity: int) -> tuple[np.ndarray, int]:
    """Join the clusters of a bounded labelling that touch across the periodic faces."""
    import scipy.sparse.csgraph  # slow to import; 2D and 6-neighbour labels never need it
    ndim = labels.ndim
    pairs = []
    for axis in range(ndim):
        last = np.take(labels, -1, axis=axis)
        first = np.take(labels, 0, axis=axis)
        # neighbours of a voxel on the last layer that lie on the first layer: offset +1 along
        # ``axis`` and any offset in the others that keeps within the neighbourhood
        for shift in itertools.product((-1, 0, 1), repeat=ndim - 1):
            if 1 + sum(map(abs, shift)) > connectivity:
                continue
            moved = np.roll(first, [-s for s in shift], axis=tuple(range(ndim - 1)))
            both = (last > 0) & (moved > 0)
            pairs.append(np.stack([last[both], moved[both]]))
    edges = np.concatenate(pairs, axis=1)  # repeated pairs only add up in the sparse graph
    graph = scipy.sparse.coo_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])),
                                    shape=(n + 1, n + 1))
    _, component = scipy.sparse.csgraph.connected_components(graph, directed=False)
    # renumber so that the background stays 0 and clusters are 1..m in order of first label
    _, first_seen, inverse = np.unique(component[1:], return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first_seen))
    lookup = np.concatenate([[0], order[inverse] + 1])
    return lookup.astype(labels.dtype)[labels], len(first_seen)


def cluster_sizes(image: np.ndarray, *, connectivity: int | None = None,
                  periodic: bool = True) -> np.ndarray:
    """Number of voxels of every cluster of one phase, largest first.

    Examples
    --------
    >>> cluster_sizes(np.array([[1, 1, 0, 1]], dtype=bool), periodic=False).tolist()
    [2, 1]
    """
    labels, n = cluster_labels(image, connectivity=connectivity, periodic=periodic)
    return np.sort(np.bincount(labels.ravel(), minlength=n + 1)[1:])[::-1]


def largest_cluster_fraction(image: np.ndarray, *, connectivity: int | None = None,
                             periodic: bool = True) -> float:
    """Fraction of the phase's voxels in its largest cluster (NaN for an empty phase).

    Examples
    --------
    >>> largest_cluster_fraction(np.array([[1, 1, 0, 1, 0]], dtype=bool))
    0.6666666666666666
    >>> largest_cluster_fraction(np.array([[1, 1, 0, 1]], dtype=bool))  # joined across the edge
    1.0
    """
    sizes = cluster_sizes(image, connectivity=connectivity, periodic=periodic)
    return float(sizes[0] / sizes.sum()) if sizes.size else float("nan")


class Percolation(NamedTuple):
    """Percolation of one phase along each axis (``._asdict()`` for a plain dict).

    Attributes
    ----------
    percolates : tuple of bool
        Per axis: whether a cluster touches both faces normal to it.
    spanning_fraction : tuple of float
        Per axis: fraction of the phase's voxels in clusters that touch both
        faces (0 when it does not percolate; NaN for an empty phase).
    """

    percolates: tuple[bool, ...]
    spanning_fraction: tuple[float, ...]


def percolation(image: np.ndarray, *, connectivity: int | None = None) -> Percolation:
    """Whether one phase percolates along each axis of the bounded box.

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase.
    connectivity : int, optional
        1 (face neighbours) to ``ndim`` (all neighbours, the default).

    Returns
    -------
    Percolation

    Examples
    --------
    >>> channel = np.zeros((4, 4), dtype=bool); channel[:, 1] = True
    >>> percolation(channel)
    Percolation(percolates=(True, False), spanning_fraction=(1.0, 0.0))
    """
    labels, n = cluster_labels(image, connectivity=connectivity, periodic=False)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    total = sizes[1:].sum()
    percolates, spanning = [], []
    for axis in range(labels.ndim):
        ends = np.intersect1d(np.take(labels, 0, axis=axis), np.take(labels, -1, axis=axis))
        ends = ends[ends > 0]
        percolates.append(bool(ends.size))
        spanning.append(float(sizes[ends].sum() / total) if total else float("nan"))
    return Percolation(tuple(percolates), tuple(spanning))
