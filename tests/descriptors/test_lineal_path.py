"""Tests for mcrkit.descriptors.lineal_path: exact L(r) and its differentiable relaxations."""

import importlib

import numpy as np
import pytest
import torch
from _brute import lineal_path_runs, lineal_path_walk

from mcrkit.descriptors import LinealPath, LinealPathApprox, base, line_offsets, lineal_path
from mcrkit.descriptors.base import one_hot
from mcrkit.microstructure import from_array


def _binary(rng, shape, phi=0.6):
    return rng.random(shape) < phi


def _stripes(shape, width):
    """Vertical stripes of ``width`` columns (phase 1 first), period ``2 * width``."""
    columns = (np.arange(shape[1]) // width) % 2 == 0
    return np.broadcast_to(columns, shape).copy()


def test_line_offsets_axis_diagonal_and_bresenham():
    np.testing.assert_array_equal(line_offsets((1, 0), 3), [[0, 0], [1, 0], [2, 0], [3, 0]])
    np.testing.assert_array_equal(line_offsets((0, -1), 2), [[0, 0], [0, -1], [0, -2]])
    np.testing.assert_array_equal(line_offsets((1, -1), 2), [[0, 0], [1, -1], [2, -2]])
    # Rounding halves away from zero, symmetric under reversal of the direction.
    np.testing.assert_array_equal(line_offsets((2, 1), 3), [[0, 0], [1, 1], [2, 1], [3, 2]])
    np.testing.assert_array_equal(line_offsets((-2, -1), 3), -line_offsets((2, 1), 3))
    np.testing.assert_array_equal(line_offsets((1, 3), 3), [[0, 0], [0, 1], [1, 2], [1, 3]])
    # Same direction given with a common factor.
    np.testing.assert_array_equal(line_offsets((2, 2), 4), line_offsets((1, 1), 4))


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("shape", [(16, 16), (9, 13)])
def test_axis_directions_equal_run_length_count(periodic, shape):
    rng = np.random.default_rng(1234)
    image = _binary(rng, shape)
    image[3] = True  # a full row: exercises the whole-line case of the periodic count
    value = lineal_path(image, limit_to=4, directions=((1, 0), (0, 1), (-1, 0), (0, -1)),
                        periodic=periodic)
    along_x = lineal_path_runs(image, 0, 4, periodic=periodic)
    along_y = lineal_path_runs(image, 1, 4, periodic=periodic)
    np.testing.assert_allclose(value, [along_x, along_y, along_x, along_y], atol=1e-12)


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("direction", [(1, 1), (1, -1), (2, 1), (1, -2), (-3, 1)])
def test_diagonal_and_bresenham_directions_equal_walk(periodic, direction):
    rng = np.random.default_rng(1234)
    image = _binary(rng, (12, 11), phi=0.7)
    value = lineal_path(image, limit_to=5, directions=(direction,), periodic=periodic)
    expected = lineal_path_walk(image, line_offsets(direction, 5), periodic=periodic)
    np.testing.assert_allclose(value[0], expected, atol=1e-12)


def test_walk_on_axis_agrees_with_run_lengths():
    # The two brute-force references agree with each other.
    rng = np.random.default_rng(1234)
    image = _binary(rng, (10, 10))
    for periodic in (True, False):
        walk = lineal_path_walk(image, line_offsets((0, 1), 4), periodic=periodic)
        np.testing.assert_allclose(walk, lineal_path_runs(image, 1, 4, periodic=periodic))


def test_descriptor_equals_brute_force_per_phase():
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(12, 12))
    labels[:, 5] = 2  # a long run of phase 2 along x
    value = LinealPath(limit_to=5).characterize(from_array(labels))
    assert value.shape == (3, 4, 6)
    for phase in range(3):
        for d, direction in enumerate(((1, 0), (0, 1), (1, 1), (1, -1))):
            expected = lineal_path_walk(labels == phase, line_offsets(direction, 5))
            np.testing.assert_allclose(value[phase, d], expected, atol=1e-12)


def test_two_phase_descriptor_describes_both_phases():
    rng = np.random.default_rng(1234)
    image = _binary(rng, (10, 10)).astype(np.uint8)
    value = LinealPath(limit_to=3, periodic=False).characterize(from_array(image))
    assert value.shape == (2, 4, 4)
    for phase in (0, 1):
        np.testing.assert_allclose(value[phase],
                                   lineal_path(image == phase, limit_to=3, periodic=False))


@pytest.mark.parametrize("width", [1, 2, 3])
def test_stripes_known_values(width):
    image = _stripes((12, 12), width)
    phi = 0.5
    r = np.arange(6)
    across = phi * np.clip(width - r, 0, None) / width
    value = lineal_path(image, limit_to=5, directions=((1, 0), (0, 1), (1, 1), (1, -1), (2, 1)))
    np.testing.assert_allclose(value[0], phi)  # along the stripes
    np.testing.assert_allclose(value[1], across)
    np.testing.assert_allclose(value[2], across)  # diagonals step one column per pixel
    np.testing.assert_allclose(value[3], across)
    # (2, 1) moves round(r / 2) columns in r steps (halves rounded away from zero).
    columns = np.floor(r / 2 + 0.5)
    np.testing.assert_allclose(value[4], phi * np.clip(width - columns, 0, None) / width)


def test_non_periodic_stripes_count_only_segments_inside():
    image = _stripes((6, 8), 2)  # columns 1 1 0 0 1 1 0 0
    value = lineal_path(image, limit_to=3, directions=((0, 1),), periodic=False)
    # Segments of r + 1 pixels inside a row of 8: 8 - r; in phase: 4, 2, 0, 0.
    np.testing.assert_allclose(value[0], [4 / 8, 2 / 7, 0, 0])


def test_checkerboard_diagonals():
    board = (np.add.outer(np.arange(8), np.arange(8)) % 2).astype(bool)
    value = lineal_path(board, limit_to=4, directions=((1, 1), (1, -1), (1, 0), (0, 1)))
    np.testing.assert_allclose(value[:2], 0.5)
    np.testing.assert_allclose(value[2:], [[0.5, 0, 0, 0, 0]] * 2)
    # Without wrap a diagonal segment is in phase iff its start is: the fraction of phase
    # pixels among the starts whose segment fits (an odd block is not exactly half).
    value = lineal_path(board, limit_to=4, directions=((1, 1), (1, -1)), periodic=False)
    np.testing.assert_allclose(value[0], [board[:8 - r, :8 - r].mean() for r in range(5)])
    np.testing.assert_allclose(value[1], [board[:8 - r, r:].mean() for r in range(5)])
    assert value[0, 1] != 0.5


def test_properties_start_at_phi_and_never_increase():
    rng = np.random.default_rng(1234)
    image = _binary(rng, (14, 14), phi=0.8)
    for periodic in (True, False):
        value = lineal_path(image, limit_to=7, directions=((1, 0), (1, 1), (2, 1)),
                            periodic=periodic)
        np.testing.assert_allclose(value[:, 0], image.mean())
        assert (np.diff(value, axis=1) <= 1e-12).all()
        assert (value[:, -1] > 0).all()  # not trivially zero at the end


def test_batch_of_images_is_averaged():
    rng = np.random.default_rng(1234)
    batch = _binary(rng, (3, 10, 10))
    for periodic in (True, False):
        mean = np.mean([lineal_path(img, limit_to=3, periodic=periodic) for img in batch], axis=0)
        np.testing.assert_allclose(lineal_path(batch, limit_to=3, periodic=periodic), mean)


@pytest.mark.parametrize("method", ["product", "min"])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("n_phases", [2, 3])
def test_approx_equals_exact_on_binary_fields(method, periodic, n_phases):
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, n_phases, size=(12, 10))
    labels[:, 4] = n_phases - 1
    directions = ((1, 0), (0, 1), (1, 1), (1, -1), (2, 1), (-1, 3))
    exact = LinealPath(limit_to=5, directions=directions, periodic=periodic)
    approx = LinealPathApprox(limit_to=5, directions=directions, periodic=periodic, method=method)
    ms = from_array(labels)
    expected = exact.characterize(ms)
    np.testing.assert_array_equal(approx.characterize(ms), expected)
    field = one_hot(labels, n_phases, dtype=torch.float64)
    np.testing.assert_allclose(approx.evaluate(field).numpy(), expected, atol=1e-12)
    assert expected.shape == (n_phases, len(directions), 6)


def test_approx_methods_differ_on_relaxed_fields():
    rng = np.random.default_rng(1234)
    relaxed = rng.uniform(0.05, 0.95, size=(8, 8))
    field = torch.as_tensor(np.stack([1 - relaxed, relaxed]))
    product = LinealPathApprox(limit_to=3, directions=((0, 1),)).evaluate(field)[1, 0].numpy()
    minimum = LinealPathApprox(limit_to=3, directions=((0, 1),), method="min").evaluate(field)
    minimum = minimum[1, 0].numpy()
    # By hand along y (axis 1), periodic.
    shifted = [np.roll(relaxed, -k, axis=1) for k in range(4)]
    expected_product = [np.prod(shifted[:k + 1], axis=0).mean() for k in range(4)]
    expected_min = [np.min(shifted[:k + 1], axis=0).mean() for k in range(4)]
    np.testing.assert_allclose(product, expected_product, atol=1e-12)
    np.testing.assert_allclose(minimum, expected_min, atol=1e-12)
    assert (product[1:] < minimum[1:]).all()


def _relaxed_by_definition(images, direction, limit_to, periodic, method):
    """``L(r)`` of relaxed ``(C, H, W)`` images with autograd-tracked shifts (reference)."""
    combine = torch.mul if method == "product" else torch.minimum
    height, width = images.shape[-2:]
    rows = torch.arange(height)[:, None]
    cols = torch.arange(width)[None, :]
    run, values = images, []
    for k, (di, dj) in enumerate(line_offsets(direction, limit_to).tolist()):
        inside = (0 <= rows + di) & (rows + di < height) & (0 <= cols + dj) & (cols + dj < width)
        if k:
            shifted = torch.roll(images, (-di, -dj), dims=(-2, -1))
            run = combine(run, shifted if periodic else shifted * inside)
        count = height * width if periodic else int(inside.sum())
        values.append(run.sum(dim=(-2, -1)) / max(count, 1))
    return torch.stack(values, dim=-1)


@pytest.mark.parametrize("method", ["product", "min"])
@pytest.mark.parametrize("periodic", [True, False])
def test_approx_gradient_equals_autograd_of_the_definition(method, periodic):
    # Values from {0, 0.5, 1}: many ties, where the minimum splits its gradient evenly.
    rng = np.random.default_rng(1234)
    phase = rng.choice([0.0, 0.5, 1.0], size=(9, 11))
    field = torch.tensor(np.stack([1 - phase, phase]), requires_grad=True)
    directions = ((1, 0), (0, 1), (1, 1), (1, -1), (2, 1), (-1, 3))
    descriptor = LinealPathApprox(limit_to=4, directions=directions, periodic=periodic,
                                  method=method)
    expected = torch.stack([_relaxed_by_definition(field, d, 4, periodic, method)
                            for d in directions], dim=1)
    value = descriptor.evaluate(field)
    np.testing.assert_allclose(value.detach().numpy(), expected.detach().numpy(), atol=1e-12)

    weights = torch.as_tensor(rng.normal(size=value.shape))
    (gradient,) = torch.autograd.grad((weights * value).sum(), field)
    (expected_gradient,) = torch.autograd.grad((weights * expected).sum(), field)
    assert expected_gradient.abs().max() > 0
    np.testing.assert_allclose(gradient.numpy(), expected_gradient.numpy(), atol=1e-12)


@pytest.mark.parametrize("method", ["product", "min"])
def test_groups_of_images_give_the_one_group_value_and_gradient(monkeypatch, method):
    # The slices are processed in cache-sized groups of images; one image per group must
    # give the same value and gradient as all slices at once.
    rng = np.random.default_rng(1234)
    raw = rng.uniform(0.05, 0.95, size=(3, 6, 7, 8))
    field = torch.tensor(raw / raw.sum(axis=0), requires_grad=True)
    descriptor = LinealPathApprox(limit_to=3, directions=((1, 0), (1, -1), (2, 1)),
                                  method=method)
    weights = torch.as_tensor(rng.normal(size=(3, 3, 3, 4)))

    def value_and_gradient():
        value = descriptor.evaluate(field)
        (gradient,) = torch.autograd.grad((weights * value).sum(), field)
        return value.detach().numpy(), gradient.numpy()

    value, gradient = value_and_gradient()
    monkeypatch.setattr(base, "CPU_GROUP_BYTES", 1)
    grouped_value, grouped_gradient = value_and_gradient()
    np.testing.assert_allclose(grouped_value, value, atol=1e-12)
    np.testing.assert_allclose(grouped_gradient, gradient, atol=1e-12)


@pytest.mark.parametrize("periodic", [True, False])
def test_groups_of_slices_give_the_value_of_all_slices_at_once(monkeypatch, periodic):
    module = importlib.import_module("mcrkit.descriptors.lineal_path")  # not the function
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(5, 6, 7))
    descriptor = LinealPath(limit_to=2, periodic=periodic)
    expected = [np.mean([[lineal_path(np.moveaxis(labels, axis, 0)[i] == phase, limit_to=2,
                                      periodic=periodic) for phase in range(3)]
                         for i in range(labels.shape[axis])], axis=0) for axis in range(3)]
    monkeypatch.setattr(module, "NUMPY_GROUP_BYTES", 1)  # one slice per group
    np.testing.assert_allclose(descriptor.characterize(from_array(labels)), expected,
                               atol=1e-12)


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("directions", [((1, 0), (0, 1)), ((0, 1), (1, 0))])
def test_volume_lines_followed_once_equal_every_slice_orientation(periodic, directions):
    """The shortcut of a volume (each axis's lines once) against all three orientations."""
    field = torch.rand((3, 6, 7, 8), generator=torch.Generator().manual_seed(5),
                       dtype=torch.float64)
    field = (field / field.sum(dim=0)).requires_grad_(True)
    descriptor = LinealPathApprox(limit_to=3, directions=directions, periodic=periodic)
    weights = torch.rand((3, 3, 2, 4), generator=torch.Generator().manual_seed(6),
                         dtype=torch.float64)
    (descriptor.evaluate(field) * weights).sum().backward()
    got_value, got_grad = descriptor.evaluate(field).detach(), field.grad.clone()
    field.grad = None
    every_slice = base.Descriptor.evaluate(descriptor, field)
    (every_slice * weights).sum().backward()
    torch.testing.assert_close(got_value, every_slice.detach(), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(got_grad, field.grad, rtol=1e-12, atol=1e-14)
