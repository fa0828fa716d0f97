r"""Two-point correlation functions :math:`S_2` computed exactly by FFT.

For phase indicators :math:`I` and :math:`J` on a grid of :math:`N` pixels,

.. math::

    S_2^{IJ}(\mathbf r) = \frac{1}{N} \sum_{\mathbf x} I(\mathbf x)\, J(\mathbf x + \mathbf r),

the probability that a point lies in phase I and the point shifted by
:math:`\mathbf r` lies in phase J (Torquato 2002, *Random Heterogeneous
Materials*, ch. 2). With periodic boundaries the sum wraps around; without,
both arrays are zero-padded and each entry is divided by the number of
overlapping positions. The full map is obtained with one FFT and cropped to
the window :math:`|r_i| \le` ``limit_to`` on every axis. Known properties:
:math:`S_2(0) = \phi` and :math:`S_2(\mathbf r) \to \phi^2` for large
:math:`|\mathbf r|` in a random medium without long-range order.
"""

from __future__ import annotations

import dataclasses
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import torch

from mcrkit.descriptors.base import MCRPY_SOFT_THRESHOLD, Descriptor, check_positive_int
from mcrkit.morphology.correlation import two_point_correlation

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

__all__ = ["TwoPoint", "TwoPointCross", "two_point_correlation"]


def _window_index(n: int, limit_to: int, device: torch.device) -> torch.Tensor:
    return torch.arange(-limit_to, limit_to + 1, device=device) % n


@dataclasses.dataclass(frozen=True, kw_only=True)
class TwoPoint(Descriptor):
    """Two-point correlation S2 of each phase in a window |r_i| <= limit_to (FFT, exact).

    Parameters
    ----------
    limit_to : int
        Largest vector component on each in-plane axis.
    periodic : bool
        Periodic boundaries, or zero padding normalized by overlap counts.

    Notes
    -----
    Value shape: ``(C, 2*limit_to+1, 2*limit_to+1)`` with ``C = 1`` (phase 1)
    for two phases and ``C = P`` otherwise; entry ``[c, limit_to+i,
    limit_to+j]`` is :math:`S_2(i, j)` of phase ``c``. For a 3D structure a
    leading axis of 3 holds the slices normal to x, y and z.
    """

    display_name = "Two-point correlation S2"
    name = "two_point"
    mcrpy_names = {
        "FFTCorrelations": "with limit_to L MCRpy keeps |r| <= L-1 (a (2L-1) x (2L-1) window) "
                           "where two_point keeps |r| <= L, and MCRpy stacks multigrid levels "
                           "unless use_multigrid_descriptor is off; use limit_to=L-1 here",
        "TwoPointCorrelations": "MCRpy's holds S2 on a half-plane window whose "
                                + MCRPY_SOFT_THRESHOLD,
    }

    limit_to: int = 8
    periodic: bool = True

    def __post_init__(self) -> None:
        check_positive_int("limit_to", self.limit_to, self.name)

    def correlate(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """Batch-mean cross-correlation maps of ``(B, C, H, W)`` fields, cropped to the window."""
        height, width = first.shape[-2:]
        if self.periodic:
            shape = (height, width)
            norm = float(height * width)
        else:
            shape = (height + self.limit_to, width + self.limit_to)
            ones = torch.ones((height, width), dtype=first.dtype, device=first.device)
            norm = _torch_correlate(ones, ones, shape).clamp_min(1.0)
        corr = _torch_correlate(first, second, shape).mean(0) / norm
        rows = _window_index(shape[0], self.limit_to, first.device)
        cols = _window_index(shape[1], self.limit_to, first.device)
        return corr[..., rows[:, None], cols[None, :]]

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        return self.correlate(images, images)

    def volume_fractions(self, value: np.ndarray, n_phases: int) -> np.ndarray | None:
        return self._fractions_of(value[:, self.limit_to, self.limit_to], n_phases)

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        return np.swapaxes(value, -1, -2)

    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        """S2 along the line through r = 0 parallel to image axis ``axis``."""
        centre = self.limit_to
        return value[..., :, centre] if axis == 0 else value[..., centre, :]

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        from mcrkit.descriptors._two_point_kernels import two_point_site
        from mcrkit.descriptors.incremental import count_term, slice_norms

        lim = self.limit_to
        shifts = np.arange(-lim, lim + 1)
        offsets = np.stack(np.meshgrid(shifts, shifts, indexing="ij"), -1).reshape(-1, 2)
        entry = np.arange(len(offsets))
        upper = (offsets[:, 0] > 0) | ((offsets[:, 0] == 0) & (offsets[:, 1] > 0))
        # the window is point-symmetric: -r sits at the mirrored entry
        half = np.column_stack([offsets[upper], entry[upper], len(offsets) - 1 - entry[upper]])
        phases = self.phases(n_phases)
        channel = np.full(n_phases, -1, dtype=np.int64)
        channel[phases] = np.arange(len(phases))

        def overlap(image: tuple[int, int]) -> np.ndarray:
            return np.outer(image[0] - np.abs(shifts), image[1] - np.abs(shifts))

        return count_term(self, labels, shape, n_phases, target, pointwise,
                          slice_norms(shape, self.periodic, overlap),
                          site=two_point_site, table=half, channel=channel,
                          channels=len(phases), block=len(offsets), reach=lim,
                          periodic=self.periodic)


def _torch_correlate(a: torch.Tensor, b: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    fa = torch.fft.rfft2(a, s=shape)
    fb = fa if b is a else torch.fft.rfft2(b, s=shape)
    return torch.fft.irfft2(fa.conj() * fb, s=shape)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TwoPointCross(TwoPoint):
    """Cross-correlations S2^ij of every phase pair i < j (for three or more phases).

    Notes
    -----
    Value shape: ``(P*(P-1)/2, 2*limit_to+1, 2*limit_to+1)`` ordered as
    ``itertools.combinations(range(P), 2)``. With two phases the single pair
    follows from :class:`TwoPoint` and adds no information.
    """

    display_name = "Two-point cross-correlation"
    name = "two_point_cross"
    mcrpy_names = {
        "FFTCrossCorrelations": "with limit_to L MCRpy keeps |r| <= L-1 where "
                                "two_point_cross keeps |r| <= L; use limit_to=L-1 here",
        "CrossCorrelations": "MCRpy's " + MCRPY_SOFT_THRESHOLD,
    }
    all_phases = True

    incremental = Descriptor.incremental  # no swap kernel: recomputed by the annealer
    volume_fractions = Descriptor.volume_fractions  # pairs only

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        pairs = list(combinations(range(images.shape[1]), 2))
        first = images[:, [i for i, _ in pairs]]
        second = images[:, [j for _, j in pairs]]
        return self.correlate(first, second)

    def workspace(self, n_channels: int) -> int:
        return 4 * n_channels * (n_channels - 1)
