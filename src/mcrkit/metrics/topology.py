"""Topology of one phase for the fidelity table: connectivity, Euler density, percolation.

:func:`topology_statistics` measures one phase of a discrete structure with the
functions of :mod:`mcrkit.morphology` (full connectivity: 8 neighbours in 2D,
26 in 3D, the convention of the Euler characteristic), either on the
structure itself (a 2D image, or a volume in 3D) or pooled over the slices of
a volume normal to one axis (to compare a volume with a 2D original):

``largest_cluster``
    Share of the phase's voxels in its largest cluster; pooled over slices,
    the largest cluster of every slice summed over the phase's voxels in all
    slices. A connected network is close to 1, separate particles close to
    one over their number.
``euler_density``
    Euler characteristic per voxel (per pixel of the slices): clusters minus
    holes in 2D; clusters minus tunnels plus cavities in 3D.
``percolation``
    Per in-plane axis (every axis of a structure measured as it is): the share
    of the slices in which the phase percolates along that axis (for one image
    or a volume: 1 if it percolates, else 0).

Percolation is a property of the bounded box (:func:`mcrkit.morphology.percolation`:
one cluster touches both faces normal to the axis); clusters and the Euler
characteristic continue across the faces when ``periodic`` (structures are
periodic by default; the sub-windows that estimate the natural spread are not).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcrkit.morphology import cluster_sizes, euler_density, percolation

__all__ = ["TOPOLOGY", "topology_statistics"]

TOPOLOGY = ("largest_cluster", "euler_density", "percolation")
"""Keys of :func:`topology_statistics`."""


def topology_statistics(labels: np.ndarray, axis: int | None, phase: int, *,
                        periodic: bool = True) -> dict[str, Any]:
    """Connectivity, Euler density and percolation of ``phase`` (see the module docstring).

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) ndarray
        Discrete structure.
    axis : int or None
        Pool the slices of a volume normal to this axis; None: the structure as
        it is (2D or 3D).
    phase : int
        Phase described.
    periodic : bool, optional
        Clusters and Euler characteristic on the torus (default) or the bounded box.

    Returns
    -------
    dict
        ``largest_cluster`` (float, NaN for an absent phase), ``euler_density``
        (float) and ``percolation`` (ndarray, one value per in-plane axis in
        order).

    Examples
    --------
    >>> network = np.zeros((12, 12), dtype=int); network[::4] = 1; network[:, ::4] = 1
    >>> stats = topology_statistics(network, None, 1)
    >>> stats["largest_cluster"], stats["percolation"].tolist()
    (1.0, [1.0, 1.0])
    >>> cut = network.copy(); cut[::4, 2::4] = 0; cut[2::4, ::4] = 0  # 9 separate crosses
    >>> cut_stats = topology_statistics(cut, None, 1)
    >>> round(cut_stats["largest_cluster"], 3), cut_stats["percolation"].tolist()
    (0.111, [0.0, 0.0])
    """
    mask = np.asarray(labels) == phase
    pieces = [mask] if axis is None else list(np.moveaxis(mask, axis, 0))
    largest = total = 0
    spanning = np.zeros(pieces[0].ndim)
    for piece in pieces:
        sizes = cluster_sizes(piece, periodic=periodic)
        if sizes.size:
            largest += int(sizes[0])
            total += int(sizes.sum())
        spanning += percolation(piece).percolates
    return {
        "largest_cluster": largest / total if total else float("nan"),
        "euler_density": euler_density(mask, periodic=periodic, slice_axis=axis),
        "percolation": spanning / len(pieces),
    }
