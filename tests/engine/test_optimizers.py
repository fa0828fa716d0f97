"""Every registered gradient optimizer against the contract of ``Optimizer.minimize``
(annealing, which works on discrete labels, is tested in test_annealing.py)."""

from __future__ import annotations

import io

import pytest
import torch

from mcrkit.engine.optimizers import SGD, Adam, Optimizer
from mcrkit.registry import optimizers

NAMES = [name for name in optimizers.names() if not optimizers.get(name).discrete]
RESUMABLE = [name for name in NAMES if optimizers.get(name).resumable]
ALIASES = [(alias, name) for name in optimizers.names() for alias in optimizers.get(name).aliases]

DIAG = torch.tensor([[1.0, 2.0, 3.0], [1.5, 2.5, 0.8]], dtype=torch.float64)
TARGET = torch.tensor([[0.6, -0.4, 0.8], [-0.2, 0.3, 1.0]], dtype=torch.float64)


def _quadratic(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    diag, target = DIAG.to(x.dtype), TARGET.to(x.dtype)
    return 0.5 * (diag * (x - target) ** 2).sum(), diag * (x - target)


def _rosenbrock(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A milder Rosenbrock valley (factor 10) over the flattened entries."""
    x = x.detach().requires_grad_(True)
    flat = x.flatten()
    value = (10 * (flat[1:] - flat[:-1] ** 2) ** 2 + (1 - flat[:-1]) ** 2).sum()
    value.backward()
    return value.detach(), x.grad


def _run(optimizer: Optimizer, fn, x0: torch.Tensor, *, max_iter: int, start_iteration: int = 0,
         stop_at: int | None = None) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor, float]]]:
    """Minimize and record every ``on_iteration`` call; stop after ``stop_at``."""
    calls: list[tuple[int, torch.Tensor, float]] = []

    def on_iteration(iteration: int, x: torch.Tensor, value: float) -> bool:
        calls.append((iteration, x, value))
        return iteration == stop_at

    x = optimizer.minimize(fn, x0, max_iter=max_iter, on_iteration=on_iteration,
                           start_iteration=start_iteration)
    return x, calls


@pytest.mark.parametrize("name", NAMES)
def test_minimizes_a_quadratic(name: str) -> None:
    x, calls = _run(optimizers.get(name)(), _quadratic, torch.zeros(2, 3, dtype=torch.float64),
                    max_iter=500)
    torch.testing.assert_close(x, TARGET, atol=1e-4, rtol=0)
    iteration, last_x, last_value = calls[-1]
    torch.testing.assert_close(last_x, x, atol=0, rtol=0)
    assert last_value == float(_quadratic(last_x)[0])  # the value reported is that of the iterate


@pytest.mark.parametrize("name", ["lbfgs", "lbfgsb", "tnc"])
def test_second_order_methods_minimize_rosenbrock(name: str) -> None:
    x, _ = _run(optimizers.get(name)(), _rosenbrock, torch.zeros(2, 3, dtype=torch.float64),
                max_iter=100)
    torch.testing.assert_close(x, torch.ones(2, 3, dtype=torch.float64), atol=1e-3, rtol=0)


@pytest.mark.parametrize("name", NAMES)
def test_keeps_dtype_and_shape(name: str) -> None:
    optimizer = optimizers.get(name)()
    x, calls = _run(optimizer, _rosenbrock, torch.zeros(2, 3), max_iter=3)
    assert [c[0] for c in calls] == [1, 2, 3]
    for result in [x] + [c[1] for c in calls]:
        assert (result.dtype, result.shape) == (torch.float32, (2, 3))
    assert optimizer.evaluations >= 3


@pytest.mark.parametrize("name", NAMES)
def test_stops_when_the_callback_asks_and_counts_from_start_iteration(name: str) -> None:
    x0 = torch.zeros(2, 3, dtype=torch.float64)
    x, calls = _run(optimizers.get(name)(), _rosenbrock, x0, max_iter=50, stop_at=3)
    assert [c[0] for c in calls] == [1, 2, 3]
    torch.testing.assert_close(x, calls[-1][1], atol=0, rtol=0)

    _, calls = _run(optimizers.get(name)(), _rosenbrock, x, max_iter=7, start_iteration=3)
    assert [c[0] for c in calls] == [4, 5, 6, 7]


@pytest.mark.parametrize("name", RESUMABLE)
def test_resumes_exactly_from_saved_state(name: str) -> None:
    x0 = torch.zeros(2, 3, dtype=torch.float64)
    straight, _ = _run(optimizers.get(name)(), _rosenbrock, x0, max_iter=12)

    first = optimizers.get(name)()
    halfway, _ = _run(first, _rosenbrock, x0, max_iter=12, stop_at=5)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)  # a checkpoint holds plain data only
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)

    resumed = optimizers.get(name)()
    resumed.load_state_dict(state)
    final, calls = _run(resumed, _rosenbrock, halfway, max_iter=12, start_iteration=5)
    assert [c[0] for c in calls] == list(range(6, 13))
    torch.testing.assert_close(final, straight, atol=0, rtol=0)
    assert resumed.evaluations > first.evaluations


@pytest.mark.parametrize("name", sorted(set(NAMES) - set(RESUMABLE)))
def test_others_restart_without_state(name: str) -> None:
    optimizer = optimizers.get(name)()
    assert optimizer.state_dict() == {}
    with pytest.raises(ValueError, match="cannot restore a saved state"):
        optimizer.load_state_dict({"evaluations": 3})


@pytest.mark.parametrize(("alias", "name"), ALIASES)
def test_aliases_resolve(alias: str, name: str) -> None:
    assert optimizers.get(alias) is optimizers.get(name)


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown optimizer 'Momentum'\. Available: .*adam"):
        optimizers.get("Momentum")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Adam(learning_rate=0), "adam: learning_rate must be > 0, got 0"),
        (lambda: SGD(momentum=1.0), r"sgd: momentum must be in \[0, 1\), got 1.0"),
        (lambda: optimizers.get("lbfgsb")(history_size=0), "history_size must be >= 1"),
    ],
)
def test_rejects_bad_hyperparameters(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
