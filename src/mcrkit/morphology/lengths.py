r"""Characteristic lengths of one phase per axis, and the correlation window they imply.

Scaled autocovariance
    :math:`f(r) = (S_2(r) - \phi^2) / (\phi - \phi^2)` along each axis, from
    the exact :math:`S_2` of :func:`mcrkit.morphology.correlation.two_point_correlation`:
    1 at :math:`r = 0`, 0 for uncorrelated points (Torquato 2002, ch. 2). It is
    the same function for a phase and its complement.
Correlation length
    The lag at which :math:`f` first falls to :math:`1/e` (linear
    interpolation between integer lags): exactly :math:`a` for the Debye
    medium :math:`f = e^{-r/a}`; the scale of the finest features next to
    either side of the interface.
Repeat length
    The mean distance from one entry into the phase to the next along lines
    parallel to an axis: the total line length divided by the number of
    entries, i.e. the mean chord of the phase plus the mean chord of the rest
    (a lamellar period, a grain size plus a boundary width, a particle
    spacing); NaN where lines never enter the phase (whole lines of one kind).

:func:`correlation_window` turns the repeat lengths into the largest
correlation lag worth comparing: long enough to see one whole feature of
every phase and what separates it from the next, instead of a fixed 8 pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mcrkit.morphology._common import check_mask, spacing
from mcrkit.morphology.correlation import two_point_correlation

__all__ = ["correlation_lengths", "correlation_window", "repeat_lengths",
           "scaled_autocovariance"]


def scaled_autocovariance(image: np.ndarray, *, max_lag: int | None = None,
                          periodic: bool = True) -> np.ndarray:
    """Scaled autocovariance :math:`f(r)` of one phase along each axis, r = 0..max_lag.

    Parameters
    ----------
    image : (X, Y) or (X, Y, Z) array_like of bool
        Indicator of the phase.
    max_lag : int, optional
        Largest lag in voxels; by default half the smallest side.
    periodic : bool, optional
        Periodic boundaries, or zero padding normalized by the overlap.

    Returns
    -------
    (ndim, max_lag + 1) ndarray
        One row per axis; NaN when the phase is empty or fills the box.

    Examples
    --------
    >>> stripes = np.zeros((8, 8), dtype=bool); stripes[:, :4] = True
    >>> scaled_autocovariance(stripes, max_lag=4)[1]
    array([ 1. ,  0.5,  0. , -0.5, -1. ])
    """
    mask = check_mask(image, "scaled_autocovariance")
    lag = min(mask.shape) // 2 if max_lag is None else max_lag
    phi = mask.mean()
    if phi in (0.0, 1.0):
        return np.full((mask.ndim, lag + 1), np.nan)
    s2 = two_point_correlation(mask, limit_to=lag, periodic=periodic)
    centre = (lag,) * mask.ndim
    rows = [s2[centre[:axis] + (slice(lag, None),) + centre[axis + 1:]]
            for axis in range(mask.ndim)]
    return (np.array(rows) - phi**2) / (phi - phi**2)


def correlation_lengths(image: np.ndarray, *, periodic: bool = True,
                        voxel_size: float | Sequence[float] = 1.0) -> np.ndarray:
    """Lag at which the scaled autocovariance first falls to 1/e, per axis.

    Returns
    -------
    (ndim,) ndarray
        In units of ``voxel_size``; NaN where it does not fall that far within
        half the box, or for an empty or full phase.

    Examples
    --------
    >>> stripes = np.zeros((40, 40), dtype=bool); stripes[:, :20] = True  # f = 1 - r/10 along y
    >>> correlation_lengths(stripes).round(3)  # f stays 1 along x
    array([  nan, 6.321])
    """
    mask = check_mask(image, "correlation_lengths")
    size = spacing(voxel_size, mask.ndim, "correlation_lengths")
    lengths = np.full(mask.ndim, np.nan)
    half = min(mask.shape) // 2
    lag = min(8, half)
    while True:  # short lags first: most structures decorrelate within a few voxels
        f = scaled_autocovariance(mask, max_lag=lag, periodic=periodic)
        for axis in np.nonzero(np.isnan(lengths))[0]:
            below = np.nonzero(f[axis] <= np.exp(-1))[0]
            if below.size and below[0] > 0:
                r = below[0]
                g = f[axis]
                lengths[axis] = r - 1 + (g[r - 1] - np.exp(-1)) / (g[r - 1] - g[r])
        if not np.isnan(lengths).any() or lag >= half or np.isnan(f).all():
            return lengths * size
        lag = min(2 * lag, half)


def repeat_lengths(image: np.ndarray, *, periodic: bool = True,
                   voxel_size: float | Sequence[float] = 1.0) -> np.ndarray:
    """Mean distance between successive entries into the phase along each axis.

    Returns
    -------
    (ndim,) ndarray
        Line length (with periodic boundaries, or the line's inner neighbour
        pairs without) per entry into the phase, in units of ``voxel_size``;
        NaN along axes where no line enters the phase.

    Examples
    --------
    >>> stripes = np.zeros((8, 8), dtype=bool); stripes[:, :3] = True
    >>> repeat_lengths(stripes)
    array([nan,  8.])
    """
    mask = check_mask(image, "repeat_lengths")
    size = spacing(voxel_size, mask.ndim, "repeat_lengths")
    lengths = np.full(mask.ndim, np.nan)
    for axis in range(mask.ndim):
        before = np.roll(mask, 1, axis=axis) if periodic else np.delete(mask, -1, axis=axis)
        after = mask if periodic else np.delete(mask, 0, axis=axis)
        entries = np.count_nonzero(after & ~before)
        if entries:
            lengths[axis] = after.size / entries * size[axis]
    return lengths


def correlation_window(labels: np.ndarray, *, periodic: bool = True, minimum: int = 2) -> int:
    """Largest correlation lag (voxels) at which to compare a structure's statistics.

    The largest repeat length over phases and axes, rounded up, within
    ``[minimum, min(shape) // 2]`` (half the box when no phase has a repeat
    length, e.g. a single phase).

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) array_like of int
        Phase labels 0..P-1.
    periodic : bool, optional
        Periodic boundaries (default) or a bounded box.
    minimum : int, optional
        Smallest window returned.

    Examples
    --------
    >>> stripes = np.zeros((64, 64), dtype=int); stripes[:, 10:15] = 1  # period 64 along y
    >>> correlation_window(stripes)
    32
    >>> correlation_window(np.tile([0, 0, 1, 1, 1], (40, 8)))
    5
    """
    labels = np.asarray(labels)
    limit = min(labels.shape) // 2
    lengths = [repeat_lengths(labels == phase, periodic=periodic)
               for phase in np.unique(labels)]
    longest = np.nanmax(lengths) if np.isfinite(lengths).any() else limit
    return int(min(max(np.ceil(longest), minimum), limit))
