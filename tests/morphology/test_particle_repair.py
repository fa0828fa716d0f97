"""Particle phases: recognized in an original, repaired in a reconstruction."""

from __future__ import annotations

import numpy as np

from mcrkit.morphology import cluster_sizes, euler_characteristic
from mcrkit.morphology.particle_repair import (
    close_coats,
    cut_necks,
    remove_specks,
    repair_particles,
)
from mcrkit.morphology.particles import ParticleSpec, find_particles
from mcrkit.synthetic import bicontinuous, coated_particles, overlapping_balls


def discs(shape: tuple[int, int], centres: list[tuple[float, float]],
          radius: float) -> np.ndarray:
    """Phase 1: discs at ``centres`` (periodic) in phase 0."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    out = np.zeros(shape, dtype=int)
    for cy, cx in centres:
        dy = np.minimum(np.abs(yy - cy), shape[0] - np.abs(yy - cy))
        dx = np.minimum(np.abs(xx - cx), shape[1] - np.abs(xx - cx))
        out[dy**2 + dx**2 <= radius**2] = 1
    return out


def test_discs_and_coated_discs_are_particles_and_a_bicontinuous_phase_is_not() -> None:
    balls = overlapping_balls((96, 96), radius=4, volume_fraction=0.2, rng=0)
    (spec,) = find_particles(balls)
    assert spec.phase == 1 and spec.coat is None
    sizes = cluster_sizes(balls == 1)
    assert spec.largest == sizes[0] and spec.cluster_density == sizes.size / balls.size
    coated = coated_particles((96, 96), radius=4, particle_fraction=0.2, coating=1.5, rng=0)
    assert [(s.phase, s.coat) for s in find_particles(coated)] == [(1, 2)]
    assert find_particles(bicontinuous((96, 96), rng=0)) == []
    assert find_particles(balls[None]) == []             # 2D only
    assert ParticleSpec.from_json(spec.to_json()) == spec


def test_fused_discs_are_cut_at_their_necks_into_the_original_number() -> None:
    # a chain of four discs overlapping in narrow necks, and a separate disc
    image = discs((40, 80), [(20, 10), (20, 19), (20, 28), (20, 37), (20, 60)], 5)
    assert cluster_sizes(image == 1).size == 2
    cut = cut_necks(image, 1, largest=90, radius=3, into=0, clusters=5)
    assert cut > 0 and cluster_sizes(image == 1).size == 5
    assert cluster_sizes(image == 1)[0] <= 90


def test_necks_are_cut_only_as_far_as_needed_the_narrowest_first() -> None:
    # necks 6 px wide between discs 8 px apart, 4.4 px between the middle ones (9 px)
    image = discs((40, 80), [(20, 10), (20, 18), (20, 27), (20, 35)], 5)
    whole = image.copy()
    assert cut_necks(image, 1, largest=1000, radius=3, into=0) == 0  # none too large
    assert (image == whole).all()
    cut_necks(image, 1, largest=1000, radius=3, into=0, clusters=2)
    pieces = cluster_sizes(image == 1)
    single = int((discs((40, 40), [(20, 20)], 5) == 1).sum())        # 81 px
    assert pieces.size == 2 and single < pieces[1] <= pieces[0] < 2 * single  # two pairs


def test_a_cluster_across_the_periodic_edge_is_cut_like_any_other() -> None:
    image = discs((40, 40), [(20, 36), (20, 45)], 5)       # the second wraps to x = 5
    assert cluster_sizes(image == 1).size == 1
    cut_necks(image, 1, largest=90, radius=3, into=0)
    assert cluster_sizes(image == 1).size == 2


def test_specks_go_to_the_phase_around_them_and_gaps_in_a_coat_are_closed() -> None:
    image = discs((32, 32), [(16, 16)], 6)
    image[3, 3] = image[28, 5] = 1
    assert remove_specks(image, 1, 4) == 2 and cluster_sizes(image == 1).size == 1
    coated = image.copy()
    ring = discs((32, 32), [(16, 16)], 8) & (image == 0)
    coated[ring.astype(bool)] = 2
    assert euler_characteristic(coated == 2) == 0          # a ring: one cluster, one hole
    coated[16, 22:26] = 0                                  # a gap in the coat
    assert euler_characteristic(coated == 2) == 1
    assert close_coats(coated, 1, 2) > 0
    assert euler_characteristic(coated == 2) == 0
    assert not ((coated == 0) & (np.roll(coated, 1, axis=1) == 1)).any()


def test_the_repair_keeps_every_phase_area_and_reaches_the_original_statistics() -> None:
    original = overlapping_balls((96, 96), radius=4, volume_fraction=0.2, rng=1)
    (spec,) = find_particles(original)
    fused = overlapping_balls((96, 96), radius=5, volume_fraction=0.28, rng=2)
    fused[::29, ::31] = 1                                  # and a few specks
    repaired = repair_particles(fused, [spec])
    assert [(repaired == k).sum() for k in (0, 1)] == [(fused == k).sum() for k in (0, 1)]
    sizes = cluster_sizes(repaired == 1)
    assert cluster_sizes(fused == 1)[0] > spec.largest
    assert sizes.size >= round(spec.cluster_density * repaired.size) - 2
    assert sizes[0] <= 1.2 * spec.largest and sizes[-1] >= spec.speck
