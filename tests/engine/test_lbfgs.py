"""The device-native L-BFGS on problems with known minima."""

from __future__ import annotations

import pytest
import torch

from mcrkit.engine.optimizers import LBFGS, lbfgs
from mcrkit.registry import optimizers


def _rosenbrock(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().requires_grad_(True)
    value = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    value.backward()
    return value.detach(), x.grad


def test_minimizes_rosenbrock() -> None:
    x0 = torch.tensor([-1.2, 1.0, -0.5, 0.8], dtype=torch.float64)
    values: list[float] = []
    x = LBFGS().minimize(_rosenbrock, x0, max_iter=500,
                         on_iteration=lambda i, x, v: values.append(v) or False)
    torch.testing.assert_close(x, torch.ones(4, dtype=torch.float64), atol=1e-5, rtol=0)
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))  # monotone decrease


def test_quadratic_converges_in_few_iterations() -> None:
    diag = torch.tensor([1.0, 4.0, 9.0, 16.0], dtype=torch.float64)

    def quadratic(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return 0.5 * (diag * x * x).sum(), diag * x

    iterations: list[int] = []
    x = LBFGS().minimize(quadratic, torch.ones(4, dtype=torch.float64), max_iter=100,
                         on_iteration=lambda i, x, v: iterations.append(i) or False)
    assert x.abs().max() < 1e-6
    assert len(iterations) < 30


def test_callback_stops_and_state_resumes_exactly() -> None:
    x0 = torch.tensor([-1.2, 1.0, 0.3], dtype=torch.float64)
    straight = LBFGS().minimize(_rosenbrock, x0, max_iter=40, on_iteration=lambda i, x, v: False)

    first = LBFGS()
    halfway = first.minimize(_rosenbrock, x0, max_iter=40, on_iteration=lambda i, x, v: i == 15)
    resumed = LBFGS()
    resumed.load_state_dict(first.state_dict())
    final = resumed.minimize(_rosenbrock, halfway, max_iter=40, start_iteration=15,
                             on_iteration=lambda i, x, v: False)
    torch.testing.assert_close(final, straight, rtol=0, atol=0)


def test_registered_with_alias_and_validates() -> None:
    assert optimizers.get("LBFGS") is LBFGS
    with pytest.raises(ValueError, match="history_size must be >= 1"):
        LBFGS(history_size=0)


def test_bfloat16_pairs_above_the_threshold_still_minimize(monkeypatch) -> None:
    x0 = torch.tensor([-1.2, 1.0, -0.5, 0.8])
    monkeypatch.setattr(lbfgs, "LOW_PRECISION_ABOVE", 3)  # 4 entries: above
    optimizer = LBFGS()
    x = optimizer.minimize(_rosenbrock, x0, max_iter=500, on_iteration=lambda i, x, v: False)
    assert {t.dtype for t in optimizer._s + optimizer._y} == {torch.bfloat16}
    torch.testing.assert_close(x, torch.ones(4), atol=1e-3, rtol=0)
    # below the threshold (or with float32 asked for) the pairs keep the iterate's dtype
    monkeypatch.setattr(lbfgs, "LOW_PRECISION_ABOVE", 4)
    kept = LBFGS()
    kept.minimize(_rosenbrock, x0, max_iter=5, on_iteration=lambda i, x, v: False)
    assert {t.dtype for t in kept._s + kept._y} == {torch.float32}
    assert LBFGS(history_dtype="float32")._pair_dtype(10**9, torch.float32) == torch.float32


def test_state_bytes_halve_the_pairs_in_bfloat16() -> None:
    small, large = 4 * 2**20, 4 * 2**26  # float32 iterates of 2**20 and 2**26 entries
    assert LBFGS().state_bytes(small) == (2 * 10 + 6) * small
    assert LBFGS().state_bytes(large) == (10 + 6) * large
    assert LBFGS(history_dtype="float32").state_bytes(large) == (2 * 10 + 6) * large
    with pytest.raises(ValueError, match="history_dtype"):
        LBFGS(history_dtype="float16")


def test_stops_where_the_loss_has_flattened_and_resumes_the_same() -> None:
    def above_floor(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        value, grad = _rosenbrock(x)  # the loss flattens towards 0.05
        return value + 0.05, grad

    x0 = torch.tensor([-1.2, 1.0, -0.5, 0.8], dtype=torch.float64)
    values: list[float] = []
    optimizer = LBFGS(tolerance_change=0.3, patience=3)
    optimizer.minimize(above_floor, x0, max_iter=500,
                       on_iteration=lambda i, x, v: values.append(v) or False)
    # the first iteration whose loss fell by at most 30 % over the last 3, once below a
    # hundredth of the first iteration's loss
    flat = [i for i in range(3, len(values)) if values[i - 3] - values[i] <= 0.3 * values[i - 3]
            and values[i] <= lbfgs.FLAT_BELOW * values[0]]
    assert len(values) < 500 and flat[0] == len(values) - 1
    # the same function flattens above that floor too: those windows did not stop it
    assert any(values[i - 3] - values[i] <= 0.3 * values[i - 3] for i in range(3, flat[0]))
    # the losses it judges by are part of its state: a resumed run stops at the same point
    first = LBFGS(tolerance_change=0.3, patience=3)
    halfway = first.minimize(above_floor, x0, max_iter=500,
                             on_iteration=lambda i, x, v: i == len(values) - 2)
    resumed = LBFGS(tolerance_change=0.3, patience=3)
    resumed.load_state_dict(first.state_dict())
    more: list[float] = []
    resumed.minimize(above_floor, halfway, max_iter=500, start_iteration=len(values) - 2,
                     on_iteration=lambda i, x, v: more.append(v) or False)
    assert more == values[-2:]
    with pytest.raises(ValueError, match="tolerance_change"):
        LBFGS(tolerance_change=1.5)
