"""The relaxed field parametrization: simplex by construction, round trips to labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mcrkit.engine.field import (
    field_from_params,
    initial_params,
    labels_from_params,
    params_from_field,
    params_from_labels,
)


@pytest.mark.parametrize("n_phases", [2, 3, 5])
def test_field_is_on_the_simplex_for_any_logits(n_phases: int) -> None:
    theta = 20 * torch.randn((n_phases - 1, 6, 7, 5), generator=torch.Generator().manual_seed(3))
    field = field_from_params(theta)
    assert field.shape == (n_phases, 6, 7, 5)
    assert field.min() >= 0 and field.max() <= 1
    torch.testing.assert_close(field.sum(0), torch.ones(6, 7, 5))


def test_two_phases_reduce_to_sine_squared() -> None:
    theta = torch.linspace(-4, 4, 9).reshape(1, 3, 3)
    torch.testing.assert_close(field_from_params(theta)[1], torch.sin(theta[0]).square())


@pytest.mark.parametrize("n_phases", [2, 3, 6])
def test_inverse_map_reproduces_any_simplex_field(n_phases: int) -> None:
    raw = torch.rand((n_phases, 4, 5), generator=torch.Generator().manual_seed(5),
                     dtype=torch.float64)
    raw[:, 0, 0] = torch.eye(n_phases, dtype=torch.float64)[-1]  # a vertex of the simplex
    field = raw / raw.sum(0)
    torch.testing.assert_close(field_from_params(params_from_field(field)), field)


def test_gradient_does_not_vanish_near_a_discrete_state() -> None:
    # Softmax logits need |theta| -> infinity to reach 0.999; here the slope stays O(1).
    theta = params_from_field(torch.tensor([[0.001], [0.999]], dtype=torch.float64))
    theta.requires_grad_(True)
    field_from_params(theta)[1].sum().backward()
    assert theta.grad.abs().item() > 0.05


@pytest.mark.parametrize("n_phases", [2, 4])
def test_labels_round_trip_through_logits(n_phases: int) -> None:
    labels = np.random.default_rng(1234).integers(0, n_phases, (8, 9)).astype(np.uint8)
    theta = params_from_labels(labels, n_phases, confidence=0.8)
    np.testing.assert_array_equal(labels_from_params(theta), labels)
    field = field_from_params(theta)
    chosen = field.gather(0, torch.as_tensor(labels.astype(np.int64))[None])
    torch.testing.assert_close(chosen, torch.full_like(chosen, 0.8))


def test_initial_params_have_the_target_volume_fractions_on_average() -> None:
    vf = np.array([0.5, 0.3, 0.2])
    theta = initial_params((64, 64), vf, generator=torch.Generator().manual_seed(0), noise=0.0)
    mean = field_from_params(theta).mean(dim=(1, 2)).numpy()
    np.testing.assert_allclose(mean, vf, rtol=1e-5)
    noisy = initial_params((64, 64), vf, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(field_from_params(noisy).mean(dim=(1, 2)).numpy(), vf, atol=0.01)


def test_initial_params_are_reproducible_and_seed_dependent() -> None:
    vf = np.array([0.6, 0.4])

    def draw(seed: int) -> torch.Tensor:
        return initial_params((5, 5, 5), vf, generator=torch.Generator().manual_seed(seed))

    torch.testing.assert_close(draw(7), draw(7))
    assert not torch.equal(draw(7), draw(8))


def test_confidence_outside_the_open_interval_is_refused() -> None:
    with pytest.raises(ValueError, match=r"confidence must lie in \(1/3, 1\)"):
        params_from_labels(np.zeros((2, 2), np.uint8), 3, confidence=0.3)
