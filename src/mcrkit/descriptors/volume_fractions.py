r"""Volume fractions :math:`\phi_p = \frac{1}{N} \sum_{\mathbf x} I_p(\mathbf x)` of every phase."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

__all__ = ["VolumeFractions", "volume_fractions"]


def volume_fractions(labels: np.ndarray, n_phases: int) -> np.ndarray:
    """Fraction of pixels in each phase of a label array, shape ``(n_phases,)``.

    Examples
    --------
    >>> volume_fractions(np.array([[0, 1], [1, 1]]), 2)
    array([0.25, 0.75])
    """
    labels = np.asarray(labels)
    return np.bincount(labels.ravel(), minlength=n_phases)[:n_phases] / labels.size


@dataclasses.dataclass(frozen=True, kw_only=True)
class VolumeFractions(Descriptor):
    """Volume fraction of every phase.

    Notes
    -----
    Value shape: ``(P,)`` (all phases, summing to one); a leading axis of 3
    for 3D structures.
    """

    display_name = "Volume fractions"
    name = "volume_fractions"
    aliases = ("VolumeFractions",)
    all_phases = True

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        return images.mean(dim=(0, 2, 3))

    def workspace(self, n_channels: int) -> int:
        return n_channels

    def volume_fractions(self, value: np.ndarray, n_phases: int) -> np.ndarray | None:
        return np.asarray(value, dtype=np.float64)

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        return value

    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        return value  # the fractions, shared by every line

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        from mcrkit.descriptors.incremental import FixedTerm

        # swaps exchange phases between two voxels: every fraction stays as it is
        return FixedTerm(self.label_value(labels.reshape(shape), n_phases), target, pointwise)
