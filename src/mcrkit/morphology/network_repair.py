"""Repairing a broken 2D network phase: closing its loose ends, keeping its area.

A thin connected phase (grain boundaries, a cell-wall network) carries its
meaning in its topology: one cluster whose holes are the grains. Statistics of
a few pixels' reach do not hold such a network together, and a reconstruction
matching them leaves loose ends and fragments. :func:`close_network` extends
each loose end of the phase's skeleton along its own direction until it meets
the phase again, with a bridge as thick as the phase's walls, and joins the
fragments that have no loose end (small closed pieces) to the nearest other
piece; :func:`restore_area` then returns the phase to its former area by
taking voxels from its thickest places, only where that changes no topology
(:mod:`mcrkit.morphology.simple_points`), so that the network stays closed.

Both work on periodic 2D label images, the form of a reconstruction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np
import scipy.ndimage as ndi
from scipy.cluster.hierarchy import DisjointSet

from mcrkit.morphology.connectivity import cluster_labels
from mcrkit.morphology.networks import NetworkSpec
from mcrkit.morphology.simple_points import change_keeps_topology, label_grid
from mcrkit.morphology.skeleton import crossings, periodic_skeleton

__all__ = ["close_network", "loose_ends", "prune_networks", "repair_networks", "restore_area"]

_TRACE = 8
"""Skeleton pixels followed back from a loose end to find its direction."""

def repair_networks(labels: np.ndarray, specs: Sequence[NetworkSpec]) -> np.ndarray:
    """Close every network phase of ``specs`` (:func:`close_network`) and give back (or
    take) the pixels that changed (:func:`restore_area`), keeping each phase's volume
    fraction.

    Parameters
    ----------
    labels : ndarray of int
        Periodic 2D label image (a reconstruction).
    specs : sequence of NetworkSpec
        From :func:`~mcrkit.morphology.networks.find_networks` of the original.

    Returns
    -------
    ndarray of int
        The repaired image (a copy).

    Examples
    --------
    >>> from mcrkit.morphology import cluster_labels
    >>> image = np.ones((24, 24), dtype=int)
    >>> image[5:7, :] = 0
    >>> image[:, 5:7] = 0
    >>> image[:, 17:19] = 0
    >>> image[10:14, 17:19] = 1
    >>> spec = NetworkSpec(0, 2, 10.0, cell_density=6 / 576, min_cell=4)
    >>> repaired = repair_networks(image, [spec])
    >>> cluster_labels(repaired == 1, periodic=False)[1]
    6
    >>> int((repaired == 0).sum() - (image == 0).sum())
    0
    """
    labels = np.array(labels, copy=True)
    for spec in specs:
        cells = max(1, round(spec.cell_density * labels.size))
        labels, added = close_network(labels, spec.phase, width=max(2, spec.width),
                                      max_length=spec.max_length, cells=cells,
                                      min_cell=spec.min_cell)
        labels = restore_area(labels, spec.phase, added)
    return labels


def prune_networks(labels: np.ndarray, specs: Sequence[NetworkSpec]) -> np.ndarray:
    """Erode the dead-end branches longer than the walls are thick of every network phase of
    ``specs`` back to their junctions, the shortest first, until no more are left than the
    original has (``spec.dead_ends``, scaled to the image) plus its counting noise (the
    square root of twice that, at least of two), keeping every topology, and give each
    phase its area back (:func:`restore_area`): the last step of a network's repair,
    after the polish, which leaves a few of the loose ends it smoothed. Ends within the
    noise are left alone: the area given back changes the walls elsewhere.

    Examples
    --------
    >>> from mcrkit.morphology.skeleton import dead_ends
    >>> image = np.ones((24, 24), dtype=int)
    >>> image[5:7, :] = 0
    >>> image[:, 5:7] = 0
    >>> image[12:14, 6:16] = 0          # two walls ending in the cell
    >>> image[18:20, 6:13] = 0
    >>> spec = NetworkSpec(0, 2, 20.0, cell_density=1 / 576, min_cell=4, dead_ends=0.0)
    >>> pruned = prune_networks(image, [spec])  # the original has none: one is kept (noise)
    >>> len(dead_ends(image == 0, spur=2)), len(dead_ends(pruned == 0, spur=2))
    (2, 1)
    >>> int((pruned == 0).sum() - (image == 0).sum())
    0
    """
    labels = np.array(labels, copy=True)
    for spec in specs:
        expected = spec.dead_ends * labels.size
        keep = round(expected + math.sqrt(2 * max(expected, 1)))
        removed = _prune_ends(labels, spec.phase, spec.width, spec.max_length,
                              spur=spec.width, keep=keep)
        labels = restore_area(labels, spec.phase, -removed)
    return labels


def loose_ends(mask: np.ndarray) -> np.ndarray:
    """Pixels where the periodic skeleton of a 2D mask ends (crossing number 1) or is a
    lone pixel, as an ``(n, 2)`` array of indices.

    Examples
    --------
    >>> bar = np.zeros((12, 12), dtype=bool)
    >>> bar[5:7, 2:10] = True
    >>> len(loose_ends(bar))
    2
    >>> ring = np.zeros((12, 12), dtype=bool)
    >>> ring[2:10, 2:10] = True
    >>> ring[4:8, 4:8] = False
    >>> len(loose_ends(ring))
    0
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"loose_ends works on 2D images; got {mask.ndim} dimensions")
    skeleton = periodic_skeleton(mask)
    return np.argwhere(skeleton & (crossings(skeleton) <= 1))


def _branch(skeleton: np.ndarray, neighbours: np.ndarray, end: np.ndarray,
            limit: int) -> tuple[list[np.ndarray], bool]:
    """The skeleton pixels (unwrapped) from the loose end ``end`` along its branch, up to
    ``limit`` of them, and whether the branch reached a junction (``neighbours``: the
    crossing numbers, three or more) within them."""
    shape = np.array(skeleton.shape)
    seen = {tuple(end)}
    path = [end]
    here = end
    for _ in range(limit):
        step = None
        for offset in ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
            nxt = tuple((here + offset) % shape)
            if skeleton[nxt] and nxt not in seen:
                step = np.array(offset)
                break
        if step is None:
            return path, False
        here = here + step
        seen.add(tuple(here % shape))
        path.append(here)
        if neighbours[tuple(here % shape)] >= 3:
            return path, True
    return path, False


def _direction(skeleton: np.ndarray, neighbours: np.ndarray,
               end: np.ndarray) -> np.ndarray | None:
    """Unit vector from the skeleton's interior towards the loose end ``end`` (None for a
    lone pixel or a branch too short to tell)."""
    path, _ = _branch(skeleton, neighbours, end, _TRACE)
    vector = end - path[-1]
    length = float(np.hypot(*vector))
    return vector / length if length >= 2 else None


def _march(mask: np.ndarray, start: np.ndarray, direction: np.ndarray,
           max_length: float) -> np.ndarray | None:
    """First pixel of ``mask`` met on the ray from ``start`` after the ray has left the
    mask, within ``max_length`` (unwrapped coordinates), or None."""
    shape = np.array(mask.shape)
    outside = False
    for t in np.arange(1.0, max_length, 0.5):
        point = np.rint(start + t * direction).astype(np.int64)
        inside = mask[tuple(point % shape)]
        if outside and inside:
            return point
        outside = outside or not inside
    return None


def _bridge(labels: np.ndarray, phase: int, start: np.ndarray, end: np.ndarray,
            width: int) -> int:
    """Paint a straight bar of ``width`` pixels from ``start`` to ``end`` (unwrapped) in
    ``phase``; returns the pixels that changed."""
    from skimage.draw import line

    rows, cols = line(int(start[0]), int(start[1]), int(end[0]), int(end[1]))
    shape = labels.shape
    changed = 0
    for dr in range(width):
        for dc in range(width):
            r = (rows + dr - width // 2) % shape[0]
            c = (cols + dc - width // 2) % shape[1]
            changed += int(np.count_nonzero(labels[r, c] != phase))
            labels[r, c] = phase
    return changed


def _piece_links(mask: np.ndarray, pieces: np.ndarray, n: int, max_length: float,
                 periodic: bool) -> list[tuple[float, int, int, np.ndarray, np.ndarray]]:
    """For each cluster, the shortest link to another cluster within ``max_length``:
    ``(length, piece, other, start, end)`` with unwrapped pixel coordinates (``periodic``:
    links may cross the image's edges)."""
    from scipy.spatial import cKDTree

    shape = np.array(mask.shape)
    points = np.argwhere(mask)
    owner = pieces[mask]
    links = []
    for piece in range(1, n + 1):
        mine = owner == piece
        if mine.all():
            break
        tree = cKDTree(points[~mine], boxsize=shape if periodic else None)
        distance, nearest = tree.query(points[mine], distance_upper_bound=max_length)
        best = int(np.argmin(distance))
        if not np.isfinite(distance[best]):
            continue
        start = points[mine][best]
        end = points[~mine][nearest[best]]
        end = start + (end - start + shape // 2) % shape - shape // 2
        links.append((float(distance[best]), piece, int(owner[~mine][nearest[best]]), start,
                      end))
    return sorted(links, key=lambda link: link[0])


def _join_pieces(labels: np.ndarray, phase: int, width: int, max_length: float,
                 periodic: bool) -> int:
    """Join the clusters of ``phase`` into one by the shortest bridges (rounds of each
    cluster's shortest link, a spanning forest); returns the pixels added. Without
    ``periodic`` the clusters are those of the image cut open at its edges, so that the
    network spans the image and not only the torus."""
    added = 0
    while True:
        mask = labels == phase
        pieces, n = cluster_labels(mask, periodic=periodic)
        if n <= 1:
            return added
        joined = DisjointSet(range(1, n + 1))
        before = added
        for _, piece, other, start, end in _piece_links(mask, pieces, n, max_length,
                                                        periodic):
            if joined.merge(piece, other):
                added += _bridge(labels, phase, start, end, width)
        if added == before:
            return added


def _close_loops(labels: np.ndarray, phase: int, width: int, max_length: float,
                 cells: int) -> int:
    """Extend loose ends of ``phase`` (the bridge across the largest cell first) until it
    encloses ``cells`` cells; returns the pixels added."""
    mask = labels == phase
    skeleton = periodic_skeleton(mask)
    neighbours = crossings(skeleton)
    bridges = []
    for end in np.argwhere(skeleton & (neighbours <= 1)):
        direction = _direction(skeleton, neighbours, end)
        target = None if direction is None else _march(mask, end, direction, max_length)
        if target is not None:
            bridges.append((float(np.hypot(*(target - end))), end, target))
    shape = np.array(labels.shape)
    added = 0
    while bridges:
        # the bridge across the largest cell first, the shorter of equals
        enclosed, n = cluster_labels(labels != phase, periodic=False)
        if n >= cells:
            break
        sizes = np.bincount(enclosed.ravel())
        middles = [tuple(((end + target) // 2) % shape) for _, end, target in bridges]
        best = max(range(len(bridges)),
                   key=lambda k: (sizes[enclosed[middles[k]]] if enclosed[middles[k]] else 0,
                                  -bridges[k][0]))
        _, end, target = bridges.pop(best)
        if labels[tuple(end % shape)] != phase or enclosed[middles[best]] == 0:
            continue
        added += _bridge(labels, phase, end, target, width)
    return added


def _prune_ends(labels: np.ndarray, phase: int, width: int, max_length: float, *,
                spur: int = 0, keep: int = 0) -> int:
    """Erode the dead-end branches of ``phase`` (from a loose end to a junction within
    ``max_length``), tip first, where that changes no topology; returns the pixels
    removed. With ``spur``, only branches longer than that count (the skeleton is pruned
    by ``spur`` pixels first, and the tips it cut are eroded with their branch), and the
    ``keep`` longest of them are kept."""
    mask = labels == phase
    raw = periodic_skeleton(mask)
    skeleton = raw.copy()
    for _ in range(spur):  # the spurs of rough walls are no branches
        skeleton &= crossings(skeleton) >= 2
    neighbours = crossings(skeleton)
    shape = np.array(labels.shape)
    reach = np.arange(-(width // 2 + 1), width // 2 + 2)
    around = np.arange(-spur, spur + 1)
    branches = []
    for end in np.argwhere(skeleton & (neighbours <= 1)):
        path, joined = _branch(skeleton, neighbours, end, int(max_length))
        if joined:
            rows, cols = (end[0] + around) % shape[0], (end[1] + around) % shape[1]
            tip = np.argwhere(raw[np.ix_(rows, cols)] & ~skeleton[np.ix_(rows, cols)])
            branches.append([*(end + tip - spur), *path[:max(1, len(path) - width)]])
    if keep:  # the shortest go first, the longest are kept
        branches = sorted(branches, key=len)[:max(0, len(branches) - keep)]
    order: list[np.ndarray] = []
    for branch in branches:
        for point in branch:  # not into the junction
            rows = (point[0] + reach) % shape[0]
            cols = (point[1] + reach) % shape[1]
            order.append(np.ravel_multi_index(np.ix_(rows, cols), labels.shape).ravel())
    if not order:
        return 0
    into, _ = _neighbour_phase(labels, phase)
    flat = np.concatenate(order)
    flat = flat[mask.ravel()[flat]]
    _, first = np.unique(flat, return_index=True)
    flat = flat[np.sort(first)]
    removed = 0
    while True:  # a pixel that was not yet simple may be after its outer neighbours went
        changed = _apply(labels, flat, into, flat.size)
        if changed == 0:
            return removed
        removed += changed


def _fill_cells(labels: np.ndarray, phase: int, min_area: int) -> int:
    """Give the cells (clusters of the other phases together) smaller than ``min_area`` to
    ``phase``; returns the pixels added."""
    cells, _ = cluster_labels(labels != phase, periodic=True)
    sizes = np.bincount(cells.ravel())
    small = (sizes < min_area)[cells] & (cells > 0)
    labels[small] = phase
    return int(np.count_nonzero(small))


def close_network(labels: np.ndarray, phase: int, *, width: int, max_length: float,
                  cells: int, min_cell: int = 0) -> tuple[np.ndarray, int]:
    """Join the fragments of a network phase of a 2D image and close its loose ends.

    Cells smaller than ``min_cell`` are filled, the fragments are joined by the
    shortest bridges into one cluster (also within the image cut open at its
    edges, so that the network spans it); then loose ends of the skeleton are
    extended along their direction until they meet the phase (the bridge across
    the largest cell first) until the network encloses ``cells`` cells (clusters
    of the other phases), and the dead ends left are eroded back to their
    junctions.

    Parameters
    ----------
    labels : ndarray of int
        Periodic 2D label image.
    phase : int
        The network phase.
    width : int
        Thickness of the bridges (pixels): the phase's wall thickness.
    max_length : float
        Longest bridge (pixels): about the size of the cells the network encloses.
    cells : int
        Cells to enclose (the original's number, scaled to this image's area).
    min_cell : int, optional
        Cells enclosed by the network that are smaller than this (pixels) are filled
        first (the original's smallest cells).

    Returns
    -------
    labels : ndarray of int
        The repaired image (a copy).
    added : int
        Pixels that joined the phase (net of the eroded dead ends).

    Examples
    --------
    >>> from mcrkit.morphology import cluster_labels
    >>> image = np.ones((24, 24), dtype=int)
    >>> image[5:7, :] = 0           # walls (phase 0) around six cells,
    >>> image[:, 5:7] = 0
    >>> image[:, 17:19] = 0
    >>> image[10:14, 17:19] = 1     # one wall with a gap
    >>> cluster_labels(image == 1, periodic=False)[1]
    5
    >>> repaired, added = close_network(image, 0, width=2, max_length=10, cells=6)
    >>> cluster_labels(repaired == 1, periodic=False)[1], added
    (6, 11)
    """
    labels = np.array(labels, copy=True)
    if labels.ndim != 2:
        raise ValueError(f"close_network works on 2D images; got {labels.ndim} dimensions")
    added = _fill_cells(labels, phase, min_cell)
    added += _join_pieces(labels, phase, width, max_length, periodic=True)
    added += _join_pieces(labels, phase, width, max_length, periodic=False)
    added += _close_loops(labels, phase, width, max_length, cells)
    added -= _prune_ends(labels, phase, width, max_length)
    return labels, added


@numba.njit(cache=True)
def _change(lab, dims, order, into, count):
    """Set up to ``count`` voxels, in ``order``, to their phase in ``into`` where that keeps
    every topology (voxels already of that phase are skipped); returns how many changed."""
    changed = 0
    # typed values, not constants: the compiled test of is_simple serves here too
    periodic, none = np.bool_(True), np.int64(-1)
    for p in order:
        if changed == count:
            break
        if lab[p] != into[p] and change_keeps_topology(lab, dims, p, into[p], periodic, none,
                                                       none):
            lab[p] = into[p]
            changed += 1
    return changed


def _apply(labels: np.ndarray, order: np.ndarray, into: np.ndarray, count: int) -> int:
    """:func:`_change` on a label image in place."""
    lab, dims = label_grid(labels)
    changed = _change(lab, dims, order.astype(np.int64), into.ravel().astype(np.int64),
                      int(count))
    labels[...] = lab.reshape(labels.shape)
    return int(changed)


def _neighbour_phase(labels: np.ndarray, phase: int) -> tuple[np.ndarray, np.ndarray]:
    """For every voxel, the most frequent phase other than ``phase`` among its face
    neighbours, and whether it has one."""
    n_phases = int(labels.max()) + 1
    votes = np.zeros((n_phases,) + labels.shape)
    for axis in range(labels.ndim):
        for step in (-1, 1):
            shifted = np.roll(labels, step, axis=axis)
            for k in range(n_phases):
                votes[k] += shifted == k
    votes[phase] = -1
    return np.argmax(votes, axis=0), votes.max(axis=0) > 0


def restore_area(labels: np.ndarray, phase: int, count: int, *, reach: int = 2) -> np.ndarray:
    """Give ``count`` voxels of ``phase`` back to the neighbouring phases (thickest places
    first), or take ``-count`` from them (most enclosed places first), keeping every
    phase's clusters and holes.

    Parameters
    ----------
    labels : ndarray of int
        Periodic 2D or 3D label image.
    phase : int
        The phase that grew (``count > 0``) or shrank (``count < 0``).
    count : int
        Voxels to give back (negative: to take).
    reach : int, optional
        Half-width of the window whose share of ``phase`` ranks the voxels.

    Returns
    -------
    ndarray of int
        A copy with (at most) ``count`` fewer voxels of ``phase``.

    Examples
    --------
    >>> image = np.zeros((12, 12), dtype=int)
    >>> image[2:10, 2:10] = 1
    >>> int((image == 1).sum() - (restore_area(image, 1, 10) == 1).sum())
    10
    >>> int((image == 1).sum() - (restore_area(image, 1, -10) == 1).sum())
    -10
    """
    labels = np.array(labels, copy=True)
    remaining = abs(int(count))
    while remaining > 0:
        # a third of what remains per round, so that the ranking follows the change
        changed = _restore_round(labels, phase, remaining // 3 + 1, reach, count > 0)
        if changed == 0:
            break
        remaining -= changed
    return labels


def _restore_round(labels: np.ndarray, phase: int, count: int, reach: int,
                   give: bool) -> int:
    """One round of :func:`restore_area` in place; returns the voxels changed."""
    mask = labels == phase
    share = ndi.uniform_filter(mask.astype(float), size=2 * reach + 1, mode="wrap").ravel()
    if give:
        into, edge = _neighbour_phase(labels, phase)
        candidates = np.flatnonzero((mask & edge).ravel())
    else:
        into = np.full(labels.shape, phase)
        grown = np.zeros_like(mask)
        for axis in range(labels.ndim):
            for step in (-1, 1):
                grown |= np.roll(mask, step, axis=axis)
        candidates = np.flatnonzero((grown & ~mask).ravel())
    order = candidates[np.argsort(-share[candidates], kind="stable")]
    return _apply(labels, order, into, count)
