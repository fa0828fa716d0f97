"""Smooth a microstructure of any number of phases without overlaps or holes.

Every phase indicator is filtered into a score field, and each voxel takes
the phase with the highest score (the argmax), so every voxel ends with exactly
one phase; where the voxel's own phase ties for the highest score, it stays.

============  ==========================================  ============================
method        score of phase p at a voxel                 ``strength``
============  ==========================================  ============================
``gaussian``  Gaussian-blurred indicator of p             standard deviation (voxels)
``median``    number of voxels of p in the ellipsoid      radius (voxels, >= 1)
              around the voxel: a majority vote, which
              for two phases is the median filter
============  ==========================================  ============================

Boundaries are periodic by default (the filters wrap around, like the
descriptors); ``periodic=False`` mirrors the structure at its faces instead.
Smoothing removes noise and rounds interfaces, which shrinks thin or convex
regions of a phase; ``preserve_volume_fractions=True`` keeps every phase's
voxel count exactly: phases are assigned in order of increasing fraction,
each to the free voxels where its score leads the remaining phases' most.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from mcrkit.io.inputs import as_microstructure
from mcrkit.microstructure import Microstructure

__all__ = ["SMOOTHING_METHODS", "smooth"]

SMOOTHING_METHODS = ("gaussian", "median")
"""Values of ``method`` accepted by :func:`smooth`."""


def _strengths(strength: float | Sequence[float], method: str, ndim: int) -> np.ndarray:
    values = np.asarray(strength, dtype=np.float64).ravel()
    valid = (values.size in (1, ndim) and bool(np.all(np.isfinite(values)))
             and bool(np.all(values >= 0)))
    largest = values.max() if valid else 0.0
    if not valid or (largest < 1 if method == "median" else largest <= 0):
        need = "a radius >= 1" if method == "median" else "a standard deviation > 0"
        raise ValueError(
            f"smooth: strength must be {need} in voxels (0 on an axis: none along it), one "
            f"value or one per axis ({ndim}), got {strength!r}"
        )
    return np.broadcast_to(values, (ndim,))


def _ellipsoid(radii: np.ndarray) -> np.ndarray:
    """Footprint of the voxels within the ellipsoid of ``radii`` around the centre."""
    grids = np.meshgrid(*[np.arange(-int(r), int(r) + 1) for r in radii], indexing="ij")
    # An axis with radius below 1 has only the offset 0 there.
    return sum((g / max(r, 1.0)) ** 2 for g, r in zip(grids, radii, strict=True)) <= 1


def _scores(labels: np.ndarray, n_phases: int, method: str, strengths: np.ndarray,
            periodic: bool) -> np.ndarray:
    from scipy import ndimage  # not loaded by the other workflows

    mode = "wrap" if periodic else "reflect"
    scores = np.empty((n_phases, *labels.shape),
                      dtype=np.float32 if method == "gaussian" else np.int32)
    footprint = _ellipsoid(strengths).astype(np.int32) if method == "median" else None
    for phase in range(n_phases):
        indicator = labels == phase
        if method == "gaussian":
            ndimage.gaussian_filter(indicator.astype(np.float32), tuple(strengths),
                                    output=scores[phase], mode=mode)
        else:
            ndimage.correlate(indicator.astype(np.int32), footprint, output=scores[phase],
                              mode=mode)
    return scores


def _argmax_keeping_ties(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    best = scores.argmax(axis=0)
    own = np.take_along_axis(scores, labels[None].astype(np.intp), axis=0)[0]
    return np.where(own >= scores.max(axis=0), labels, best).astype(np.uint8)


def _assign_counts(scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Labels with exactly ``counts[p]`` voxels of phase p, following the scores."""
    flat = scores.reshape(len(counts), -1).astype(np.float64)
    result = np.empty(flat.shape[1], dtype=np.uint8)
    free = np.arange(flat.shape[1])
    remaining = [int(p) for p in np.argsort(counts, kind="stable")]
    while len(remaining) > 1:
        phase = remaining.pop(0)
        lead = flat[phase, free] - flat[remaining][:, free].max(axis=0)
        chosen = np.argsort(-lead, kind="stable")[:counts[phase]]
        result[free[chosen]] = phase
        free = np.delete(free, chosen)
    result[free] = remaining[0]
    return result.reshape(scores.shape[1:])


def smooth(
    microstructure: Microstructure | np.ndarray | str | os.PathLike[str],
    method: str = "gaussian",
    strength: float | Sequence[float] = 1.0,
    *,
    periodic: bool = True,
    preserve_volume_fractions: bool = False,
    threshold: float | str | None = None,
    phases: int | None = None,
) -> Microstructure | np.ndarray:
    """Smooth the phase regions of a 2D or 3D microstructure.

    Parameters
    ----------
    microstructure : Microstructure, (X, Y[, Z]) array_like or path
        Labels with any number of phases (a path is read with
        :func:`mcrkit.io.read_microstructure`).
    method : {"gaussian", "median"}, optional
        Filter of the phase indicators (see the module docstring).
    strength : float or sequence of float, optional
        Gaussian standard deviation or median radius in voxels; one value or
        one per axis (e.g. more smoothing along an elongated axis).
    periodic : bool, optional
        Wrap around the boundaries (default) or mirror at them.
    preserve_volume_fractions : bool, optional
        Keep every phase's voxel count exactly.
    threshold : float or "otsu", optional
        Segment a gray image into two phases first, see :func:`mcrkit.io.segment`.
    phases : int, optional
        Segment a gray image into this many phases first.

    Returns
    -------
    Microstructure or ndarray
        The same kind as the input: an array with the input's label values
        and dtype for an array, else a :class:`Microstructure` with the
        input's label values, source, voxel size and unit.

    Examples
    --------
    >>> noisy = np.zeros((8, 8), dtype=int)
    >>> noisy[:, 4:] = 7
    >>> noisy[2, 1] = 7                    # an isolated pixel
    >>> smooth(noisy, "median", 1)[2, 1]
    np.int64(0)
    """
    if method not in SMOOTHING_METHODS:
        raise ValueError(
            f"smooth: method must be one of {', '.join(SMOOTHING_METHODS)}, got {method!r}"
        )
    given_array = not isinstance(microstructure, Microstructure | str | os.PathLike)
    ms = as_microstructure(microstructure, threshold=threshold, phases=phases)
    strengths = _strengths(strength, method, ms.ndim)
    scores = _scores(ms.labels, ms.n_phases, method, strengths, periodic)
    if preserve_volume_fractions:
        labels = _assign_counts(scores, np.bincount(ms.labels.ravel(), minlength=ms.n_phases))
    else:
        labels = _argmax_keeping_ties(scores, ms.labels)
    if given_array:
        original = np.asarray(microstructure)
        return np.asarray(ms.label_values, dtype=original.dtype)[labels]
    return dataclasses.replace(ms, labels=labels)
