r"""The exact two-point (cross-)correlation :math:`S_2` of indicator arrays, by FFT.

:math:`S_2^{IJ}(\mathbf r) = \frac{1}{N} \sum_{\mathbf x} I(\mathbf x) J(\mathbf x + \mathbf r)`
(Torquato 2002, ch. 2); the NumPy reference of the ``two_point`` descriptor.
"""

from __future__ import annotations

import numpy as np

from mcrkit._checks import check_positive_int

__all__ = ["two_point_correlation"]


def two_point_correlation(
    image: np.ndarray,
    other: np.ndarray | None = None,
    *,
    limit_to: int = 8,
    periodic: bool = True,
) -> np.ndarray:
    """Exact two-point (cross-)correlation of indicator arrays of any dimension.

    Parameters
    ----------
    image : (M, N[, ...]) array_like
        Indicator of one phase (bool or floats in [0, 1]).
    other : array_like, optional
        Indicator of a second phase for the cross-correlation
        :math:`S_2^{IJ}`; by default the auto-correlation of ``image``.
    limit_to : int, optional
        Largest vector component kept on every axis.
    periodic : bool, optional
        Periodic boundaries (default) or zero padding normalized by overlap.

    Returns
    -------
    (2*limit_to+1, ...) ndarray of float64
        ``result[limit_to + r]`` is :math:`S_2(\\mathbf r)`; the centre is
        the volume fraction.

    Examples
    --------
    >>> stripes = np.array([[1, 0, 1, 0]] * 4)
    >>> two_point_correlation(stripes, limit_to=1)[1]
    array([0. , 0.5, 0. ])
    """
    check_positive_int("limit_to", limit_to, "two_point_correlation")
    a = np.asarray(image, dtype=np.float64)
    b = a if other is None else np.asarray(other, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"image and other must have the same shape, got {a.shape} and {b.shape}")
    if periodic:
        corr = _correlate(a, b, a.shape) / a.size
    else:
        shape = tuple(n + limit_to for n in a.shape)
        ones = np.ones_like(a)
        corr = _correlate(a, b, shape) / np.maximum(_correlate(ones, ones, shape), 1.0)
    index = np.ix_(*[np.arange(-limit_to, limit_to + 1) % n for n in corr.shape])
    return corr[index]


def _correlate(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """sum_x a(x) b(x + r) for every r on a grid of ``shape`` (zero padding beyond ``a``)."""
    axes = tuple(range(len(shape)))
    fa = np.fft.rfftn(a, s=shape, axes=axes)
    fb = np.fft.rfftn(b, s=shape, axes=axes)
    return np.fft.irfftn(np.conj(fa) * fb, s=shape, axes=axes)
