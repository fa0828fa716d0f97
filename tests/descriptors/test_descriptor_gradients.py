"""Autograd gradients of every differentiable descriptor against finite differences."""

import numpy as np
import pytest
import torch

from mcrkit.descriptors import (
    Correlations,
    GramMatrices,
    LinealPathApprox,
    LocalPatterns,
    TwoPoint,
    TwoPointCross,
    Variation,
    VolumeFractions,
)
from mcrkit.registry import descriptors as registry

DIRECTIONS = ((1, 0), (0, 1), (1, 1), (2, 1))

CASES = [
    TwoPoint(limit_to=2),
    TwoPoint(limit_to=2, periodic=False),
    TwoPointCross(limit_to=2),
    Correlations(limit_to=2),
    Correlations(limit_to=2, levels=2),
    Correlations(limit_to=2, levels=2, periodic=False),
    LinealPathApprox(limit_to=2, directions=DIRECTIONS, method="product"),
    LinealPathApprox(limit_to=2, directions=DIRECTIONS, method="min"),
    LinealPathApprox(limit_to=2, directions=DIRECTIONS, method="min", periodic=False),
    Variation(),
    Variation(periodic=False),
    LocalPatterns(strides=(1, 2)),
    LocalPatterns(periodic=False),
    VolumeFractions(),
    GramMatrices(layers=("conv5x5",)),  # more layers in tests/descriptors/test_gram_matrices.py
]


def _case_id(descriptor):
    return "-".join([descriptor.name, *(f"{k}={v}" for k, v in descriptor.settings().items()
                                        if k != "directions")])


def _relaxed_field(shape, n_phases, seed=1234):
    """Random field in (0.05, 0.95), values far apart (no ties for ``min`` and ``abs``)."""
    rng = np.random.default_rng(seed)
    size = n_phases * int(np.prod(shape))
    values = 0.05 + 0.9 * (rng.permutation(size) + rng.uniform(0.2, 0.8, size)) / size
    return torch.tensor(values.reshape(n_phases, *shape), dtype=torch.float64,
                        requires_grad=True)


def test_every_differentiable_descriptor_is_covered():
    differentiable = {name for name, cls in registry.available().items() if cls.differentiable}
    assert differentiable == {d.name for d in CASES}


@pytest.mark.parametrize(("shape", "n_phases"), [((8, 8), 2), ((6, 6), 3)])
@pytest.mark.parametrize("descriptor", CASES, ids=_case_id)
def test_gradcheck_2d(descriptor, shape, n_phases):
    field = _relaxed_field(shape, n_phases)
    value = descriptor.evaluate(field)
    assert value.requires_grad
    # fast_mode compares u^T J v for random u, v with finite differences: one projection of
    # the whole Jacobian, so any wrong entry shows.
    assert torch.autograd.gradcheck(descriptor.evaluate, (field,), atol=1e-7, rtol=1e-5,
                                    fast_mode=True)


@pytest.mark.parametrize("descriptor", [d for d in CASES if d.name != "gram_matrices"],
                         ids=_case_id)  # gram_matrices: vectorized Jacobian in its own tests
def test_gradcheck_full_jacobian_small_field(descriptor):
    field = _relaxed_field((6, 6), 2)
    assert torch.autograd.gradcheck(descriptor.evaluate, (field,), atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("descriptor", CASES, ids=_case_id)
def test_gradcheck_3d_per_axis(descriptor):
    field = _relaxed_field((6, 6, 6), 2)
    assert descriptor.evaluate(field).shape[0] == 3
    assert torch.autograd.gradcheck(descriptor.evaluate, (field,), atol=1e-7, rtol=1e-5,
                                    fast_mode=True)


@pytest.mark.parametrize("descriptor", CASES, ids=_case_id)
def test_random_linear_functional_matches_central_differences(descriptor):
    rng = np.random.default_rng(1234)
    field = _relaxed_field((4, 5, 6), 3)
    weights = torch.as_tensor(rng.normal(size=descriptor.evaluate(field).shape))

    def functional(f):
        return (weights * descriptor.evaluate(f)).sum()

    (gradient,) = torch.autograd.grad(functional(field), field)
    assert gradient.abs().max() > 0
    step = 1e-6
    with torch.no_grad():
        for _ in range(3):
            direction = torch.as_tensor(rng.normal(size=field.shape))
            numeric = (functional(field + step * direction)
                       - functional(field - step * direction)) / (2 * step)
            analytic = (gradient * direction).sum()
            assert analytic.item() == pytest.approx(numeric.item(), rel=1e-5, abs=1e-8)
