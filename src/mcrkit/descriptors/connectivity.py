"""Largest-cluster fraction of each phase on 2D images (NumPy; characterization).

A thin descriptor over :func:`mcrkit.morphology.largest_cluster_fraction`:
per phase and image, the fraction of the phase's pixels in its largest
cluster (0 for an image without the phase), averaged over the images.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np

from mcrkit._checks import check_plane_connectivity
from mcrkit.descriptors.base import Descriptor
from mcrkit.morphology.connectivity import largest_cluster_fraction

__all__ = ["Connectivity"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Connectivity(Descriptor):
    """Fraction of every phase in its largest cluster (exact, not differentiable).

    Parameters
    ----------
    connectivity : int
        Cluster neighbourhood: 1 (4 neighbours) or 2 (8 neighbours).
    periodic : bool
        Join clusters across the image edges.

    Notes
    -----
    Value shape: ``(P,)`` (every phase); a leading axis of 3 for 3D structures
    (slices normal to x, y, z).
    """

    display_name = "Largest-cluster fraction"
    name = "connectivity"
    differentiable: ClassVar[bool] = False
    all_phases = True

    connectivity: int = 2
    periodic: bool = True

    def __post_init__(self) -> None:
        check_plane_connectivity(self.connectivity, self.name)

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.array([
            np.mean([_or_zero(largest_cluster_fraction(image == phase,
                                                       connectivity=self.connectivity,
                                                       periodic=self.periodic))
                     for image in labels])
            for phase in phases
        ])


def _or_zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value
