r"""Simple points: voxels whose phase can change without changing any phase's topology.

A voxel :math:`p` of a set :math:`X` is *simple* (Bertrand & Malandain 1994;
Kong & Rosenfeld 1989) when removing it changes neither the clusters nor the
holes (in 3D: tunnels and cavities) of :math:`X` nor of its complement. With
the convention of :func:`~mcrkit.morphology.euler_characteristic` and
:func:`~mcrkit.morphology.cluster_labels` (a phase with *full* connectivity,
8 neighbours in 2D and 26 in 3D, its complement with *face* connectivity, 4 or
6) this is a local test on the 3x3 (3x3x3) neighbourhood: :math:`p` is simple
for :math:`X` exactly when

* the voxels of :math:`X` among the neighbours of :math:`p` form one cluster
  (full connectivity within the neighbourhood), and
* the voxels of the complement among the face and edge neighbours (2D: the 8
  neighbours; 3D: the 18 within distance :math:`\sqrt 2`) that connect to a face
  neighbour of :math:`p` form one face-connected cluster.

Changing a voxel from phase :math:`a` to phase :math:`b` keeps the topology of
*every* phase when it is simple for :math:`a` (as a removal) and for
:math:`b \cup \{p\}` (as an addition); the other phases keep their voxels, and
with them their clusters and, through their complements, their holes. On a
periodic image the neighbourhood wraps around, and the test holds on the torus
for sides of at least 4.

The compiled test, :func:`change_keeps_topology`, is what topology-preserving
annealing asks for each voxel of a candidate swap (a swap is two changes in
turn, the second seeing the first through a *virtual* label).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["change_keeps_topology", "is_simple", "label_grid", "simple_points",
           "swap_keeps_topology", "swaps_keep_topology"]

_jit = numba.njit(cache=True, nogil=True)


def _offsets() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 26 neighbour offsets of a 3x3x3 block, whether each is within distance sqrt 2
    (face or edge neighbour) and the pairs of offsets that are face neighbours / any
    neighbours of each other (as adjacency matrices)."""
    offsets = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)
                        if (i, j, k) != (0, 0, 0)], dtype=np.int64)
    near = np.abs(offsets).sum(axis=1) <= 2
    diff = np.abs(offsets[:, None, :] - offsets[None, :, :])
    face = diff.sum(axis=2) == 1
    full = (diff.max(axis=2) == 1)
    return offsets, near, np.stack([face, full])


OFFSETS, NEAR, ADJACENT = _offsets()
"""Neighbour offsets, the face-and-edge ones among them, and their face/full adjacency."""


@_jit
def _count(member, adjacency, seeds):
    """Clusters of the members (``member[k]``) of the neighbourhood under ``adjacency``,
    counting only clusters that hold a seed (``seeds[k]``)."""
    n = member.size
    seen = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    clusters = 0
    for start in range(n):
        if not member[start] or seen[start]:
            continue
        seen[start] = True
        stack[0] = start
        top = 1
        seeded = False
        while top:
            top -= 1
            k = stack[top]
            seeded = seeded or seeds[k]
            for m in range(n):
                if member[m] and not seen[m] and adjacency[k, m]:
                    seen[m] = True
                    stack[top] = m
                    top += 1
        if seeded:
            clusters += 1
    return clusters


@_jit
def _simple(inside, valid, flat):
    """Whether the centre is simple for the set whose membership among the neighbours is
    ``inside`` (``valid``: the neighbour exists; ``flat``: a 2D image, only the in-plane
    neighbours count)."""
    offsets, near, adjacent = OFFSETS, NEAR, ADJACENT
    n = inside.size
    member = np.zeros(n, dtype=np.bool_)
    other = np.zeros(n, dtype=np.bool_)
    seeds = np.zeros(n, dtype=np.bool_)
    everywhere = np.ones(n, dtype=np.bool_)
    for k in range(n):
        if not valid[k] or (flat and offsets[k, 2] != 0):
            continue
        member[k] = inside[k]
        other[k] = (not inside[k]) and near[k]
        seeds[k] = np.abs(offsets[k]).sum() == 1
    if _count(member, adjacent[1], everywhere) != 1:
        return False
    return _count(other, adjacent[0], seeds) == 1


@_jit
def _neighbourhood(lab, dims, p, periodic, vpos, vlab, phase, inside, valid):
    """Fill ``inside``/``valid`` for the neighbours of ``p``: in ``phase`` (with the virtual
    change ``vpos -> vlab``), and within the image."""
    strides = (dims[1] * dims[2], dims[2], 1)
    c0 = (p // strides[0]) % dims[0]
    c1 = (p // strides[1]) % dims[1]
    c2 = p % dims[2]
    for k in range(OFFSETS.shape[0]):
        a = c0 + OFFSETS[k, 0]
        b = c1 + OFFSETS[k, 1]
        c = c2 + OFFSETS[k, 2]
        if periodic:
            a %= dims[0]
            b %= dims[1]
            c %= dims[2]
        if a < 0 or a >= dims[0] or b < 0 or b >= dims[1] or c < 0 or c >= dims[2]:
            valid[k] = False
            inside[k] = False
            continue
        index = a * strides[0] + b * strides[1] + c * strides[2]
        value = vlab if index == vpos else lab[index]
        valid[k] = True
        inside[k] = value == phase


def _plane_table() -> np.ndarray:
    """Whether the centre of a 3x3 image is simple for the set of its neighbours whose bits
    are set in the index (bit ``k``: the ``k``-th in-plane offset of :data:`OFFSETS`)."""
    plane = np.flatnonzero(OFFSETS[:, 2] == 0)
    valid = np.zeros(OFFSETS.shape[0], dtype=bool)
    valid[plane] = True
    table = np.zeros(256, dtype=np.bool_)
    for index in range(256):
        inside = np.zeros(OFFSETS.shape[0], dtype=bool)
        inside[plane] = [(index >> bit) & 1 for bit in range(8)]
        table[index] = _simple(inside, valid, True)
    return table


PLANE = np.flatnonzero(OFFSETS[:, 2] == 0)
"""The in-plane neighbours of a 2D image among :data:`OFFSETS`."""
PLANE_TABLE = _plane_table()
"""Simple-point table of 2D images indexed by the neighbours' bits (see :func:`_plane_table`)."""


@_jit
def _simple_in_plane(inside, valid, flat):
    """:func:`_simple` of a 2D image (``flat``, True) by table, when every in-plane neighbour
    exists."""
    index = 0
    for bit in range(PLANE.size):
        if not valid[PLANE[bit]]:
            return _simple(inside, valid, flat)
        if inside[PLANE[bit]]:
            index |= 1 << bit
    return PLANE_TABLE[index]


@_jit
def _simple_here(inside, valid, flat):
    # ``flat`` is passed on as the variable it is, never as a constant: a constant argument
    # would compile a function once more for its value
    if flat:
        return _simple_in_plane(inside, valid, flat)
    return _simple(inside, valid, flat)


@_jit
def change_keeps_topology(lab, dims, p, new, periodic, vpos, vlab):
    """Whether changing voxel ``p`` of the flat label array ``lab`` (grid ``dims``, a 2D
    image being ``(X, Y, 1)``) to phase ``new`` keeps the topology of every phase, with
    the label of ``vpos`` read as ``vlab`` (``vpos = -1``: no virtual change)."""
    flat = dims[2] == 1
    old = vlab if p == vpos else lab[p]
    if old == new:
        return True
    n = OFFSETS.shape[0]
    inside = np.empty(n, dtype=np.bool_)
    valid = np.empty(n, dtype=np.bool_)
    _neighbourhood(lab, dims, p, periodic, vpos, vlab, old, inside, valid)
    if not _simple_here(inside, valid, flat):
        return False
    _neighbourhood(lab, dims, p, periodic, vpos, vlab, new, inside, valid)
    return _simple_here(inside, valid, flat)


@_jit
def swap_keeps_topology(lab, dims, p, q, periodic):
    """Whether exchanging the phases of voxels ``p`` and ``q`` keeps every phase's topology
    (``p`` changes first, then ``q`` seeing ``p`` changed). On a ``periodic`` image both
    topologies are kept: the torus's and that of the image cut open at its edges (which
    decides what spans the image)."""
    # typed values, not constants, so that one compiled change_keeps_topology serves all four
    a = np.int64(lab[p])
    b = np.int64(lab[q])
    none = np.int64(-1)
    cut = np.bool_(False)
    if not (change_keeps_topology(lab, dims, p, b, cut, none, none)
            and change_keeps_topology(lab, dims, q, a, cut, p, b)):
        return False
    return not periodic or (change_keeps_topology(lab, dims, p, b, periodic, none, none)
                            and change_keeps_topology(lab, dims, q, a, periodic, p, b))


@_jit
def swaps_keep_topology(lab, dims, first, second, periodic, out):
    """:func:`swap_keeps_topology` for each swap ``first[k], second[k]`` into ``out[k]``."""
    for k in range(first.size):
        out[k] = swap_keeps_topology(lab, dims, first[k], second[k], periodic)


def label_grid(image: np.ndarray, owner: str = "label_grid") -> tuple[np.ndarray, np.ndarray]:
    """Flat int64 labels and the 3D grid ``dims`` of a 2D or 3D label image (a 2D image is
    ``(X, Y, 1)``), the layout of the compiled tests; a ValueError naming ``owner`` for
    anything but non-negative integer labels in 2D or 3D.

    Examples
    --------
    >>> lab, dims = label_grid(np.zeros((4, 5), dtype=np.uint8))
    >>> lab.size, dims.tolist()
    (20, [4, 5, 1])
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"{owner}: expected a 2D or 3D label image, got shape {image.shape}")
    if image.size and (not np.issubdtype(image.dtype, np.integer) or image.min() < 0):
        raise ValueError(f"{owner}: labels must be non-negative integers (phase numbers), got "
                         f"dtype {image.dtype}")
    dims = np.array(image.shape + (1,) * (3 - image.ndim), dtype=np.int64)
    return np.ascontiguousarray(image, dtype=np.int64).ravel(), dims


def is_simple(image: np.ndarray, index: tuple[int, ...], new: int, *,
              periodic: bool = True) -> bool:
    """Whether setting ``image[index]`` to phase ``new`` keeps every phase's topology.

    Parameters
    ----------
    image : ndarray of int
        2D or 3D label image.
    index : tuple of int
        The voxel.
    new : int
        Its new phase.
    periodic : bool, optional
        Whether the image wraps around (sides of at least 4).

    Examples
    --------
    >>> ring = np.zeros((8, 8), dtype=int)
    >>> ring[1:7, 1:7] = 1           # a ring two pixels thick
    >>> ring[3:5, 3:5] = 0
    >>> is_simple(ring, (1, 1), 0)   # its outer corner
    True
    >>> ring[2, 3:5] = 0             # one pixel thick at the top ...
    >>> is_simple(ring, (1, 3), 0)   # ... where removing a pixel cuts the ring open
    False
    """
    image = np.asarray(image)
    lab, dims = label_grid(image, "is_simple")
    p = int(np.ravel_multi_index(index, image.shape))
    return bool(change_keeps_topology(lab, dims, p, int(new), periodic, -1, -1))


@_jit
def _simple_mask(lab, dims, phase, periodic, out):
    none = np.int64(-1)  # typed: the compiled test of is_simple serves here too
    for p in range(lab.size):
        if lab[p] == phase:
            continue
        out[p] = change_keeps_topology(lab, dims, p, phase, periodic, none, none)


def simple_points(image: np.ndarray, phase: int, *, periodic: bool = True) -> np.ndarray:
    """Voxels of other phases that could join ``phase`` without changing any topology.

    Parameters
    ----------
    image : ndarray of int
        2D or 3D label image.
    phase : int
        The phase the voxels would join.
    periodic : bool, optional
        Whether the image wraps around (sides of at least 4).

    Returns
    -------
    ndarray of bool
        True where setting the voxel to ``phase`` keeps the clusters and holes of every
        phase.

    Examples
    --------
    >>> image = np.zeros((6, 6), dtype=int)
    >>> image[2, 1:4] = 1           # a bar can grow along its sides and at its ends
    >>> simple_points(image, 1).astype(int)
    array([[0, 0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0, 0],
           [1, 0, 0, 0, 1, 0],
           [0, 1, 1, 1, 0, 0],
           [0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0]])
    """
    image = np.asarray(image)
    lab, dims = label_grid(image, "simple_points")
    out = np.zeros(lab.size, dtype=bool)
    _simple_mask(lab, dims, int(phase), periodic, out)
    return out.reshape(image.shape)
