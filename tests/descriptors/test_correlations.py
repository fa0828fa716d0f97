"""Tests for mcrkit.descriptors.correlations: the Gram matrix of shifted products is S2/S3."""

import numpy as np
import pytest
import torch
from _brute import s2, s3

from mcrkit.descriptors import (
    Correlations,
    base,
    correlation_vectors,
    three_point_correlation,
)
from mcrkit.descriptors.base import one_hot
from mcrkit.microstructure import from_array


@pytest.fixture
def binary():
    rng = np.random.default_rng(1234)
    return (rng.random((12, 12)) < 0.55).astype(np.uint8)


def test_correlation_vectors_are_the_half_plane_window():
    for limit_to in (1, 2, 3, 4):
        vectors = correlation_vectors(limit_to)
        assert vectors.shape == (limit_to**2 + (limit_to - 1) ** 2, 2)
        as_set = {tuple(v) for v in vectors.tolist()}
        assert len(as_set) == len(vectors)
        # No vector together with its reverse, and every window vector or its reverse is in.
        assert all((-i, -j) not in as_set for i, j in as_set if (i, j) != (0, 0))
        window = {(i, j) for i in range(-limit_to + 1, limit_to)
                  for j in range(-limit_to + 1, limit_to)}
        covered = as_set | {(-i, -j) for i, j in as_set}
        assert covered >= {(i, j) for i, j in window if i >= 0}
        assert np.abs(vectors).max() == limit_to - 1


@pytest.mark.parametrize("periodic", [True, False])
def test_gram_equals_brute_force_triple_products(binary, periodic):
    vectors = correlation_vectors(3).tolist()
    expected = s3(binary, vectors, periodic=periodic)
    if not periodic:  # the edges matter on this small image
        assert not np.allclose(expected, s3(binary, vectors))

    descriptor = Correlations(limit_to=3, periodic=periodic)
    characterized = descriptor.characterize(from_array(binary))
    evaluated = descriptor.evaluate(one_hot(binary, 2)).numpy()
    function = three_point_correlation(binary, limit_to=3, periodic=periodic)

    assert characterized.shape == (1, 1, 13, 13)
    np.testing.assert_allclose(characterized[0, 0], expected, atol=1e-6)
    np.testing.assert_allclose(evaluated[0, 0], expected, atol=1e-6)
    np.testing.assert_allclose(function, expected, atol=1e-6)


@pytest.mark.parametrize("periodic", [True, False])
def test_diagonal_is_s2_at_the_vectors(binary, periodic):
    gram = Correlations(limit_to=3, periodic=periodic).characterize(from_array(binary))[0, 0]
    full = s2(binary, limit_to=2, periodic=periodic)
    expected = [full[2 + i, 2 + j] for i, j in correlation_vectors(3).tolist()]
    np.testing.assert_allclose(np.diag(gram), expected, atol=1e-6)
    assert gram[0, 0] == pytest.approx(binary.mean(), abs=1e-6)


def test_gram_is_symmetric_and_first_row_is_s2(binary):
    gram = three_point_correlation(binary, limit_to=3)
    np.testing.assert_allclose(gram, gram.T, atol=1e-12)
    # S3(0, 0, r) = S2(r) for a binary field.
    np.testing.assert_allclose(gram[0], np.diag(gram), atol=1e-12)


def test_three_phases_give_one_gram_per_phase():
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(10, 10))
    value = Correlations(limit_to=2).characterize(from_array(labels))
    assert value.shape == (1, 3, 5, 5)
    vectors = correlation_vectors(2).tolist()
    for phase in range(3):
        np.testing.assert_allclose(value[0, phase], s3(labels == phase, vectors), atol=1e-6)


@pytest.mark.parametrize("periodic", [True, False])
def test_numpy_function_equals_descriptor_on_relaxed_fields(periodic):
    rng = np.random.default_rng(1234)
    relaxed = rng.uniform(0.05, 0.95, size=(10, 12))
    field = torch.as_tensor(np.stack([1 - relaxed, relaxed]))
    value = Correlations(limit_to=3, periodic=periodic).evaluate(field)[0, 0].numpy()
    np.testing.assert_allclose(value, three_point_correlation(relaxed, limit_to=3,
                                                              periodic=periodic), atol=1e-12)


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("relaxed", [False, True])
def test_multigrid_level_is_descriptor_of_pooled_field(binary, periodic, relaxed):
    rng = np.random.default_rng(1234)
    if relaxed:
        phase = rng.uniform(0.05, 0.95, size=(12, 12))
        field = torch.as_tensor(np.stack([1 - phase, phase]))
    else:
        field = one_hot(binary, 2)
    pooled = field.reshape(2, 6, 2, 6, 2).mean(dim=(2, 4))

    two_levels = Correlations(limit_to=3, levels=2, periodic=periodic).evaluate(field)
    one_level = Correlations(limit_to=3, periodic=periodic)
    assert two_levels.shape == (2, 1, 13, 13)
    np.testing.assert_allclose(two_levels[0].numpy(), one_level.evaluate(field)[0].numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(two_levels[1].numpy(), one_level.evaluate(pooled)[0].numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(
        two_levels[1, 0].numpy(),
        three_point_correlation(pooled[1].numpy(), limit_to=3, periodic=periodic),
        atol=1e-12,
    )
    # The coarse level is a different statistic, not a copy of the fine one.
    assert not np.allclose(two_levels[0].numpy(), two_levels[1].numpy())


def test_multigrid_characterize_matches_pooled_brute_force(binary):
    value = Correlations(limit_to=3, levels=2).characterize(from_array(binary))
    pooled = binary.reshape(6, 2, 6, 2).mean(axis=(1, 3))
    vectors = correlation_vectors(3)
    expected = np.empty((len(vectors), len(vectors)))
    for a, (ia, ja) in enumerate(vectors.tolist()):
        for b, (ib, jb) in enumerate(vectors.tolist()):
            total = 0.0
            for x in range(6):
                for y in range(6):
                    total += (pooled[x, y] ** 2 * pooled[(x + ia) % 6, (y + ja) % 6]
                              * pooled[(x + ib) % 6, (y + jb) % 6])
            expected[a, b] = total / 36
    np.testing.assert_allclose(value[1, 0], expected, atol=1e-6)


@pytest.mark.parametrize("periodic", [True, False])
def test_groups_of_images_give_the_one_group_value_and_gradient(monkeypatch, periodic):
    # The slices are processed in cache-sized groups of images; one image per group must
    # give the same value and gradient as all slices at once.
    rng = np.random.default_rng(1234)
    raw = rng.uniform(0.05, 0.95, size=(3, 5, 6, 7))
    field = torch.tensor(raw / raw.sum(axis=0), requires_grad=True)
    descriptor = Correlations(limit_to=3, periodic=periodic)
    weights = torch.as_tensor(rng.normal(size=(3, 3, 13, 13)))

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
def test_blocks_of_rows_give_the_exact_gram(monkeypatch, binary, periodic):
    # An image whose shifted copies exceed the group budget (a 512^2 slice: 126 MiB) is
    # taken a block of rows at a time; with a 1-byte budget every row is its own block.
    monkeypatch.setattr(base, "CPU_GROUP_BYTES", 1)
    vectors = correlation_vectors(3).tolist()
    value = Correlations(limit_to=3, periodic=periodic).characterize(from_array(binary))
    np.testing.assert_allclose(value[0, 0], s3(binary, vectors, periodic=periodic), atol=1e-6)


@pytest.mark.parametrize("periodic", [True, False])
def test_single_vector_gradient_leaves_the_field_alone(periodic):
    # limit_to 1 keeps the vector r = 0 alone: G = mean(I^4), gradient 4 I^3 / N. The
    # padding is empty then, so the shifted images are views of the field itself, and the
    # gradient must not work in them.
    rng = np.random.default_rng(1234)
    phase = rng.uniform(0.05, 0.95, size=(5, 4))
    field = torch.tensor(np.stack([1 - phase, phase]), requires_grad=True)
    before = field.detach().clone()
    value = Correlations(limit_to=1, periodic=periodic).evaluate(field)
    (gradient,) = torch.autograd.grad(value.sum(), field)
    np.testing.assert_allclose(value.item(), np.mean(phase**4), rtol=1e-12)
    np.testing.assert_allclose(gradient[1].numpy(), 4 * phase**3 / phase.size, rtol=1e-12)
    assert torch.equal(gradient[0], torch.zeros_like(gradient[0]))
    assert torch.equal(field.detach(), before)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_symmetric_update_equals_the_full_matrix_product(dtype):
    # On a CPU the Gram matrix comes from the upper triangle of a BLAS rank-k update,
    # mirrored: it must equal the full product, lower triangle included.
    from mcrkit.descriptors.correlations import _gram_of_rows

    matrix = torch.as_tensor(np.random.default_rng(1234).normal(size=(2, 7, 50)), dtype=dtype)
    gram = _gram_of_rows(matrix)
    assert gram.dtype == torch.float64
    expected = (matrix.double() @ matrix.double().mT).numpy()
    tolerance = 1e-4 if dtype == torch.float32 else 1e-12
    np.testing.assert_allclose(gram.numpy(), expected, rtol=tolerance, atol=tolerance)


def _value_and_gradient(descriptor, field, weights):
    leaf = field.clone().requires_grad_()
    value = descriptor.evaluate(leaf)
    (gradient,) = torch.autograd.grad((weights * value).sum(), leaf)
    return value.detach().double().numpy(), gradient.double().numpy()


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cpu_kernels_equal_the_tensor_route(monkeypatch, periodic, dtype):
    # The CPU route (BLAS products, compiled gradient scatter) against the route other
    # devices take (PyTorch products and scatter), on three phases of a small 3D field.
    from mcrkit.descriptors import correlations

    rng = np.random.default_rng(1234)
    raw = rng.uniform(0.05, 0.95, size=(3, 6, 7, 5))
    field = torch.as_tensor(raw / raw.sum(axis=0), dtype=dtype)
    descriptor = Correlations(limit_to=3, periodic=periodic)
    weights = torch.as_tensor(rng.normal(size=(3, 1, 3, 13, 13)), dtype=dtype)
    assert correlations._uses_blas(field)  # the tests run one intra-op thread (conftest)
    blas_value, blas_gradient = _value_and_gradient(descriptor, field, weights)
    # PyTorch's products with the compiled scatter (several threads), then all in PyTorch
    monkeypatch.setattr(correlations, "_uses_blas", lambda tensor: False)
    mixed_value, mixed_gradient = _value_and_gradient(descriptor, field, weights)
    monkeypatch.setattr(correlations, "_compiled", lambda tensor: False)
    value, gradient = _value_and_gradient(descriptor, field, weights)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    for other_value, other_gradient in ((blas_value, blas_gradient),
                                        (mixed_value, mixed_gradient)):
        np.testing.assert_allclose(other_value, value, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(other_gradient, gradient, rtol=tolerance, atol=tolerance)


def test_float32_gradient_equals_float64_gradient():
    # The float64 route is checked against finite differences (test_descriptor_gradients);
    # float32 runs the same kernels in single precision.
    rng = np.random.default_rng(1234)
    raw = rng.uniform(0.05, 0.95, size=(2, 9, 10))
    field = torch.as_tensor(raw / raw.sum(axis=0))
    weights = torch.as_tensor(rng.normal(size=(1, 1, 13, 13)))
    descriptor = Correlations(limit_to=3)
    value, gradient = _value_and_gradient(descriptor, field, weights)
    value32, gradient32 = _value_and_gradient(descriptor, field.float(), weights.float())
    np.testing.assert_allclose(value32, value, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gradient32, gradient, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2])
def test_blas_route_only_on_one_thread_and_on_that_thread(threads):
    # One intra-op thread: the BLAS runs on the calling thread. More: PyTorch's pool does
    # the products (a second pool of BLAS threads would spin beside it).
    from threadpoolctl import threadpool_info

    from mcrkit.descriptors.correlations import _blas_threads, _uses_blas

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        route = _uses_blas(torch.zeros(1))
        with _blas_threads(torch.zeros(1)):
            counts = {info["num_threads"] for info in threadpool_info()
                      if info["user_api"] == "blas"}
    finally:
        torch.set_num_threads(before)
    assert route == (threads == 1)
    if route:
        assert counts == {1}
