r"""Chord length distribution along the image axes (NumPy; characterization and validation).

A chord is a maximal run of consecutive pixels of one phase along a line
parallel to an axis. The chord length distribution :math:`p(\ell)` is the
fraction of chords (counted by number) of length :math:`\ell` (Torquato 2002,
ch. 2). With periodic boundaries a run that crosses the image edge continues
on the other side, and a line that lies wholly in the phase counts as one chord
of the line's length; without, chords touching the edge are discarded as
truncated. Lengths from ``max_length`` on are collected in the last bin.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mcrkit.descriptors.base import Descriptor, check_positive_int
from mcrkit.morphology.chords import chord_lengths

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

__all__ = ["ChordLength", "chord_length_counts", "chord_length_distribution", "chord_lengths",
           "mean_chord_length"]


def chord_length_counts(image: np.ndarray, axis: int, *, max_length: int,
                        periodic: bool = True) -> np.ndarray:
    """Number of chords ``n[l-1]`` of length ``l = 1..max_length`` along ``axis``.

    Chords of length ``max_length`` or longer fall into the last bin.

    Examples
    --------
    >>> chord_length_counts(np.array([[1, 1, 0, 1, 0, 0]]), axis=1, max_length=3).tolist()
    [1, 1, 0]
    """
    check_positive_int("max_length", max_length, "chord_length_counts")
    lengths = np.minimum(chord_lengths(image, axis, periodic=periodic), max_length)
    return np.bincount(lengths, minlength=max_length + 1)[1:]


def chord_length_distribution(image: np.ndarray, axis: int, *, max_length: int,
                              periodic: bool = True) -> np.ndarray:
    """Number-weighted chord length distribution ``p[l-1]`` for ``l = 1..max_length``.

    Chords of length ``max_length`` or longer fall into the last bin; an
    image without chords gives zeros.
    """
    counts = chord_length_counts(image, axis, max_length=max_length, periodic=periodic)
    return counts / max(counts.sum(), 1)


def mean_chord_length(image: np.ndarray, axis: int, *, periodic: bool = True) -> float:
    """Mean chord length in pixels along ``axis`` (NaN if there is no chord)."""
    lengths = chord_lengths(image, axis, periodic=periodic)
    return float(lengths.mean()) if lengths.size else float("nan")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChordLength(Descriptor):
    """Chord length distribution along each in-plane axis (NumPy, not differentiable).

    Parameters
    ----------
    max_length : int
        Number of length bins; longer chords count in the last bin.
    periodic : bool
        Join chords across the image edge, or discard chords touching it.

    Notes
    -----
    Value shape: ``(C, 2, max_length)`` (phase, in-plane axis, length - 1) with
    ``C = 1`` (phase 1) for two phases and ``C = P`` otherwise; a leading
    axis of 3 for 3D structures. Slices of a volume are pooled per axis.
    """

    display_name = "Chord length distribution"
    name = "chord_length"
    aliases = ("ChordLengthDistribution",)
    differentiable: ClassVar[bool] = False

    max_length: int = 32
    periodic: bool = True

    def __post_init__(self) -> None:
        check_positive_int("max_length", self.max_length, self.name)

    def _counts(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.stack([
            [chord_length_counts(labels == phase, axis, max_length=self.max_length,
                                 periodic=self.periodic)
             for axis in (-2, -1)]
            for phase in phases
        ])

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        counts = self._counts(labels, phases)
        return counts / np.maximum(counts.sum(axis=-1, keepdims=True), 1)

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        from mcrkit.descriptors._chord_length_kernels import chord_length_site
        from mcrkit.descriptors.incremental import distribution_term

        phases = self.phases(n_phases)
        channel = np.full(n_phases, -1, dtype=np.int64)
        channel[phases] = np.arange(len(phases))
        counts = self._per_axis(labels.reshape(shape), lambda batch: self._counts(batch, phases))
        return distribution_term(counts, labels, shape, target, pointwise,
                                 site=chord_length_site, channel=channel,
                                 channels=len(phases), periodic=self.periodic)

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        return value[..., ::-1, :]

    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        return value[..., axis, :]
