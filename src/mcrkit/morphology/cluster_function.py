r"""Two-point cluster function :math:`C_2` of one phase along the axes.

:math:`C_2(\mathbf r)` is the probability that a point and the point shifted
by :math:`\mathbf r` lie in the *same cluster* of the phase (Torquato 2002,
ch. 2; Jiao, Stillinger & Torquato, PNAS 106 (2009) 17634). It is bounded by
the two-point function, :math:`C_2 \le S_2`, with equality when the phase is
one cluster, and it falls to zero beyond the clusters' extent: it carries the
connectivity that :math:`S_2` misses. Clusters are those of
:func:`~mcrkit.morphology.cluster_labels` (full connectivity by default,
joined across the faces when periodic). Evaluated exactly for lags along each
axis (a comparison of the cluster labels per lag, linear in the volume);
without periodic boundaries each lag is normalized by its number of pairs.
"""

from __future__ import annotations

import numpy as np

from mcrkit.morphology._common import check_mask
from mcrkit.morphology.connectivity import cluster_labels

__all__ = ["two_point_cluster_function"]


def two_point_cluster_function(image: np.ndarray, *, max_lag: int | None = None,
                               connectivity: int | None = None,
                               periodic: bool = True) -> np.ndarray:
    """Two-point cluster function of one phase for lags r = 0..max_lag along each axis.

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase.
    max_lag : int, optional
        Largest lag in voxels; by default half the smallest side.
    connectivity : int, optional
        Cluster neighbourhood, 1 (faces) to ``ndim`` (all neighbours, default).
    periodic : bool, optional
        Periodic clusters and lags (default), or a bounded box.

    Returns
    -------
    (ndim, max_lag + 1) ndarray
        ``result[axis, r]``; ``result[:, 0]`` is the volume fraction.

    Examples
    --------
    >>> bars = np.zeros((6, 6), dtype=bool); bars[:, 0] = bars[:, 3] = True  # two bars along x
    >>> two_point_cluster_function(bars, max_lag=3)
    array([[0.33333333, 0.33333333, 0.33333333, 0.33333333],
           [0.33333333, 0.        , 0.        , 0.        ]])
    """
    mask = check_mask(image, "two_point_cluster_function")
    lag = min(mask.shape) // 2 if max_lag is None else int(max_lag)
    if lag < 0 or lag >= min(mask.shape):
        raise ValueError(f"two_point_cluster_function: max_lag must be in [0, "
                         f"{min(mask.shape) - 1}] for shape {mask.shape}, got {max_lag!r}")
    labels, _ = cluster_labels(mask, connectivity=connectivity, periodic=periodic)
    result = np.zeros((mask.ndim, lag + 1))
    for axis in range(mask.ndim):
        lines = np.moveaxis(labels, axis, -1)
        n = lines.shape[-1]
        for r in range(lag + 1):
            head, tail = lines[..., : n - r], lines[..., r:]
            same = np.count_nonzero((head == tail) & (head > 0))
            pairs = head.size
            if periodic and r:
                wrap_head, wrap_tail = lines[..., n - r:], lines[..., :r]
                same += np.count_nonzero((wrap_head == wrap_tail) & (wrap_head > 0))
                pairs += wrap_head.size
            result[axis, r] = same / pairs
    return result
