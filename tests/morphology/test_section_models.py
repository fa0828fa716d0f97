"""3D random-set models fitted to one section: S2, fractions, Euler characteristic, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from mcrkit.generators import gaussian_random_field
from mcrkit.morphology import euler_characteristic, surface_density
from mcrkit.morphology.section_models import (
    SPREADS,
    boolean_balls,
    fit_balls,
    fit_level_cut,
    level_cut_correlation,
    level_cut_field,
    level_cut_volume,
    radial_two_point,
    section_model,
)
from mcrkit.synthetic import (
    bicontinuous,
    coated_particles,
    fibres,
    overlapping_balls,
    voronoi_grains,
)


def _s2_gap(section: np.ndarray, volume: np.ndarray, phase: int, max_lag: float) -> float:
    """Largest difference of S2 between a section and a volume at the lengths both have."""
    lengths, target = radial_two_point(section == phase, max_lag=max_lag)
    found_lengths, found = radial_two_point(volume == phase, max_lag=max_lag)
    return float(np.abs(found[np.isin(found_lengths, lengths)] - target).max())


def test_radial_two_point_is_the_mean_over_lag_vectors_of_each_length() -> None:
    mask = np.random.default_rng(0).random((12, 10)) < 0.4
    lengths, s2 = radial_two_point(mask, max_lag=3)
    direct: dict[int, list[float]] = {}
    for dx in range(-3, 4):
        for dy in range(-3, 4):
            if dx * dx + dy * dy <= 9:
                shifted = np.roll(mask, (dx, dy), axis=(0, 1))
                direct.setdefault(dx * dx + dy * dy, []).append(float((mask & shifted).mean()))
    assert np.allclose(lengths, np.sqrt(sorted(direct)))
    assert np.allclose(s2, [np.mean(direct[k]) for k in sorted(direct)])


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.7])
def test_level_cut_correlation_inverts_the_bivariate_normal(fraction: float) -> None:
    t = special.ndtri(1 - fraction)
    rho = np.array([0.95, 0.6, 0.2, -0.1])
    # P(Y1 > t, Y2 > t) = P(Y1 < -t, Y2 < -t): an independent computation by scipy
    s2 = [stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf([-t, -t]) for r in rho]
    assert np.allclose(level_cut_correlation(np.array(s2), fraction), rho, atol=2e-3)


def test_level_cut_field_matches_the_section_and_the_field_euler_characteristic() -> None:
    section = gaussian_random_field((128, 128), 3.0, seed=0)
    volume = level_cut_field(section, (48, 48, 48), rng=1)
    assert volume.mean() == pytest.approx(section.mean(), abs=1e-4)
    assert _s2_gap(section, volume, 1, 4) < 0.02  # lags 0-4: S2 from 0.5 down to ~0.37
    # Gaussian smoothing of s.d. 3: correlation exp(-r^2 / 36), lambda_2 = 1/18; the
    # Euler density of the level cut at t = 0 is -lambda_2^(3/2) / (2 pi)^2 (Adler & Taylor)
    expected = -((1 / 18) ** 1.5) / (2 * math.pi) ** 2 * volume.size
    assert euler_characteristic(volume == 1) == pytest.approx(expected, rel=0.35)
    assert np.array_equal(volume, level_cut_field(section, (48, 48, 48), rng=1))
    assert not np.array_equal(volume, level_cut_field(section, (48, 48, 48), rng=2))


def test_boolean_balls_fit_the_section_and_keep_its_fractions() -> None:
    section = overlapping_balls((128, 128, 12), radius=4, volume_fraction=0.25, rng=0)[:, :, 6]
    volume = boolean_balls(section, (32, 32, 32), rng=3)
    assert volume.mean() == pytest.approx(section.mean(), abs=1e-4)
    assert _s2_gap(section, volume, 1, 6) < 0.02
    assert np.array_equal(volume, boolean_balls(section, (32, 32, 32), rng=3))


def test_a_coat_wraps_the_balls_at_its_section_fraction() -> None:
    section = coated_particles((96, 96), radius=4, particle_fraction=0.3, coating=1.5, rng=0)
    volume = boolean_balls(section, (24, 24, 24), phase=1, coat=2, rng=0)
    for phase in range(3):
        assert (volume == phase).mean() == pytest.approx((section == phase).mean(), abs=1e-3)
    balls = volume == 1
    near = np.zeros_like(balls)
    for axis in range(3):
        for step in (-1, 1):
            near |= np.roll(balls, step, axis=axis)
    # a coat of about 1.5 voxels: nearly all of it touches a ball through a face
    assert ((volume == 2) & near).sum() > 0.8 * (volume == 2).sum()
    with pytest.raises(ValueError, match="coat"):
        boolean_balls(section, (8, 8, 8), phase=1, rng=0)


@pytest.mark.parametrize(("section", "name"), [
    (bicontinuous((96, 96, 2), rng=0)[:, :, 0], "level_cut_field"),
    # sections of balls (their discs are not a 2D Boolean model of the balls' radii)
    (overlapping_balls((128, 128, 2), radius=5, volume_fraction=0.3, polydispersity=0.3,
                       rng=0)[:, :, 0], "boolean_balls"),
    (coated_particles((96, 96, 2), radius=4, particle_fraction=0.3, coating=1.5,
                      rng=0)[:, :, 0], "boolean_balls"),
    (voronoi_grains((96, 96), n_grains=20, rng=0), ""),
])
def test_section_model_chooses_the_family_of_the_section(section: np.ndarray,
                                                          name: str) -> None:
    model = section_model(section, (16, 16, 16), rng=0)
    assert model.name == name
    assert (model.labels is None) == (name == "")
    assert "3D start" in model.note


def test_an_isotropic_volume_has_four_over_pi_times_its_sections_boundary_length() -> None:
    # S_V = 4 / pi L_A, both by the Crofton estimator of crossings on the grid; the
    # Boolean balls' S_V = (1 - phi) lambda 4 pi R^2 (Torquato 2002, ch. 3), which the grid
    # misses by the few chords shorter than a voxel; fibres along z are not isotropic
    volume = overlapping_balls((64, 64, 64), radius=5, volume_fraction=0.3, rng=0) == 1
    fraction = float(volume.mean())
    expected = (1 - fraction) * -math.log(1 - fraction) / (4 / 3 * math.pi * 125) * 100 * math.pi
    for axis in range(3):
        assert surface_density(volume, slice_axis=axis) * 4 / math.pi == pytest.approx(
            surface_density(volume), rel=0.01)
    assert surface_density(volume) == pytest.approx(expected, rel=0.06)
    along_z = fibres((48, 48, 48), radius=3, volume_fraction=0.3, axis=2, rng=0) == 1
    assert surface_density(along_z, slice_axis=2) * 4 / math.pi > 1.4 * surface_density(along_z)


def test_the_level_cut_fit_recovers_a_known_kernel_and_the_sections_surface_density() -> None:
    # a section of the level cut of white noise smoothed by a Gaussian of s.d. 3:
    # correlation exp(-r^2 / 36), second spectral moment lambda_2 = 1/18
    section = gaussian_random_field((256, 256), 3.0, seed=4)
    length, smoothness = fit_level_cut(section == 1)
    lambda_2 = (1.0 if math.isinf(smoothness) else smoothness / (smoothness - 1)) / length**2
    assert lambda_2 == pytest.approx(1 / 18, rel=0.1)
    volume = level_cut_field(section, (48, 48, 48), rng=0)
    assert surface_density(volume == 1) == pytest.approx(
        surface_density(section == 1) * 4 / math.pi, rel=0.04)
    assert fit_level_cut(section == 1) == (length, smoothness)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_level_cut_fit_tells_a_rough_matern_field_from_a_smooth_one(seed: int) -> None:
    # a plane section of the level cut of a Matern field of smoothness 2 and length 4 is the
    # 2D field of that correlation: lambda_2 = nu / ((nu - 1) l^2) = 1/8; a Gaussian
    # correlation with the same decay at lag 1 would fit its longer lags worse
    section = level_cut_volume((256, 256), (4.0, 4.0), 2.0, 0.5, rng=seed)
    length, smoothness = fit_level_cut(section == 1)
    assert smoothness == 2.0
    assert smoothness / (smoothness - 1) / length**2 == pytest.approx(1 / 8, rel=0.1)
    assert fit_level_cut(section == 1) == (length, smoothness)


def test_the_balls_fit_recovers_a_known_model_from_its_section() -> None:
    # a section of Boolean balls of radius 4 +- 30 %: the section's boundary length fixes
    # E[R^3] / E[R^2] = R (1 + p^2) / (1 + p^2 / 3); the spread is what the Euler
    # characteristic of the model's sections makes of it
    volume = overlapping_balls((192, 192, 12), radius=4, volume_fraction=0.25,
                               polydispersity=0.3, rng=0)
    section = volume[:, :, 6] == 1
    radius, spread = fit_balls(section)
    assert radius * (1 + spread**2) / (1 + spread**2 / 3) == pytest.approx(
        4 * 1.09 / 1.03, rel=0.06)
    assert spread in SPREADS
    model = boolean_balls(section.astype(np.uint8), (40, 40, 40), rng=0)
    assert surface_density(model == 1) == pytest.approx(
        surface_density(section) * 4 / math.pi, rel=0.05)
    assert fit_balls(section) == (radius, spread)
