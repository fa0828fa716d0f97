"""Raw fidelity figures of reconstructions against originals (the verdict: test_verdict)."""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.metrics.validation import FIGURES, compare, isolated_fraction


def test_identical_and_shifted_structures_are_perfect() -> None:
    original = mcrkit.data.load("pymks_ms_64x64_1")
    for result in (original, np.roll(original, (5, -9), axis=(0, 1))):
        report = compare(original, result)
        assert set(report) == {"per_axis", "worst"} and set(report["worst"]) == set(FIGURES)
        assert set(report["per_axis"]) == {"2d"}
        for key, value in report["worst"].items():
            expected = isolated_fraction(original) if key == "isolated_fraction" else 0.0
            assert value == pytest.approx(expected, abs=1e-12), key


def test_stacked_volume_matches_on_the_z_axis_only() -> None:
    original = mcrkit.data.load("pymks_ms_64x64_1")
    volume = np.repeat(original[:, :, None], 16, axis=2)
    report = compare(original, volume)
    assert set(report["per_axis"]) == {"x", "y", "z"}
    assert report["per_axis"]["z"]["s2_rmse"] == pytest.approx(0.0, abs=1e-12)
    assert report["per_axis"]["x"]["s2_rmse"] > 0.01  # columns along z are not isotropic
    per_axis = [stats["s2_rmse"] for stats in report["per_axis"].values()]
    assert report["worst"]["s2_rmse"] == max(per_axis)


def test_noise_is_detected() -> None:
    original = mcrkit.data.load("pymks_ms_64x64_1")
    rng = np.random.default_rng(1234)
    noisy = np.where(rng.random(original.shape) < 0.05, 1 - original, original)
    report = compare(original, noisy)
    assert report["worst"]["isolated_excess"] > 0.01
    assert report["worst"]["interface_error"] > 0.2


def test_isolated_fraction_known_values() -> None:
    checkerboard = np.indices((6, 6)).sum(0) % 2
    assert isolated_fraction(checkerboard) == 1.0
    assert isolated_fraction(np.repeat([[0, 0, 1, 1]], 4, axis=0)) == 0.0


def test_three_phase_volume_fraction_error_is_the_worst_phase() -> None:
    original = np.array([[0, 1, 2, 2]] * 4)
    result = np.array([[0, 1, 1, 2]] * 4)
    assert compare(original, result, limit_to=1)["worst"]["volume_fraction_error"] == 0.25


def test_isolated_voxels_are_judged_against_the_original() -> None:
    rng = np.random.default_rng(7)
    original = mcrkit.data.load("pymks_ms_64x64_1").copy()
    flips = rng.random(original.shape) < 0.01
    noisy = np.where(flips, 1 - original, original)
    assert isolated_fraction(noisy) > 0.005
    report = compare(noisy, noisy)
    assert report["worst"]["isolated_excess"] == 0.0
    assert report["worst"]["isolated_fraction"] == isolated_fraction(noisy)
