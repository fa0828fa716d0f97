"""Tests for mcrkit.io.segmentation: Otsu, k-means, thresholds and colors."""

import numpy as np
import pytest

from mcrkit.io import otsu_threshold, segment
from mcrkit.microstructure import MicrostructureError


def _within_class_variance(image: np.ndarray, t: float) -> float:
    """Weighted within-class variance of the split ``image > t`` (Otsu minimizes it)."""
    total = 0.0
    for part in (image[image <= t], image[image > t]):
        if part.size:
            total += part.size * part.var()
    return total / image.size


def test_otsu_matches_brute_force_on_integer_levels():
    rng = np.random.default_rng(1234)
    image = rng.choice([3, 7, 8, 40, 41, 90], size=(20, 20), p=[0.3, 0.1, 0.1, 0.2, 0.2, 0.1])
    levels = np.unique(image)
    candidates = (levels[:-1] + levels[1:]) / 2
    best = min(candidates, key=lambda t: _within_class_variance(image, t))
    assert otsu_threshold(image) == best


def test_otsu_lands_between_modes_of_bimodal_image():
    rng = np.random.default_rng(1234)
    image = np.where(rng.random((64, 64)) < 0.4, 60.0, 180.0) + rng.normal(0, 10, (64, 64))
    assert 90 < otsu_threshold(image) < 150


def test_otsu_constant_image_returns_its_value():
    assert otsu_threshold(np.full((4, 4), 7, dtype=np.uint8)) == 7.0


def test_otsu_refuses_nan():
    image = np.zeros((4, 4))
    image[1, 2] = np.nan
    with pytest.raises(MicrostructureError, match=r"NaN.*first at index \(1, 2\)"):
        otsu_threshold(image)


def test_segment_without_choice_maps_values():
    ms = segment(np.array([[0, 255], [255, 0]]))
    assert ms.label_values == (0, 255)
    assert ms.segmentation == {}


def test_segment_value_threshold_records_metadata():
    image = np.array([[0, 100], [200, 255]])
    ms = segment(image, threshold=127.5, source="scan.png")
    np.testing.assert_array_equal(ms.labels, [[0, 0], [1, 1]])
    assert ms.segmentation == {"method": "threshold", "threshold": 127.5}
    assert ms.source == "scan.png"


def test_segment_otsu_records_threshold():
    image = np.array([[10, 12, 200], [11, 198, 202]], dtype=np.uint8)
    ms = segment(image, threshold="otsu")
    assert ms.segmentation == {"method": "otsu", "threshold": 105.0}
    np.testing.assert_array_equal(ms.labels, image > 105)


def test_kmeans_recovers_three_noisy_levels():
    rng = np.random.default_rng(1234)
    truth = rng.integers(0, 3, size=(48, 48))
    image = np.array([20.0, 120.0, 220.0])[truth] + rng.normal(0, 8, truth.shape)
    ms = segment(image, phases=3)
    np.testing.assert_array_equal(ms.labels, truth)
    assert ms.segmentation["method"] == "kmeans"
    assert ms.segmentation["phases"] == 3
    np.testing.assert_allclose(ms.segmentation["centers"], [20, 120, 220], atol=1.5)


def test_kmeans_is_deterministic_and_ordered_by_intensity():
    rng = np.random.default_rng(1234)
    image = rng.integers(0, 256, size=(32, 32, 8))
    first, second = segment(image, phases=4), segment(image, phases=4)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.segmentation == second.segmentation
    means = [image[first.labels == p].mean() for p in range(4)]
    assert means == sorted(means)


def test_kmeans_refuses_more_phases_than_levels():
    image = np.array([[0, 1], [1, 2]])
    with pytest.raises(MicrostructureError, match=r"only 3 distinct gray levels.*phases=4"):
        segment(image, phases=4, source="small.png")


@pytest.mark.parametrize("phases", [1, 17, 2.5, True])
def test_phases_out_of_range(phases):
    with pytest.raises(MicrostructureError, match="phases must be an integer from 2 to 16"):
        segment(np.zeros((4, 4)), phases=phases)


def test_threshold_and_phases_together_refused():
    with pytest.raises(MicrostructureError, match="either threshold .* or phases .*not both"):
        segment(np.zeros((4, 4)), threshold=0.5, phases=2)


def test_unknown_threshold_name_refused():
    with pytest.raises(MicrostructureError, match="threshold must be a number or 'otsu'"):
        segment(np.zeros((4, 4)), threshold="li")


def test_threshold_with_one_phase_names_source_value_and_range():
    image = np.linspace(10, 20, 16).reshape(4, 4)
    with pytest.raises(MicrostructureError, match=r"scan\.tif: threshold 50 .*range from 10 to 20"):
        segment(image, threshold=50, source="scan.tif")


def test_otsu_on_constant_image_reports_one_phase():
    with pytest.raises(MicrostructureError, match=r"flat\.png: threshold 3 .*from 3 to 3"):
        segment(np.full((4, 4), 3), threshold="otsu", source="flat.png")


def test_nan_refused_before_thresholding():
    image = np.ones((4, 4))
    image[0, 3] = np.nan
    with pytest.raises(MicrostructureError, match=r"holes\.npy: contains 1 NaN"):
        segment(image, threshold=0.5, source="holes.npy")


def test_too_many_levels_suggest_segmentation():
    image = np.arange(64).reshape(8, 8)
    with pytest.raises(MicrostructureError, match=r"64 distinct values.*threshold.*phases"):
        segment(image)


def test_colors_map_to_phases_lexicographically():
    red, green, blue = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    image = np.array([[red, green], [blue, red]], dtype=np.uint8)
    ms = segment(image, channel_axis=-1)
    assert ms.label_values == (blue, green, red)
    np.testing.assert_array_equal(ms.labels, [[2, 1], [0, 2]])
    assert ms.segmentation == {"method": "colors"}


def test_equal_channels_are_gray():
    gray = np.array([[0, 255], [255, 255]], dtype=np.uint8)
    ms = segment(np.stack([gray, gray, gray], axis=0), channel_axis=0)
    assert ms.label_values == (0, 255)


def test_color_threshold_uses_luminance():
    dark, bright = (10, 0, 0), (0, 250, 0)
    image = np.array([[dark, bright], [bright, bright]], dtype=np.uint8)
    ms = segment(image, threshold="otsu", channel_axis=-1)
    np.testing.assert_array_equal(ms.labels, [[0, 1], [1, 1]])
    assert ms.segmentation["gray"].startswith("luminance")


def test_luminance_needs_three_channels():
    image = np.zeros((4, 4, 2))
    image[0, 0, 1] = 1.0
    with pytest.raises(MicrostructureError, match="luminance needs 3 color channels"):
        segment(image, threshold=0.5, channel_axis=-1)
