"""Synthetic microstructures for examples, tests and benchmarks.

Functions
---------
gaussian_random_field
    A two-phase structure: Gaussian-smoothed white noise thresholded at a set
    volume fraction, isotropic or elongated along chosen axes, 2D or 3D.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter

__all__ = ["gaussian_random_field"]


def gaussian_random_field(
    shape: Sequence[int],
    correlation_length: float | Sequence[float],
    *,
    volume_fraction: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Two-phase periodic structure from a thresholded Gaussian random field.

    White noise is smoothed with a periodic Gaussian kernel whose standard
    deviation along each axis is ``correlation_length`` (so unequal lengths
    give grains elongated along the longer axes), and the ``volume_fraction``
    of pixels with the largest values becomes phase 1.

    Parameters
    ----------
    shape : sequence of int
        ``(X, Y)`` or ``(X, Y, Z)``.
    correlation_length : float or sequence of float
        Kernel standard deviation in pixels, one for all axes or one per axis.
    volume_fraction : float, optional
        Fraction of phase 1, in (0, 1); met to the nearest pixel.
    seed : int or numpy Generator, optional
        Source of the white noise; the same seed gives the same structure.

    Returns
    -------
    (X, Y[, Z]) ndarray of uint8
        Labels 0 and 1.

    Examples
    --------
    >>> labels = gaussian_random_field((64, 32), (6.0, 2.0), volume_fraction=0.25, seed=0)
    >>> labels.shape, labels.mean()
    ((64, 32), np.float64(0.25))
    """
    dims = tuple(int(s) for s in shape)
    if len(dims) not in (2, 3) or min(dims) < 1:
        raise ValueError(f"shape must be 2 or 3 positive sizes such as (64, 64), got {shape!r}")
    lengths = np.asarray(correlation_length, dtype=np.float64).ravel()
    if lengths.size not in (1, len(dims)) or not np.all(lengths > 0):
        raise ValueError(
            f"correlation_length must be positive, one value or one per axis of {dims}, got "
            f"{correlation_length!r}"
        )
    if not 0 < volume_fraction < 1:
        raise ValueError(f"volume_fraction must lie strictly between 0 and 1, got "
                         f"{volume_fraction!r}")
    noise = np.random.default_rng(seed).standard_normal(dims)
    field = gaussian_filter(noise, np.broadcast_to(lengths, (len(dims),)), mode="wrap").ravel()
    n_ones = round(volume_fraction * field.size)
    labels = np.zeros(field.size, dtype=np.uint8)
    labels[np.argpartition(field, field.size - n_ones)[field.size - n_ones:]] = 1
    return labels.reshape(dims)
