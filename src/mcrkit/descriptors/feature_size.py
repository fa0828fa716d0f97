"""Opening granulometry of each phase on 2D images (NumPy; characterization).

A thin descriptor over :func:`mcrkit.morphology.opening_radius_map`: per
phase, the fraction of the image covered by features of opening radius at
least r (discs of radius r fit inside them), for r = 1..max_radius pixels.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from mcrkit.descriptors.base import Descriptor, check_positive_int
from mcrkit.morphology.feature_size import opening_radius_map

__all__ = ["FeatureSize"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeatureSize(Descriptor):
    """Area fraction of every phase in features of radius >= r (exact, not differentiable).

    Parameters
    ----------
    max_radius : int
        Largest disc radius in pixels.
    periodic : bool
        Periodic boundaries, or a bounded image.

    Notes
    -----
    Value shape: ``(P, max_radius)``; entry ``[p, r - 1]`` is the fraction of
    the image whose pixels of phase ``p`` have opening radius >= r (at most
    the phase's area fraction). A leading axis of 3 for 3D structures (slices
    normal to x, y, z).
    """

    display_name = "Feature size (opening granulometry)"
    name = "feature_size"
    differentiable: ClassVar[bool] = False
    all_phases = True

    max_radius: int = 8
    periodic: bool = True

    def __post_init__(self) -> None:
        check_positive_int("max_radius", self.max_radius, self.name)

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        radii = np.arange(1, self.max_radius + 1)
        value = np.zeros((len(phases), self.max_radius))
        for image in labels:
            for row, phase in enumerate(phases):
                radius = opening_radius_map(image == phase, periodic=self.periodic,
                                            radii=radii)
                value[row] += (radius[..., None] >= radii).sum(axis=(0, 1)) / image.size
        return value / len(labels)
