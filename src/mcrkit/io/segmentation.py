"""Turn gray or color images into microstructures (phase label arrays).

:func:`segment` is the one entry point every reader goes through:

============================  ===============================================
``segment(image)``            distinct values are the phases (:func:`from_array`)
``threshold=VALUE``           two phases, phase 1 where ``image > VALUE``
``threshold="otsu"``          two phases, threshold from :func:`otsu_threshold`
``phases=N``                  N phases by 1D k-means on the gray levels
============================  ===============================================

Color images are passed with ``channel_axis`` (as in scikit-image): images whose
channels are all equal are gray; otherwise, with ``threshold`` or ``phases``,
RGB is converted to luminance (ITU-R BT.709 weights, as
``skimage.color.rgb2gray``) and segmented; without them every distinct color
is one phase, phases ordered lexicographically by their channel values, and
``label_values`` holds the color tuples.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np

from mcrkit.microstructure import (
    MAX_PHASES,
    Microstructure,
    MicrostructureError,
    all_finite,
    from_array,
    sorted_index_labels,
    value_counts,
)

__all__ = ["otsu_threshold", "parse_threshold", "segment"]

LUMINANCE_WEIGHTS = (0.2125, 0.7154, 0.0721)
"""ITU-R BT.709 weights of R, G, B in the luminance of a color image."""

_HISTOGRAM_BINS = 256
_EXACT_LEVELS_MAX_RANGE = 2**16
_KMEANS_MAX_ITER = 100
_SLAB_PIXELS = 2**16
_COUNTED_COLORS = 2**16


def otsu_threshold(image: np.ndarray) -> float:
    """Otsu's threshold: the split of the gray levels with the largest between-class variance.

    Parameters
    ----------
    image : ndarray
        Gray image of any shape (integer, boolean or float, no NaN).

    Returns
    -------
    float
        Threshold ``t``; ``image > t`` is the foreground. Integer images whose
        range spans fewer than 65536 levels are evaluated on their exact levels
        and ``t`` lies halfway between two adjacent levels present in the
        image; other images use a 256-bin histogram. For a constant image the
        single value is returned (no pixel is foreground).

    Raises
    ------
    MicrostructureError
        For non-numeric images or images with NaN or infinite values.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms",
    IEEE Trans. Syst. Man Cybern. 9 (1979) 62-66.

    Examples
    --------
    >>> otsu_threshold(np.array([[0, 0, 10], [200, 210, 210]]))
    105.0
    """
    image = np.asarray(image)
    _refuse_unusable(image, "image")
    levels, counts = _gray_levels(image)
    if len(levels) == 1:
        return float(levels[0])
    weights = counts / counts.sum()
    w0 = np.cumsum(weights)[:-1]
    m = np.cumsum(weights * levels)
    between = (m[-1] * w0 - m[:-1]) ** 2 / (w0 * (1.0 - w0))
    k = int(np.argmax(between))
    return float((levels[k] + levels[k + 1]) / 2)


def segment(
    image: Any,
    *,
    threshold: float | str | None = None,
    phases: int | None = None,
    source: str = "array",
    voxel_size: tuple[float, ...] | float | None = None,
    channel_axis: int | None = None,
) -> Microstructure:
    """Segment a gray (or color) image into a microstructure.

    Parameters
    ----------
    image : (X, Y[, Z]) array_like
        Gray image or label array; with ``channel_axis``, a color image with
        one extra channel axis.
    threshold : float or "otsu", optional
        Two phases: phase 1 where ``image > threshold``. ``"otsu"`` picks the
        threshold with :func:`otsu_threshold`.
    phases : int, optional
        Number of phases (2 to 16) for a k-means segmentation of the gray
        levels; phases are numbered by increasing intensity.
    source : str, optional
        Name of the image (file name) for messages and provenance.
    voxel_size : float or tuple of float, optional
        Physical voxel size, passed to :func:`mcrkit.microstructure.from_array`.
    channel_axis : int, optional
        Axis of ``image`` holding color channels; ``None`` (default) means the
        image has none. See the module docstring for how colors are handled.

    Returns
    -------
    Microstructure
        ``segmentation`` records the method, e.g. ``{"method": "otsu",
        "threshold": 127.5}`` or ``{"method": "kmeans", "phases": 3,
        "centers": [...], "thresholds": [...]}``; ``{}`` when the image was used
        as is and ``{"method": "colors"}`` for colors mapped to phases.

    Raises
    ------
    TypeError
        For a ``threshold`` that is neither a number nor a string.
    MicrostructureError
        For both ``threshold`` and ``phases``, invalid values of them, images
        :func:`from_array` refuses (NaN, not 2D/3D, too many values), a
        threshold leaving one phase, or fewer gray levels than ``phases``.

    Notes
    -----
    k-means is Lloyd's algorithm on the gray-level histogram (exact levels for
    integer images, 256 bins otherwise), started at the ``(k + 0.5) / N``
    weighted quantiles of the levels, so the result is deterministic. A pixel
    equal to a class boundary goes to the lower class, as with ``threshold``.

    Examples
    --------
    >>> image = np.array([[10, 12, 200], [11, 198, 202]])
    >>> ms = segment(image, threshold="otsu")
    >>> ms.labels
    array([[0, 0, 1],
           [0, 1, 1]], dtype=uint8)
    >>> ms.segmentation
    {'method': 'otsu', 'threshold': 105.0}
    """
    method = _check_options(threshold, phases)
    image = np.asarray(image)
    _refuse_unusable(image, source)
    info: dict[str, Any] = {"method": method}
    if channel_axis is not None:
        colors = np.moveaxis(image, channel_axis, -1)
        if _channels_equal(colors):
            image = colors[..., 0]
        elif method is None:
            return _colors_to_phases(colors, source, voxel_size)
        else:
            image = _luminance(colors, source)
            info["gray"] = "luminance, ITU-R BT.709 weights"
    if method is None:
        return from_array(image, source=source, voxel_size=voxel_size)
    if method == "kmeans":
        labels, found = _kmeans_labels(image, phases, source)
        info.update(found)
    else:
        info["threshold"] = otsu_threshold(image) if method == "otsu" else float(threshold)
        labels = _threshold_labels(image, info["threshold"], source)
    return from_array(labels, source=source, voxel_size=voxel_size, segmentation=info)


def parse_threshold(text: str) -> float | str:
    """Read a threshold given as text (command line, web form): a number or ``"otsu"``.

    Examples
    --------
    >>> parse_threshold("127.5"), parse_threshold("Otsu")
    (127.5, 'otsu')
    """
    if text.strip().lower() == "otsu":
        return "otsu"
    try:
        return float(text)
    except ValueError:
        raise MicrostructureError(
            f"threshold must be a number or 'otsu', got {text!r}"
        ) from None


def _check_options(threshold: float | str | None, phases: int | None) -> str | None:
    """Validate ``threshold``/``phases`` and return the method name (or None)."""
    if threshold is not None and phases is not None:
        raise MicrostructureError(
            f"give either threshold (got {threshold!r}) or phases (got {phases!r}), not "
            "both: threshold makes two phases, phases=N makes N"
        )
    if phases is not None:
        if (
            not isinstance(phases, Integral)
            or isinstance(phases, bool)
            or not (2 <= phases <= MAX_PHASES)
        ):
            raise MicrostructureError(
                f"phases must be an integer from 2 to {MAX_PHASES}, got {phases!r}"
            )
        return "kmeans"
    if isinstance(threshold, str):
        if threshold.lower() != "otsu":
            raise MicrostructureError(f"threshold must be a number or 'otsu', got {threshold!r}")
        return "otsu"
    if threshold is not None:
        if not isinstance(threshold, Real) or isinstance(threshold, bool):
            raise TypeError(f"threshold must be a number or 'otsu', got {threshold!r}")
        return "threshold"
    return None


def _refuse_unusable(image: np.ndarray, source: str) -> None:
    """Raise :func:`from_array`'s error for a non-numeric image or one with NaN/inf.

    The message is worded once, in :func:`from_array`; calling it here (it
    always raises for such images) keeps that single wording.
    """
    kind = image.dtype.kind
    if kind not in "biuf" or image.size == 0 or not all_finite(image):
        from_array(image, source=source)


def _channels_equal(colors: np.ndarray) -> bool:
    """Whether all channels (last axis) of a color image are identical."""
    return all(np.array_equal(colors[..., c], colors[..., 0]) for c in range(colors.shape[-1]))


def _luminance(colors: np.ndarray, source: str) -> np.ndarray:
    """Luminance of an RGB image (channels on the last axis)."""
    if colors.shape[-1] != 3:
        raise MicrostructureError(
            f"{source}: luminance needs 3 color channels (RGB), got {colors.shape[-1]}; "
            "select one channel, or segment without threshold/phases to map colors to phases"
        )
    return colors @ np.asarray(LUMINANCE_WEIGHTS)


def _colors_to_phases(
    colors: np.ndarray, source: str, voxel_size: tuple[float, ...] | float | None
) -> Microstructure:
    """One phase per distinct color, ordered lexicographically by channel values.

    Colors of unsigned integer channels (8-bit RGB(A), 16-bit RGB, ...) are
    packed into one 64-bit code per pixel, a slab at a time, so the extra
    memory is the labels plus one slab; other colors go through ``np.unique``.
    """
    channels = colors.shape[-1]
    bits = 8 * colors.dtype.itemsize
    if colors.dtype.kind not in "bu" or bits * channels > 64:
        table, inverse = np.unique(colors.reshape(-1, channels), axis=0, return_inverse=True)
        labels = inverse.reshape(colors.shape[:-1])
    else:
        codes = np.empty(0, dtype=np.uint64)
        for part in _color_codes(colors, bits):
            codes = np.union1d(codes, part)
            if len(codes) > _COUNTED_COLORS:
                break
        if len(codes) > MAX_PHASES:  # the message of any array with that many values
            from_array(np.arange(len(codes))[None, :], source=source)
        labels = np.empty(colors.shape[:-1], dtype=np.uint8)
        flat, start = labels.reshape(-1), 0
        for part in _color_codes(colors, bits):
            flat[start:start + len(part)] = np.searchsorted(codes, part)
            start += len(part)
        shifts = np.uint64(bits) * np.arange(channels - 1, -1, -1, dtype=np.uint64)
        mask = np.uint64(2**bits - 1)
        table = ((codes[:, None] >> shifts) & mask).astype(colors.dtype)
    ms = from_array(labels, source=source, voxel_size=voxel_size,
                    segmentation={"method": "colors"})
    return dataclasses.replace(ms, label_values=tuple(tuple(c) for c in table.tolist()))


def _color_codes(colors: np.ndarray, bits: int) -> Iterator[np.ndarray]:
    """Each pixel's channels packed into one uint64 (first channel highest), slab by slab
    along the first axis, in C order of the pixels."""
    slab = math.prod(colors.shape[1:-1])
    step = max(1, _SLAB_PIXELS // max(1, slab))
    for start in range(0, len(colors), step):
        part = colors[start:start + step].reshape(-1, colors.shape[-1])
        code = np.zeros(len(part), dtype=np.uint64)
        for channel in range(part.shape[1]):
            code <<= np.uint64(bits)
            code |= part[:, channel]
        yield code


def _threshold_labels(image: np.ndarray, threshold: float, source: str) -> np.ndarray:
    """``image > threshold`` as 0/1 labels; refuse a threshold that leaves one phase."""
    labels = np.greater(image, threshold, out=np.empty(image.shape, np.uint8), casting="unsafe")
    if labels.min() == labels.max():
        raise MicrostructureError(
            f"{source}: threshold {threshold:g} puts every pixel in one phase (image "
            f"values range from {image.min():g} to {image.max():g}); choose a threshold "
            "in that range, or threshold='otsu'"
        )
    return labels


def _kmeans_labels(image: np.ndarray, n: int, source: str) -> tuple[np.ndarray, dict[str, Any]]:
    """Labels ``0..n-1`` by increasing intensity from 1D k-means, plus metadata."""
    levels, counts = _gray_levels(image)
    if len(levels) < n:
        raise MicrostructureError(
            f"{source}: has only {len(levels)} distinct gray levels, fewer than phases={n}; "
            f"use phases={len(levels)} or fewer (or no segmentation: its values are the phases)"
        )
    centers = _lloyd_1d(levels, counts, n)
    bounds = (centers[1:] + centers[:-1]) / 2
    labels = sorted_index_labels(image, bounds)
    if (value_counts(labels, minlength=n) == 0).any():
        raise MicrostructureError(
            f"{source}: k-means found fewer than phases={n} populated classes "
            f"(centers {np.round(centers, 3).tolist()}); use fewer phases"
        )
    info = {"phases": int(n), "centers": centers.tolist(), "thresholds": bounds.tolist()}
    return labels, info


def _lloyd_1d(levels: np.ndarray, counts: np.ndarray, n: int) -> np.ndarray:
    """Weighted Lloyd iterations on sorted distinct ``levels``; returns sorted centers.

    Starts at the weighted ``(k + 0.5) / n`` quantiles, moved so that the n
    starting centers are distinct levels (hence every class starts non-empty).
    """
    cumulative = np.cumsum(counts)
    index = np.searchsorted(cumulative, (np.arange(n) + 0.5) / n * cumulative[-1])
    offset = np.clip(index - np.arange(n), 0, len(levels) - n)
    centers = levels[np.maximum.accumulate(offset) + np.arange(n)].astype(float)
    assignment = None
    for _ in range(_KMEANS_MAX_ITER):
        new = np.searchsorted((centers[1:] + centers[:-1]) / 2, levels, side="left")
        if assignment is not None and np.array_equal(new, assignment):
            break
        assignment = new
        weight = np.bincount(assignment, weights=counts, minlength=n)
        total = np.bincount(assignment, weights=counts * levels, minlength=n)
        centers = np.divide(total, weight, out=centers.copy(), where=weight > 0)
    return centers


def _gray_levels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted gray levels present in ``image`` and their pixel counts.

    Exact levels for integer/boolean images spanning fewer than 65536 values;
    centers of the non-empty bins of a 256-bin histogram otherwise.
    """
    if image.dtype.kind == "b":
        image = image.view(np.uint8)
    lo, hi = image.min(), image.max()
    if lo == hi:
        return np.array([float(lo)]), np.array([float(image.size)])
    if image.dtype.kind in "iu" and int(hi) - int(lo) < _EXACT_LEVELS_MAX_RANGE:
        counts = value_counts(image, offset=int(lo))
        present = np.flatnonzero(counts)
        return (present + int(lo)).astype(float), counts[present].astype(float)
    counts, edges = np.histogram(image, bins=_HISTOGRAM_BINS, range=(float(lo), float(hi)))
    present = np.flatnonzero(counts)
    centers = (edges[:-1] + edges[1:]) / 2
    return centers[present], counts[present].astype(float)
