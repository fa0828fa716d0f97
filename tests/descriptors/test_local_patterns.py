"""Tests for mcrkit.descriptors.local_patterns: quad histograms and the Euler characteristic."""

import itertools

import numpy as np
import pytest
import torch

from mcrkit.descriptors import LocalPatterns, local_pattern_histogram, pattern_euler_density
from mcrkit.descriptors.base import one_hot
from mcrkit.microstructure import from_array


def _brute_histogram(image, stride, periodic):
    """Quad patterns counted pixel by pixel."""
    m, n = image.shape
    counts = np.zeros(16)
    rows = range(m) if periodic else range(m - stride)
    cols = range(n) if periodic else range(n - stride)
    for i in rows:
        for j in cols:
            corners = [image[i % m, j % n], image[i % m, (j + stride) % n],
                       image[(i + stride) % m, j % n], image[(i + stride) % m, (j + stride) % n]]
            counts[sum(int(c) << (3 - k) for k, c in enumerate(corners))] += 1
    return counts / counts.sum()


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("stride", [1, 3])
def test_histogram_equals_pixel_by_pixel_count(periodic, stride):
    image = np.random.default_rng(1234).random((9, 7)) < 0.4
    expected = _brute_histogram(image, stride, periodic)
    got = local_pattern_histogram(image, strides=(stride,), periodic=periodic)[0]
    np.testing.assert_allclose(got, expected, atol=1e-15)


@pytest.mark.parametrize("connectivity", [8, 4])
def test_euler_density_equals_scikit_image(connectivity):
    measure = pytest.importorskip("skimage.measure")
    rng = np.random.default_rng(1234)
    for _ in range(5):
        image = np.pad(rng.random((20, 20)) < 0.5, 1)  # empty border: periodic = isolated
        chi = pattern_euler_density(local_pattern_histogram(image)[0], connectivity) * image.size
        assert chi == pytest.approx(measure.euler_number(image, connectivity // 4), abs=1e-9)


def test_euler_density_rejects_other_connectivities():
    with pytest.raises(ValueError, match="4 or 8"):
        pattern_euler_density(np.zeros(16), 6)


@pytest.mark.parametrize("periodic", [True, False])
def test_descriptor_equals_reference_on_labels_and_relaxed_fields(periodic):
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(10, 12))
    descriptor = LocalPatterns(strides=(1, 2), periodic=periodic)
    value = descriptor.characterize(from_array(labels))
    assert value.shape == (3, 2, 16)
    for phase in range(3):
        np.testing.assert_allclose(
            value[phase], local_pattern_histogram(labels == phase, strides=(1, 2),
                                                  periodic=periodic), atol=1e-12)
    np.testing.assert_allclose(descriptor.evaluate_labels(labels, 3), value, atol=1e-12)
    # relaxed field: the expectation over independent pixels with these probabilities
    p = rng.uniform(0.1, 0.9, size=(4, 4))
    field = torch.as_tensor(np.stack([1 - p, p]))
    got = LocalPatterns().evaluate(field)[0, 0].numpy()
    assert got[0b1111] == pytest.approx(np.mean(p * np.roll(p, -1, 1) * np.roll(p, -1, 0)
                                                * np.roll(p, (-1, -1), (0, 1))), abs=1e-12)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)


def test_two_phases_describe_phase_one_and_3d_has_three_axes():
    labels = (np.random.default_rng(1234).random((6, 7, 8)) < 0.5).astype(np.uint8)
    value = LocalPatterns().evaluate(one_hot(labels, 2))
    assert value.shape == (3, 1, 1, 16)


@pytest.mark.parametrize("strides", [(), (0,), "12", (1.5,)])
def test_bad_strides_are_refused(strides):
    with pytest.raises(ValueError, match="strides|stride"):
        LocalPatterns(strides=strides)


def test_stride_must_fit_the_image():
    with pytest.raises(ValueError, match="stride 8"):
        LocalPatterns(strides=(8,)).characterize(from_array(np.eye(8, dtype=np.uint8)))


@pytest.mark.parametrize("periodic", [True, False])
def test_value_and_gradient_equal_the_product_of_the_four_pixels(periodic):
    """Against the four-fold products written out, several channels and images."""
    field = torch.rand((3, 5, 6, 7), generator=torch.Generator().manual_seed(3),
                       dtype=torch.float64)
    field = (field / field.sum(dim=0)).requires_grad_(True)
    weights = torch.rand((3, 3, 2, 16), generator=torch.Generator().manual_seed(4),
                         dtype=torch.float64)
    (LocalPatterns(strides=(1, 2), periodic=periodic).evaluate(field) * weights).sum().backward()
    got = field.grad.clone()
    field.grad = None
    expected = 0
    for axis in range(3):
        images = field.movedim(axis + 1, 0)  # (B, P, H, W)
        for row, stride in enumerate((1, 2)):
            pixels = [torch.roll(images, (-di, -dj), dims=(-2, -1))
                      for di, dj in ((0, 0), (0, stride), (stride, 0), (stride, stride))]
            if not periodic:
                h, w = images.shape[-2] - stride, images.shape[-1] - stride
                pixels = [p[..., :h, :w] for p in pixels]
            for q, bits in enumerate(itertools.product((0, 1), repeat=4)):
                factors = [p if bit else 1 - p for p, bit in zip(pixels, bits, strict=True)]
                frequency = (factors[0] * factors[1] * factors[2] * factors[3]).mean(
                    dim=(0, 2, 3))
                expected = expected + (frequency * weights[axis, :, row, q]).sum()
    expected.backward()
    torch.testing.assert_close(got, field.grad, rtol=1e-10, atol=1e-12)
