"""The optimization loop on a quadratic: stages, statuses and the callbacks' hook contract."""

from __future__ import annotations

import math

import pytest
import torch

from mcrkit.engine.callbacks import Callback, IterationState
from mcrkit.engine.loop import RunState, optimize
from mcrkit.engine.optimizers import SGD
from mcrkit.engine.stages import Stage, level_shapes


def quadratic(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) = sum x^2: gradient descent with step 1/4 halves x every iteration."""
    return (x**2).sum(), 2 * x


def descent() -> SGD:
    return SGD(learning_rate=0.25, momentum=0.0)


class Log(Callback):
    """Writes every hook call to a shared list."""

    def __init__(self, name: str, calls: list, stop_at: int | None = None) -> None:
        self.name, self.calls, self.stop_at = name, calls, stop_at

    def on_start(self, state: IterationState) -> None:
        self.calls.append((self.name, "start", state.iteration))

    def __call__(self, state: IterationState) -> bool:
        self.calls.append((self.name, "iteration", state.iteration))
        return state.iteration == self.stop_at

    def on_stage_end(self, state: IterationState) -> None:
        self.calls.append((self.name, "stage_end", state.iteration))

    def on_end(self, state: IterationState, status: str) -> None:
        self.calls.append((self.name, status, state.iteration))


def test_two_stages_run_their_budgets_on_their_grids() -> None:
    stages = [Stage((1, 1), descent, 3), Stage((2, 2), descent, 2)]
    seen: list[IterationState] = []
    state, status = optimize(quadratic, stages, RunState(theta=torch.ones(1, 1, 1)),
                             callbacks=seen.append)
    assert status == "max_iter"
    assert [(s.iteration, s.level, s.level_iteration) for s in seen] == [
        (1, 0, 1), (2, 0, 2), (3, 0, 3), (4, 1, 1), (5, 1, 2)]
    assert all(s.total_iterations == 5 and s.n_levels == 2 for s in seen)
    # the coarse angle 1/8 is repeated onto the 2 x 2 grid, then halved twice
    torch.testing.assert_close(state.theta, torch.full((1, 2, 2), 0.5**5))
    assert [s.loss for s in seen[:3]] == [0.25, 0.0625, 0.015625]  # value of the new iterate
    assert state.iteration == 5 and state.level == 1 and state.level_iteration == 2


def test_a_stage_with_an_objective_of_its_own_minimizes_that_one() -> None:
    # the second stage minimizes sum (x - 1)^2 instead: step 1/4 halves the distance to 1
    def shifted(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return ((x - 1) ** 2).sum(), 2 * (x - 1)

    stages = [Stage((1,), descent, 2), Stage((1,), descent, 2, objective=shifted)]
    seen: list[IterationState] = []
    state, _ = optimize(quadratic, stages, RunState(theta=torch.ones(1, 1)),
                        callbacks=seen.append)
    # 1 -> 1/2 -> 1/4 on x^2, then 1/4 -> 5/8 -> 13/16 on (x - 1)^2
    torch.testing.assert_close(state.theta, torch.full((1, 1), 13 / 16))
    assert [s.loss for s in seen] == [0.25, 0.0625, (3 / 8) ** 2, (3 / 16) ** 2]


def test_hooks_are_called_in_order_and_every_callback_sees_the_stopping_iteration() -> None:
    calls: list = []
    stages = [Stage((1,), descent, 2), Stage((1,), descent, 5)]
    state, status = optimize(quadratic, stages, RunState(theta=torch.ones(1, 1)),
                             callbacks=[Log("a", calls, stop_at=3), Log("b", calls)])
    assert status == "stopped" and state.iteration == 3
    assert calls == [
        ("a", "start", 0), ("b", "start", 0),
        ("a", "iteration", 1), ("b", "iteration", 1),
        ("a", "iteration", 2), ("b", "iteration", 2),
        ("a", "stage_end", 2), ("b", "stage_end", 2),
        ("a", "iteration", 3), ("b", "iteration", 3),  # b is called although a stops
        ("a", "stopped", 3), ("b", "stopped", 3),  # no stage end when stopped
    ]


def test_ctrl_c_ends_the_run_as_interrupted_with_the_state_kept() -> None:
    def interrupt(state: IterationState) -> None:
        if state.iteration == 2:
            raise KeyboardInterrupt

    calls: list = []
    state, status = optimize(quadratic, [Stage((1,), descent, 10)],
                             RunState(theta=torch.ones(1, 1)),
                             callbacks=[interrupt, Log("log", calls)])
    assert status == "interrupted"
    assert state.iteration == state.level_iteration == 2
    assert calls[-1] == ("log", "interrupted", 2)
    torch.testing.assert_close(state.theta, torch.full((1, 1), 0.25))


def test_a_converged_optimizer_ends_the_run_as_converged() -> None:
    def fn(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (x * 0).sum(), torch.zeros_like(x)  # zero gradient: torch's SGD keeps going,

    from mcrkit.engine.optimizers import LBFGS  # L-BFGS stops at once

    state, status = optimize(fn, [Stage((1,), LBFGS, 20)], RunState(theta=torch.ones(1, 1)))
    assert status == "converged" and state.level_iteration < 20


def test_a_resumed_state_continues_its_stage_and_its_counts() -> None:
    full, _ = optimize(quadratic, [Stage((1,), descent, 4)], RunState(theta=torch.ones(1, 1)))
    half, _ = optimize(quadratic, [Stage((1,), descent, 2)], RunState(theta=torch.ones(1, 1)))
    seen: list[int] = []
    more, status = optimize(quadratic, [Stage((1,), descent, 4)], half,
                            callbacks=lambda s: seen.append(s.iteration))
    assert status == "max_iter" and seen == [3, 4]
    torch.testing.assert_close(more.theta, full.theta)


def test_start_loss_is_nan_without_a_record() -> None:
    starts: list[float] = []

    class Start(Callback):
        def on_start(self, state: IterationState) -> None:
            starts.append(state.loss)

    optimize(quadratic, [Stage((1,), descent, 1)], RunState(theta=torch.ones(1, 1)),
             callbacks=Start())
    assert math.isnan(starts[0])


def test_level_shapes_halve_the_grid_and_refuse_too_many_levels() -> None:
    assert level_shapes((5, 8), 2) == [(3, 4), (5, 8)]
    with pytest.raises(ValueError, match="multigrid=4 halves the grid 3 times"):
        level_shapes((6, 6), 4)


def test_time_limit_stops_by_the_elapsed_time_it_is_shown() -> None:
    from mcrkit.engine.callbacks import TimeLimit

    limit = TimeLimit(1.0)
    state = RunState(theta=torch.ones(1, 1))
    stops = [limit(IterationState(1, 9, 0, 1, 1, 0.0, 1, elapsed, state.theta))
             for elapsed in (0.2, 0.99, 1.0, 3.0)]
    assert stops == [False, False, True, True] and limit.reached
    with pytest.raises(ValueError, match="time_limit must be positive seconds"):
        TimeLimit(0)
