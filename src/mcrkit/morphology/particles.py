"""Particle phases: many separate compact clusters (discs, powder grains, inclusions).

:func:`find_particles` recognizes them in an original and records, as a
:class:`ParticleSpec`, what :func:`~mcrkit.morphology.particle_repair.repair_particles`
must restore in a reconstruction: the sizes of the largest and the smallest
particle, the radius at which particles are told apart and, for particles
wrapped in a coat of another phase (a binder film), that phase.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mcrkit.morphology._common import neighbours_of

__all__ = ["ParticleSpec", "find_particles"]

PARTICLE_CLUSTER = 0.2
"""Largest share of the phase in its largest cluster."""
PARTICLE_COUNT = 10
"""Fewest clusters of a particle phase."""
PARTICLE_HOLES = 0.5
"""Most holes per cluster (particles are compact)."""
SPECK = 0.25
"""Clusters smaller than this share of the original's smallest particle are specks. A
larger share, such as the smallest particle itself, removed so many small clusters of the
gradient result of the coated-particles benchmark that the others, grown to restore the
phase's area, had too long chords."""
COAT_SHARE = 0.98
"""Smallest share of the pixels touching the particles that one other phase must hold to be
their coat."""


@dataclass(frozen=True)
class ParticleSpec:
    """What :func:`~mcrkit.morphology.particle_repair.repair_particles` restores in one
    particle phase.

    Attributes
    ----------
    phase : int
        The particle phase.
    largest : int
        Pixels of the original's largest cluster: larger clusters are cut at their necks.
    speck : int
        Clusters smaller than this (pixels; :data:`SPECK` of the original's smallest
        cluster) are specks, which are removed.
    radius : float
        Smallest distance between the centres of two particles told apart (pixels).
    cluster_density : float
        Clusters per pixel in the original.
    coat : int or None
        The phase that wraps every particle in the original (None: none does).
    """

    phase: int
    largest: int
    speck: int
    radius: float
    cluster_density: float
    coat: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready builtins."""
        return asdict(self)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ParticleSpec:
        """The spec :meth:`to_json` wrote."""
        coat = document.get("coat")
        return cls(int(document["phase"]), int(document["largest"]),
                   int(document["speck"]), float(document["radius"]),
                   float(document["cluster_density"]), None if coat is None else int(coat))

    def describe(self) -> str:
        """The spec in words."""
        coat = "" if self.coat is None else f", coated by phase {self.coat}"
        return (f"phase {self.phase}: {self.cluster_density * 1e4:.0f} particles per 100^2 "
                f"px, none over {self.largest} px{coat}")


def find_particles(labels: np.ndarray) -> list[ParticleSpec]:
    """The particle phases of a 2D label image, with what a repair must restore.

    A phase is made of particles when it has at least :data:`PARTICLE_COUNT`
    clusters, at most :data:`PARTICLE_CLUSTER` of it lies in the largest one,
    and its clusters are compact (at most :data:`PARTICLE_HOLES` holes per
    cluster). Another phase is their coat when it holds at least
    :data:`COAT_SHARE` of the pixels that touch the particles.

    Examples
    --------
    >>> from mcrkit.synthetic import coated_particles, overlapping_balls, voronoi_grains
    >>> balls = overlapping_balls((96, 96), radius=4, volume_fraction=0.2, rng=0)
    >>> [(spec.phase, spec.coat) for spec in find_particles(balls)]
    [(1, None)]
    >>> coated = coated_particles((96, 96), radius=4, particle_fraction=0.2, coating=1.5, rng=0)
    >>> [(spec.phase, spec.coat) for spec in find_particles(coated)]
    [(1, 2)]
    """
    from mcrkit.morphology.chords import chord_lengths
    from mcrkit.morphology.connectivity import cluster_sizes
    from mcrkit.morphology.minkowski import euler_characteristic

    labels = np.asarray(labels)
    if labels.ndim != 2:
        return []
    specs = []
    for k in np.unique(labels):
        mask = labels == k
        sizes = cluster_sizes(mask, periodic=True)
        if (sizes.size < PARTICLE_COUNT or sizes[0] > PARTICLE_CLUSTER * sizes.sum()
                or sizes.size - euler_characteristic(mask) > PARTICLE_HOLES * sizes.size):
            continue
        chords = np.concatenate([chord_lengths(mask, axis) for axis in (0, 1)])
        specs.append(ParticleSpec(phase=int(k), largest=int(sizes[0]),
                                  speck=math.ceil(SPECK * int(sizes[-1])),
                                  radius=round(float(chords.mean()) / 2, 1),
                                  cluster_density=sizes.size / mask.size,
                                  coat=_coat(labels, int(k))))
    return specs


def _coat(labels: np.ndarray, phase: int) -> int | None:
    """The phase holding at least :data:`COAT_SHARE` of the pixels that touch ``phase``
    (8 neighbours, periodic); None with fewer than three phases."""
    if labels.max() < 2:
        return None
    votes = np.bincount(labels[neighbours_of(labels == phase)],
                        minlength=int(labels.max()) + 1)
    votes[phase] = 0
    best = int(np.argmax(votes))
    return best if votes[best] >= COAT_SHARE * votes.sum() else None
