r"""Euler characteristic density of each phase on 2D images (NumPy; characterization).

A thin descriptor over :func:`mcrkit.morphology.euler_characteristic`: per
phase, clusters minus holes per pixel, the phase with 8 neighbours and its
complement with 4 (``connectivity=2``) or the reverse (``connectivity=1``),
on the torus when ``periodic``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from mcrkit._checks import check_plane_connectivity
from mcrkit.descriptors.base import Descriptor
from mcrkit.morphology.minkowski import euler_characteristic

__all__ = ["EulerDensity"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class EulerDensity(Descriptor):
    """Euler characteristic per pixel of every phase (exact, not differentiable).

    Parameters
    ----------
    connectivity : int
        2: the phase with 8 neighbours (its complement with 4); 1: the reverse.
    periodic : bool
        Count on the torus, or in the bounded image.

    Notes
    -----
    Value shape: ``(P,)`` (every phase); a leading axis of 3 for 3D structures
    (slices normal to x, y, z).
    """

    display_name = "Euler characteristic density"
    name = "euler_density"
    differentiable: ClassVar[bool] = False
    all_phases = True

    connectivity: int = 2
    periodic: bool = True

    def __post_init__(self) -> None:
        check_plane_connectivity(self.connectivity, self.name)

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.array([
            euler_characteristic(labels == phase, connectivity=self.connectivity,
                                 periodic=self.periodic, slice_axis=0) / labels.size
            for phase in phases
        ])
