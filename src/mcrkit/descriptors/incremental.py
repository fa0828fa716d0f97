"""Incremental descriptor updates for pixel-swap annealing.

An annealer changes two voxels per move. Recomputing a descriptor after every
move costs the whole structure; updating it costs only the pixels whose
statistics the two voxels enter (a window around each, in each slice through
it). A descriptor offers this through :meth:`Descriptor.incremental`, which
returns a :class:`SwapTerm`: the residual sum

.. math::

    S = \\sum_k h\\big(D_k(M) - D^\\ast_k\\big), \\qquad h(x) = x^2 \\text{ or } |x|,

kept up to date under swaps, from which a loss plugin's value follows
(:attr:`mcrkit.losses.Loss.pointwise`). Descriptors without the hook are
handled by :class:`RecomputedTerm` (a full evaluation per candidate move).

All terms share one flat label array owned by the annealer, which changes it
only after every term has accepted a swap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mcrkit.descriptors.base import Descriptor

__all__ = ["CountTerm", "FixedTerm", "RecomputedTerm", "SwapTerm", "count_term",
           "distribution_term", "residual_sum", "slice_geometry", "slice_norms"]

POINTWISE = {"square": 0, "abs": 1}
"""Pointwise residual functions h and their kernel codes."""


def residual_sum(difference: np.ndarray, pointwise: str) -> float:
    """:math:`\\sum h(\\Delta)` of a difference array."""
    if pointwise == "square":
        return float(np.square(difference).sum())
    return float(np.abs(difference).sum())


def slice_geometry(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Grid, slice families and slice counts of a 2D or 3D structure.

    Returns
    -------
    dims : (3,) int64 ndarray
        The grid as 3D (a 2D image is ``(X, Y, 1)``).
    geometry : (G, 2) int64 ndarray
        In-plane axes of each family of slices: ``(0, 1)`` for an image; for a
        volume the slices normal to x, y and z.
    n_slices : list of int
        Number of slices in each family.
    """
    if len(shape) == 2:
        return np.array([*shape, 1], dtype=np.int64), np.array([[0, 1]], dtype=np.int64), [1]
    geometry = np.array([[1, 2], [0, 2], [0, 1]], dtype=np.int64)
    return np.array(shape, dtype=np.int64), geometry, list(shape)


class SwapTerm:
    """Residual sum of one descriptor, kept up to date under phase swaps.

    Attributes
    ----------
    total : float
        Current residual sum :math:`S`.
    """

    total: float

    def value(self) -> np.ndarray:
        """Current descriptor value, laid out as :meth:`Descriptor.label_value` returns it."""
        raise NotImplementedError

    def propose(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Change of :attr:`total` if ``first[k]`` and ``second[k]`` swapped labels, for every k.

        The labels of each pair differ; nothing is changed.
        """
        raise NotImplementedError

    def accept(self, first: int, second: int) -> None:
        """Commit the swap of ``first`` and ``second`` (called before the labels change)."""
        raise NotImplementedError


class CountTerm(SwapTerm):
    """A descriptor kept as exact integer counts over fixed normalizations.

    Parameters
    ----------
    counts : ndarray of int
        Current counts, laid out as the descriptor's value.
    norm : ndarray
        Normalization of each count (value = counts / norm), same shape; for a
        normalized term (``spec``), the sum of the count's block (at least 1).
    target : ndarray
        Target value, same shape.
    pointwise : {"square", "abs"}
        Residual function h.
    site : compiled function
        The descriptor's site kernel (signature
        :data:`mcrkit.descriptors.swap_kernels.SITE`).
    spec, table, channel : ndarray
        The kernel's parameters, ``spec`` with the code of ``pointwise``
        (see :mod:`mcrkit.descriptors.swap_kernels`).
    labels : ndarray
        The annealer's flat label array (shared).
    shape : tuple of int
        Spatial shape of the structure.
    """

    def __init__(self, counts: np.ndarray, norm: np.ndarray, target: np.ndarray, pointwise: str,
                 site: Callable[..., None], spec: np.ndarray, table: np.ndarray,
                 channel: np.ndarray, labels: np.ndarray, shape: tuple[int, ...]) -> None:
        from mcrkit.descriptors import swap_kernels

        self.shape = counts.shape
        self.norm = np.ascontiguousarray(norm, dtype=np.float64).ravel()
        counts = np.ascontiguousarray(counts, dtype=np.int64).ravel()
        inverse = 1.0 / self.norm
        target = np.array(np.broadcast_to(target, self.shape), dtype=np.float64).ravel()
        residual = counts * inverse - target
        self.site = site
        self.arrays = swap_kernels.term_tuple(spec, table, channel, counts, inverse, target,
                                              residual)
        self.pointwise = pointwise
        self.total = residual_sum(residual, pointwise)
        self.labels = labels
        self.dims, self.geometry, _ = slice_geometry(shape)

    def value(self) -> np.ndarray:
        from mcrkit.descriptors.swap_kernels import BLOCK, NORMALIZED

        counts, spec = self.arrays[3], self.arrays[0]
        if not spec[NORMALIZED]:
            return (counts / self.norm).reshape(self.shape)
        blocks = counts.reshape(-1, spec[BLOCK])
        return (blocks / np.maximum(blocks.sum(axis=1, keepdims=True), 1)).reshape(self.shape)

    def _run(self, first: np.ndarray, second: np.ndarray, commit: bool) -> np.ndarray:
        from mcrkit.descriptors import swap_kernels

        out = np.empty((1, first.size))
        swap_kernels.call_with_sites(swap_kernels.swap_changes, self.labels, self.dims,
                                     self.geometry, (self.site,), (self.arrays,), first, second,
                                     commit, out)
        return out[0]

    def propose(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return self._run(first, second, False)

    def accept(self, first: int, second: int) -> None:
        self.total += float(self._run(np.array([first]), np.array([second]), True)[0])

    def resum(self) -> None:
        """Recompute :attr:`total` from the residuals (removes rounding drift)."""
        self.total = residual_sum(self.arrays[6], self.pointwise)


class FixedTerm(SwapTerm):
    """A descriptor that phase swaps cannot change (e.g. volume fractions).

    Parameters
    ----------
    value : ndarray
        The descriptor's value.
    target : ndarray
        Target value.
    pointwise : {"square", "abs"}
        Residual function h.
    """

    def __init__(self, value: np.ndarray, target: np.ndarray, pointwise: str) -> None:
        self._value = np.asarray(value, dtype=np.float64)
        self.total = residual_sum(self._value - target, pointwise)

    def value(self) -> np.ndarray:
        return self._value

    def propose(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return np.zeros(first.size)

    def accept(self, first: int, second: int) -> None:
        pass


class RecomputedTerm(SwapTerm):
    """Fallback for descriptors without incremental hooks: full evaluation per candidate.

    Parameters
    ----------
    descriptor : Descriptor
        Evaluated with :meth:`Descriptor.label_value`.
    labels : ndarray
        The annealer's flat label array (shared, not copied).
    shape : tuple of int
        Spatial shape of the structure.
    n_phases : int
        Number of phases.
    target : ndarray
        Target value.
    pointwise : {"square", "abs"}
        Residual function h.
    """

    def __init__(self, descriptor: Descriptor, labels: np.ndarray, shape: tuple[int, ...],
                 n_phases: int, target: np.ndarray, pointwise: str) -> None:
        self.descriptor = descriptor
        self.labels = labels
        self.grid = labels.reshape(shape)
        self.n_phases = n_phases
        self.target = np.asarray(target, dtype=np.float64)
        self.pointwise = pointwise
        self.total = self._sum()

    def _sum(self) -> float:
        return residual_sum(self.value() - self.target, self.pointwise)

    def value(self) -> np.ndarray:
        return self.descriptor.label_value(self.grid, self.n_phases)

    def propose(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        out = np.empty(first.size)
        lab = self.labels
        for k, (p, q) in enumerate(zip(first, second, strict=True)):
            lab[p], lab[q] = lab[q], lab[p]
            out[k] = self._sum() - self.total
            lab[p], lab[q] = lab[q], lab[p]
        return out

    def accept(self, first: int, second: int) -> None:
        lab = self.labels
        lab[first], lab[second] = lab[second], lab[first]
        self.total = self._sum()
        lab[first], lab[second] = lab[second], lab[first]


def count_term(descriptor: Descriptor, labels: np.ndarray, shape: tuple[int, ...],
               n_phases: int, target: np.ndarray, pointwise: str, norm: np.ndarray, *,
               site: Callable[..., None], table: np.ndarray, channel: np.ndarray, channels: int,
               block: int, reach: int, periodic: bool, distinct: bool = True,
               symmetric: bool = False) -> CountTerm:
    """A :class:`CountTerm` whose counts are the descriptor's exact value times ``norm``.

    Parameters
    ----------
    norm : ndarray
        One normalization per family of slices, ``(G, ...)`` (see :func:`slice_norms`).
    site : compiled function
        The descriptor's site kernel (signature :data:`mcrkit.descriptors.swap_kernels.SITE`).
    table : ndarray
        The offsets the site kernel reads.
    channel : ndarray
        Count channel of each phase (-1: not described).
    channels, block, reach : int
        Number of channels, entries per channel and family block, largest offset.
    periodic, distinct : bool
        Periodic boundaries; whether no two tabulated offsets share a voxel.
    symmetric : bool
        The value is made of ``block x block`` symmetric matrices whose changes the site
        kernel adds at ``a <= b`` only.
    """
    value = descriptor.label_value(labels.reshape(shape), n_phases)
    if len(shape) == 2:
        norm = norm[0]
    else:
        norm = norm.reshape(len(norm), *[1] * (value.ndim - norm.ndim), *norm.shape[1:])
    norm = np.broadcast_to(norm, value.shape)
    counts = np.rint(value * norm).astype(np.int64)
    spec = np.array([channels, block, reach, periodic, distinct, POINTWISE[pointwise],
                     symmetric, False])
    return CountTerm(counts, norm, target, pointwise, site, spec, table, channel, labels, shape)


def distribution_term(counts: np.ndarray, labels: np.ndarray, shape: tuple[int, ...],
                      target: np.ndarray, pointwise: str, *, site: Callable[..., None],
                      channel: np.ndarray, channels: int, periodic: bool) -> CountTerm:
    """A :class:`CountTerm` of distributions: each block of counts along the last axis of
    ``counts`` divided by its sum (at least 1), so the value is ``counts / counts.sum(-1)``.

    Parameters
    ----------
    counts : ndarray of int
        The descriptor's exact counts, laid out as its value.
    site : compiled function
        The descriptor's site kernel (signature :data:`mcrkit.descriptors.swap_kernels.SITE`).
    channel : ndarray
        Count channel of each phase (-1: not described).
    channels : int
        Number of channels.
    periodic : bool
        Periodic boundaries.
    """
    counts = np.asarray(counts, dtype=np.int64)
    norm = np.broadcast_to(np.maximum(counts.sum(axis=-1, keepdims=True), 1), counts.shape)
    spec = np.array([channels, counts.shape[-1], 1, periodic, True, POINTWISE[pointwise],
                     False, True])
    return CountTerm(counts, norm, target, pointwise, site, spec, np.zeros((1, 1)), channel,
                     labels, shape)


def slice_norms(shape: tuple[int, ...], periodic: bool,
                inside: Callable[[tuple[int, int]], np.ndarray]) -> np.ndarray:
    """Normalization of per-slice sums for each family of slices, stacked ``(G, ...)``.

    Periodic sums are normalized by the number of voxels; otherwise by the number
    of slices times ``inside(image_shape)``, the count of positions that enter each
    entry in one image.
    """
    dims, geometry, n_slices = slice_geometry(shape)
    if periodic:
        return np.full(len(geometry), float(np.prod(shape)))
    return np.stack([n * np.asarray(inside((int(dims[u]), int(dims[v]))), dtype=np.float64)
                     for n, (u, v) in zip(n_slices, geometry, strict=True)])
