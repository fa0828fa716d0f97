"""smooth: one phase per voxel, noise removal, volume-fraction preservation, boundaries."""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.validation import isolated_fraction
from mcrkit.workflows import smooth

METHODS = [("gaussian", 1.0), ("median", 1.5)]


def _three_phases(shape, seed=0) -> np.ndarray:
    """Three phases (fractions about 0.6/0.25/0.15) with 5 % salt-and-pepper noise."""
    rng = np.random.default_rng(seed)
    labels = gaussian_random_field(shape, 2.0, volume_fraction=0.4, seed=seed)
    labels[(labels == 1) & (gaussian_random_field(shape, 2.0, volume_fraction=0.4,
                                                  seed=seed + 1) == 1)] = 2
    noise = rng.random(shape) < 0.05
    labels[noise] = rng.integers(0, 3, int(noise.sum()))
    return labels


@pytest.mark.parametrize(("method", "strength"), METHODS)
@pytest.mark.parametrize("shape", [(48, 40), (24, 20, 16)])
def test_every_voxel_gets_exactly_one_existing_phase_and_noise_goes(method, strength, shape):
    labels = _three_phases(shape)
    result = smooth(labels, method, strength)
    assert result.shape == labels.shape and result.dtype == labels.dtype
    assert set(np.unique(result)) <= {0, 1, 2}
    assert isolated_fraction(labels) > 0.01
    assert isolated_fraction(result) < 0.1 * isolated_fraction(labels)


@pytest.mark.parametrize(("method", "strength"), METHODS)
def test_preserving_volume_fractions_keeps_every_phase_count(method, strength) -> None:
    labels = _three_phases((24, 20, 16), seed=3)
    counts = np.bincount(labels.ravel(), minlength=3)
    free = np.bincount(smooth(labels, method, 2 * strength).ravel(), minlength=3)
    assert np.abs(free - counts).max() / labels.size > 0.005  # smoothing alone shifts them
    kept = smooth(labels, method, 2 * strength, preserve_volume_fractions=True)
    np.testing.assert_array_equal(np.bincount(kept.ravel(), minlength=3), counts)
    assert isolated_fraction(kept) < 0.1 * isolated_fraction(labels)


def test_two_phase_preservation_thresholds_the_blurred_indicator_at_the_fraction() -> None:
    labels = gaussian_random_field((32, 32), 1.5, volume_fraction=0.3, seed=5)
    from scipy.ndimage import gaussian_filter

    blurred = gaussian_filter(labels.astype(float), 2.0, mode="wrap")
    expected = blurred > np.sort(blurred.ravel())[-int(labels.sum()) - 1]
    result = smooth(labels, "gaussian", 2.0, preserve_volume_fractions=True)
    assert result.sum() == labels.sum()
    np.testing.assert_array_equal(result, expected)


def test_median_of_two_phases_is_the_median_filter() -> None:
    from scipy.ndimage import median_filter

    labels = gaussian_random_field((32, 24), 1.0, volume_fraction=0.5, seed=2)
    footprint = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
    expected = median_filter(labels, footprint=footprint, mode="wrap")
    np.testing.assert_array_equal(smooth(labels, "median", 1), expected)


def test_ties_keep_the_voxel_own_phase() -> None:
    # The centre (phase 2) sees one neighbour of phase 2, two of phase 1 and one of phase 0:
    # phases 1 and 2 tie with two votes each and phase 2 stays (a plain argmax would pick
    # phase 1). A phase-0 centre in the same spot is not part of the tie and becomes 1.
    image = np.zeros((5, 5), dtype=np.uint8)
    image[2, 2], image[1, 2], image[2, 1], image[2, 3] = 2, 2, 1, 1
    assert smooth(image, "median", 1, periodic=False)[2, 2] == 2
    image[2, 2], image[3, 2] = 0, 2
    assert smooth(image, "median", 1, periodic=False)[2, 2] == 1


def test_periodic_smoothing_commutes_with_shifts_and_mirrored_does_not() -> None:
    labels = _three_phases((20, 16), seed=4)

    def shifted(a):
        return np.roll(a, (7, 5), axis=(0, 1))

    for method, strength in METHODS:
        np.testing.assert_array_equal(smooth(shifted(labels), method, strength),
                                      shifted(smooth(labels, method, strength)))
        assert not np.array_equal(
            smooth(shifted(labels), method, strength, periodic=False),
            shifted(smooth(labels, method, strength, periodic=False)))


def test_strength_per_axis_smooths_only_along_the_axes_given() -> None:
    stripes = np.zeros((24, 24), dtype=np.uint8)
    stripes[::3] = 1  # one-voxel layers normal to x: constant along y
    for method in ("gaussian", "median"):
        np.testing.assert_array_equal(smooth(stripes, method, (0, 2)), stripes)
        assert not np.array_equal(smooth(stripes, method, 2), stripes)


def test_result_keeps_the_input_kind_and_label_values(tmp_path) -> None:
    labels = np.where(_three_phases((20, 20)) == 2, 200, _three_phases((20, 20)) * 50)
    array_result = smooth(labels.astype(np.int16), "median", 1)
    assert array_result.dtype == np.int16 and set(np.unique(array_result)) <= {0, 50, 200}
    ms = mcrkit.from_array(labels, voxel_size=0.5, source="scan")
    result = smooth(ms, "gaussian", 1)
    assert isinstance(result, mcrkit.Microstructure)
    assert result.label_values == ms.label_values and result.voxel_size == (0.5, 0.5)
    np.testing.assert_array_equal(np.asarray(result.label_values)[result.labels],
                                  smooth(labels, "gaussian", 1))
    path = tmp_path / "labels.npy"
    np.save(path, labels)
    assert smooth(path, "gaussian", 1).source == str(path)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "mean"}, "method must be one of gaussian, median, got 'mean'"),
    ({"strength": 0}, "strength must be a standard deviation > 0"),
    ({"strength": -1}, "strength must be a standard deviation > 0"),
    ({"strength": (1, 1, 1)}, r"one value or one per axis \(2\)"),
    ({"method": "median", "strength": 0.5}, "strength must be a radius >= 1"),
    ({"strength": float("nan")}, "strength must be"),
])
def test_bad_options_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        smooth(np.tile([0, 1], (8, 4)), **kwargs)


def test_a_gray_file_is_segmented_first(tmp_path) -> None:
    gray = np.kron(np.indices((4, 4)).sum(0) % 2, np.ones((4, 4), dtype=int)) * 150 + 50
    gray[5, 5] = 210  # noise inside a dark block, a bright pixel after segmentation
    np.save(tmp_path / "gray.npy", gray + np.arange(16)[None, :])  # 30+ gray levels
    smoothed = smooth(tmp_path / "gray.npy", "median", 1, threshold="otsu")
    expected = mcrkit.io.segment(gray, threshold=125)
    expected.labels[5, 5] = 0
    np.testing.assert_array_equal(smoothed.labels, expected.labels)
    assert smoothed.segmentation["method"] == "otsu"
