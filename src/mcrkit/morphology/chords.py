r"""Chord-length distributions per axis and a distance between two of them.

A chord is a maximal run of one phase along a line parallel to an axis
(Torquato 2002, ch. 2); the runs are found by
:func:`mcrkit.descriptors.chord_length.chord_lengths` (periodic: runs continue
across the box's faces; bounded: runs touching a face are dropped as
truncated). In a volume, the chords along an axis are those of every slice
containing that axis, so chords are a 3D statistic per axis.

Two chord distributions are compared as distributions by the Wasserstein-1
(earth mover's) distance, in units of length: the area between the two
cumulative distributions, :math:`W_1 = \int |F_a(\ell) - F_b(\ell)|\, d\ell`
(:func:`scipy.stats.wasserstein_distance`). ``weighting="number"`` (default)
counts every chord once, the number distribution of the descriptor
``chord_length``: lengthening every chord by :math:`c` moves it by exactly
:math:`c`, and splitting chords into fragments shows at once.
``weighting="length"`` weights each chord by its length, the distribution of
the chord through a random point of the phase, which is less sensitive to
many tiny chords (noise) and more to the longest ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from mcrkit.morphology._common import check_axis, check_mask, spacing

__all__ = ["ChordStatistics", "chord_distance", "chord_length_sample", "chord_lengths",
           "chord_statistics"]


def chord_lengths(image: np.ndarray, axis: int, *, periodic: bool = True) -> np.ndarray:
    """Lengths of all chords of an indicator along ``axis`` (any dimension).

    Examples
    --------
    >>> chord_lengths(np.array([[1, 1, 0, 1]]), axis=1).tolist()
    [3]
    >>> chord_lengths(np.array([[1, 1, 0, 1]]), axis=1, periodic=False).tolist()
    []
    """
    a = np.moveaxis(np.asarray(image).astype(bool), axis, -1)
    lines = a.reshape(-1, a.shape[-1])
    n = lines.shape[1]
    full = lines.all(axis=1)
    if periodic:
        # Rotate each line so that it starts just after a pixel outside the phase.
        first_gap = np.argmin(lines, axis=1)
        index = (np.arange(n)[None, :] + first_gap[:, None] + 1) % n
        lines = np.take_along_axis(lines, index, axis=1)[~full]
    padded = np.zeros((lines.shape[0], n + 2), dtype=np.int8)
    padded[:, 1:-1] = lines
    edges = np.diff(padded, axis=1)
    start = np.nonzero(edges == 1)[1]
    end = np.nonzero(edges == -1)[1]
    lengths = end - start
    if not periodic:
        return lengths[(start > 0) & (end < n)]
    return np.concatenate([lengths, np.full(int(full.sum()), n)])


def chord_length_sample(image: np.ndarray, *, axis: int, periodic: bool = True,
                        voxel_size: float | Sequence[float] = 1.0) -> np.ndarray:
    """Lengths of all chords of one phase along ``axis``, in units of ``voxel_size``.

    Examples
    --------
    >>> chord_length_sample(np.array([[1, 1, 0, 1, 0]]), axis=1, voxel_size=0.5).tolist()
    [0.5, 1.0]
    """
    mask = check_mask(image, "chord_length_sample")
    axis = check_axis(axis, mask.ndim, "chord_length_sample")
    size = spacing(voxel_size, mask.ndim, "chord_length_sample")[axis]
    return chord_lengths(mask, axis, periodic=periodic) * size


class ChordStatistics(NamedTuple):
    """Summary of one chord-length sample (``._asdict()`` for a plain dict).

    Attributes
    ----------
    count : int
        Number of chords.
    mean : float
        Number-weighted mean length (NaN without chords).
    length_weighted_mean : float
        Mean length of the chord through a random point of the phase,
        :math:`\\langle \\ell^2 \\rangle / \\langle \\ell \\rangle`.
    """

    count: int
    mean: float
    length_weighted_mean: float


def chord_statistics(image: np.ndarray, *, axis: int, periodic: bool = True,
                     voxel_size: float | Sequence[float] = 1.0) -> ChordStatistics:
    """Number and mean lengths of the chords of one phase along ``axis``.

    Examples
    --------
    >>> chord_statistics(np.array([[1, 1, 1, 0, 1, 0]]), axis=1)
    ChordStatistics(count=2, mean=2.0, length_weighted_mean=2.5)
    """
    lengths = chord_length_sample(image, axis=axis, periodic=periodic, voxel_size=voxel_size)
    if not lengths.size:
        return ChordStatistics(0, float("nan"), float("nan"))
    return ChordStatistics(int(lengths.size), float(lengths.mean()),
                           float((lengths**2).sum() / lengths.sum()))


def chord_distance(reference: np.ndarray, other: np.ndarray, *,
                   weighting: str = "number") -> float:
    """Wasserstein-1 distance between two chord-length samples (in their length unit).

    Parameters
    ----------
    reference, other : (n,) array_like
        Chord lengths, e.g. from :func:`chord_length_sample`.
    weighting : {"number", "length"}, optional
        Each chord counts once, or in proportion to its length (see the
        module docstring).

    Returns
    -------
    float
        0 for equal distributions; NaN when exactly one sample is empty.

    Examples
    --------
    >>> chord_distance([2, 3, 5], [4, 5, 7])  # every chord 2 longer
    2.0
    >>> chord_distance([1, 3], [3, 1])
    0.0
    """
    import scipy.stats  # slow to import; only needed here

    if weighting not in ("number", "length"):
        raise ValueError(f"chord_distance: weighting must be 'number' or 'length', "
                         f"got {weighting!r}")
    a = np.asarray(reference, dtype=np.float64).ravel()
    b = np.asarray(other, dtype=np.float64).ravel()
    if not a.size or not b.size:
        return 0.0 if a.size == b.size else float("nan")
    weights = (a, b) if weighting == "length" else (None, None)
    return float(scipy.stats.wasserstein_distance(a, b, *weights))
