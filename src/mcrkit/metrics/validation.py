"""Raw fidelity figures of a reconstruction, from exact statistics on discrete labels.

:func:`slice_statistics` gives the exact slice statistics of the fidelity
table (:mod:`mcrkit.metrics.report`, judged by :mod:`mcrkit.metrics.verdict`).
:func:`compare` condenses them into raw figures for benchmarks and
``run.json``; they judge nothing (the verdict is the report's).

A 3D result is compared slice-wise: for each slicing axis (normal to x, y,
z) the statistics of all its slices are pooled and compared with the
original's (2D original: the same 2D values for every axis; 3D original: the
same axis). A 2D result of a 3D original is compared with the original's
slices normal to each axis. All phases are measured and the worst phase is reported.

=========================  =====================================================
key                        meaning
=========================  =====================================================
``s2_rmse``                RMSE of S2 over all vectors with :math:`|r| \\le` limit_to
``lineal_path_rmse``       RMSE of the lineal path along both in-plane axes, r = 0..limit_to
``chord_length_error``     relative error of the mean chord length (worst in-plane axis)
``interface_error``        relative error of the fraction of unlike face-neighbour pairs
``volume_fraction_error``  largest absolute volume-fraction difference
``isolated_fraction``      fraction of result voxels unlike all their face neighbours
``isolated_excess``        ``isolated_fraction`` above the original's (noisy
                           originals have isolated voxels of their own)
=========================  =====================================================

"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcrkit.descriptors.chord_length import chord_lengths
from mcrkit.descriptors.lineal_path import lineal_path
from mcrkit.microstructure import AXIS_NAMES, Microstructure, from_array

__all__ = ["FIGURES", "axis_pairs", "compare", "disk_mask", "fidelity_row",
           "isolated_fraction", "slice_statistics", "summarize"]

FIGURES = ("s2_rmse", "lineal_path_rmse", "chord_length_error", "interface_error",
           "volume_fraction_error", "isolated_fraction", "isolated_excess")
"""Keys of :func:`compare`'s figures (module docstring)."""


def isolated_fraction(labels: np.ndarray) -> float:
    """Fraction of voxels whose label differs from all face neighbours (periodic)."""
    isolated = np.ones(labels.shape, dtype=bool)
    for axis in range(labels.ndim):
        for shift in (1, -1):
            isolated &= np.roll(labels, shift, axis=axis) != labels
    return float(isolated.mean())


def _as_slices(labels: np.ndarray, axis: int | None) -> np.ndarray:
    """``(B, H, W)`` batch: the 2D image itself, or the slices normal to ``axis``."""
    return labels[None] if axis is None else np.moveaxis(labels, axis, 0)


def slice_statistics(labels: np.ndarray, axis: int | None, phase: int,
                     limit_to: int) -> dict[str, Any]:
    """Exact statistics of ``phase`` pooled over the slices of ``labels`` normal to ``axis``.

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) ndarray
        Discrete structure.
    axis : int or None
        Slicing axis of a volume; None for a 2D structure.
    phase : int
        Phase described.
    limit_to : int
        Largest correlation length.

    Returns
    -------
    dict
        ``s2`` (S2 of every vector with :math:`|r| \\le` ``limit_to``, row-major
        over the in-plane window), ``lineal_path`` (both in-plane axes,
        r = 0..limit_to, concatenated), ``chord_length`` (fraction of chords of
        length <= l, l = 1..2 limit_to, both in-plane axes), ``mean_chord``
        (both in-plane axes; 0 without chords), ``interface`` (fraction of unlike in-plane face
        neighbour pairs, all phases; ``interface_axes``: per in-plane axis) and
        ``volume_fraction``.
    """
    slices = _as_slices(labels, axis)
    mask = slices == phase
    spectrum = np.fft.rfft2(mask.astype(np.float64), axes=(1, 2))
    s2 = np.fft.irfft2(np.abs(spectrum) ** 2, s=mask.shape[1:], axes=(1, 2)).mean(0)
    s2 /= mask.shape[1] * mask.shape[2]
    r = np.arange(-limit_to, limit_to + 1)
    window = s2[np.ix_(r % mask.shape[1], r % mask.shape[2])]
    chords = [chord_lengths(mask, axis) for axis in (1, 2)]
    lengths = np.arange(1, 2 * limit_to + 1)
    cdf = [np.searchsorted(np.sort(c), lengths, side="right") / max(c.size, 1) for c in chords]
    unlike = [np.mean(np.roll(slices, 1, axis=axis) != slices) for axis in (1, 2)]
    return {
        "s2": window[disk_mask(limit_to)],
        "lineal_path": lineal_path(mask, limit_to=limit_to,
                                   directions=((1, 0), (0, 1))).ravel(),
        "chord_length": np.concatenate(cdf),
        "mean_chord": np.array([c.mean() if c.size else 0.0 for c in chords]),
        "interface": float(np.mean(unlike)),
        "interface_axes": np.array(unlike, dtype=float),
        "volume_fraction": float(mask.mean()),
    }


def disk_mask(limit_to: int) -> np.ndarray:
    """``(2 limit_to + 1,) * 2`` mask of the vectors with :math:`|r| \\le` ``limit_to``."""
    r = np.arange(-limit_to, limit_to + 1)
    return (r[:, None] ** 2 + r[None, :] ** 2) <= limit_to**2


def _relative(a: float, b: float) -> float:
    return abs(a - b) / b if b else float(a != b)


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def fidelity_row(want: dict[str, Any], got: dict[str, Any]) -> dict[str, float]:
    """The per-phase values of the module docstring's table from two
    :func:`slice_statistics` results (original ``want``, result ``got``)."""
    return {
        "s2_rmse": _rmse(got["s2"], want["s2"]),
        "lineal_path_rmse": _rmse(got["lineal_path"], want["lineal_path"]),
        "chord_length_error": float(max([
            _relative(g, w) for g, w in zip(got["mean_chord"], want["mean_chord"], strict=True)])),
        "interface_error": _relative(got["interface"], want["interface"]),
        "volume_fraction_error": abs(got["volume_fraction"] - want["volume_fraction"]),
    }


def axis_pairs(original_ndim: int, result_ndim: int) -> list[tuple[str, int | None, int | None]]:
    """``(name, original axis, result axis)`` of each compared slicing axis.

    A 2D result is compared with a 2D original as it is, and with each slicing
    axis of a 3D original; a 3D result slicing axis by slicing axis.

    Examples
    --------
    >>> axis_pairs(3, 2)
    [('x', 0, None), ('y', 1, None), ('z', 2, None)]
    """
    if result_ndim == 2:
        if original_ndim == 3:
            return [(AXIS_NAMES[axis], axis, None) for axis in range(3)]
        return [("2d", None, None)]
    return [(AXIS_NAMES[axis], None if original_ndim == 2 else axis, axis) for axis in range(3)]


def summarize(per_axis: dict[str, dict[str, float]]) -> dict[str, Any]:
    """:func:`compare`'s dict from its per-axis values (and the worst over the axes)."""
    worst = {key: max(stats[key] for stats in per_axis.values()) for key in FIGURES}
    return {"per_axis": per_axis, "worst": worst}


def compare(original: Any, result: Any, *, limit_to: int = 8) -> dict[str, Any]:
    """Raw fidelity figures of ``result`` against ``original`` (see the module docstring).

    Parameters
    ----------
    original : Microstructure or array_like
        Reference structure, 2D or 3D.
    result : Microstructure or array_like
        Reconstruction, 2D or 3D, with the same phases.
    limit_to : int, optional
        Largest correlation length considered.

    Returns
    -------
    dict
        ``"per_axis"``: for each slicing axis (``"x"``, ``"y"``, ``"z"``; ``"2d"``
        for a 2D result) the figures of the table above; ``"worst"``: the
        largest value of each over the axes. For a verdict use
        :func:`mcrkit.metrics.report.validation_report`.
    """
    ref = original if isinstance(original, Microstructure) else from_array(original)
    res = np.asarray(result.labels if isinstance(result, Microstructure) else result)
    if res.ndim not in (2, 3):
        raise ValueError(f"result must be 2D or 3D, got shape {res.shape}")
    reference_isolated = isolated_fraction(ref.labels)
    per_axis: dict[str, dict[str, float]] = {}
    for name, ref_axis, axis in axis_pairs(ref.ndim, res.ndim):
        rows = [fidelity_row(slice_statistics(ref.labels, ref_axis, phase, limit_to),
                             slice_statistics(res, axis, phase, limit_to))
                for phase in range(ref.n_phases)]
        per_axis[name] = {key: max(row[key] for row in rows) for key in rows[0]}
        per_axis[name]["isolated_fraction"] = isolated_fraction(res)
        per_axis[name]["isolated_excess"] = max(0.0, isolated_fraction(res) - reference_isolated)
    return summarize(per_axis)
