"""The optimization loop: multigrid levels around any optimizer, with callbacks.

Multigrid (``multigrid=m``) optimizes angles on ``m`` grids, each half the
size of the next (rounded up); level ``k`` starts from the previous level's
angles repeated onto its grid. Every level is judged by the exact statistics
of the full-resolution field (the coarse angles are repeated onto it), so a
coarse level is a low-dimensional search for the large-scale arrangement,
not a different problem with approximated targets.

A run ends with one status:

============  =========================================================
``max_iter``   the iteration budget of the last level was used up
``converged``  the optimizer met its own convergence test on the last level
``stopped``    a callback asked to stop (e.g. a time limit)
``interrupted``  Ctrl-C (KeyboardInterrupt); the state is kept for a resume
============  =========================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from mcrkit.reconstruction.callbacks import Callback, Clock, IterationState
from mcrkit.reconstruction.field import labels_from_params
from mcrkit.reconstruction.objective import Objective, upsample
from mcrkit.reconstruction.optimizers.base import Optimizer

__all__ = ["RunState", "level_shapes", "optimize"]

HISTORY_KEYS = ("iteration", "level", "loss", "evaluations", "elapsed")


def level_shapes(shape: tuple[int, ...], multigrid: int) -> list[tuple[int, ...]]:
    """Grid of each multigrid level, coarsest first, the last being ``shape``."""
    if isinstance(multigrid, bool) or not isinstance(multigrid, int | np.integer) or multigrid < 1:
        raise ValueError(f"multigrid must be a positive integer (levels), got {multigrid!r}")
    if multigrid > 1 and min(shape) < 2 ** (multigrid - 1):
        raise ValueError(
            f"multigrid={multigrid} halves the grid {multigrid - 1} times, more than the "
            f"smallest side of {tuple(shape)} allows; use multigrid <= "
            f"{int(math.log2(min(shape))) + 1}"
        )
    return [tuple(math.ceil(s / 2**m) for s in shape) for m in range(multigrid - 1, -1, -1)]


@dataclass
class RunState:
    """Everything a run needs to continue: written to checkpoints, restored on resume.

    Attributes
    ----------
    theta : Tensor
        Angles on the current level's grid.
    level : int
        Current multigrid level.
    level_iteration : int
        Iterations completed on the current level.
    optimizer_state : dict
        The optimizer's :meth:`~Optimizer.state_dict` for the current level.
    history : dict of str to list
        Per iteration: ``iteration``, ``level``, ``loss``, ``evaluations``, ``elapsed``.
    snapshots : list of ndarray
        Discrete full-grid labels taken during the run.
    snapshot_iterations : list of int
        Iteration of each snapshot.
    elapsed : float
        Seconds spent optimizing.
    evaluations : int
        Objective evaluations.
    """

    theta: torch.Tensor
    level: int = 0
    level_iteration: int = 0
    optimizer_state: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    snapshots: list[np.ndarray] = field(default_factory=list)
    snapshot_iterations: list[int] = field(default_factory=list)
    elapsed: float = 0.0
    evaluations: int = 0

    @property
    def iteration(self) -> int:
        """Iterations completed over all levels."""
        return len(self.history["iteration"])


def optimize(objective: Objective, make_optimizer: Callable[[], Optimizer], state: RunState, *,
             shape: tuple[int, ...], multigrid: int, max_iter: int,
             callbacks: Sequence[Callback] = (), snapshot_every: int = 0,
             checkpoint: Callable[[RunState], None] | None = None,
             checkpoint_every: float = 60.0) -> tuple[RunState, str]:
    """Run (or continue) the optimization described by ``state``.

    Parameters
    ----------
    objective : Objective
        Value and gradient of angles on any level's grid.
    make_optimizer : callable
        Builds a fresh optimizer (one per level).
    state : RunState
        Start point; a resumed run passes the state of its checkpoint.
    shape : tuple of int
        Full grid.
    multigrid : int
        Number of levels.
    max_iter : int
        Iteration budget of every level.
    callbacks : sequence of Callback
        Called after every iteration; one returning True stops the run.
    snapshot_every : int
        Keep the discrete labels every this many iterations (0: only at the
        end of each level).
    checkpoint : callable, optional
        Writes a checkpoint of the state; called at most every
        ``checkpoint_every`` seconds and when the run is interrupted.

    Returns
    -------
    (RunState, str)
        The final state and the status (see the module docstring).
    """
    shapes = level_shapes(shape, multigrid)
    clock = Clock(state.elapsed)
    base_evaluations = state.evaluations - objective.evaluations
    total = max_iter * len(shapes)
    last_checkpoint = clock()
    status = "max_iter"

    def snapshot() -> None:
        if state.snapshot_iterations[-1:] != [state.iteration]:
            state.snapshots.append(labels_from_params(upsample(state.theta, shape)))
            state.snapshot_iterations.append(state.iteration)

    def report(loss: float) -> IterationState:
        return IterationState(state.iteration, total, state.level, len(shapes),
                              state.level_iteration, loss, state.evaluations, state.elapsed,
                              state.theta)

    start = report(state.history["loss"][-1] if state.history["loss"] else math.nan)
    for cb in callbacks:
        cb.on_start(start)
    last = start
    while state.level < len(shapes):
        optimizer = make_optimizer()
        optimizer.load_state_dict(state.optimizer_state, device=state.theta.device)
        stop_requested = False

        def on_iteration(i: int, x: torch.Tensor, value: float,
                         optimizer: Optimizer = optimizer) -> bool:
            nonlocal last, last_checkpoint, stop_requested
            state.theta, state.level_iteration = x, i
            state.elapsed = clock()
            state.evaluations = base_evaluations + objective.evaluations
            loss = value / objective.scale
            for key, entry in zip(HISTORY_KEYS, (state.iteration + 1, state.level, loss,
                                                 state.evaluations, state.elapsed), strict=True):
                state.history[key].append(entry)
            if snapshot_every and state.iteration % snapshot_every == 0:
                snapshot()
            last = report(loss)
            stop_requested = any([bool(cb(last)) for cb in callbacks])
            if checkpoint is not None and clock() - last_checkpoint >= checkpoint_every:
                state.optimizer_state = optimizer.state_dict()
                checkpoint(state)
                last_checkpoint = clock()
            return stop_requested

        try:
            optimizer.minimize(objective, state.theta, max_iter=max_iter,
                               on_iteration=on_iteration, start_iteration=state.level_iteration)
        except KeyboardInterrupt:
            state.optimizer_state = optimizer.state_dict()
            state.elapsed = clock()
            status = "interrupted"
            break
        state.optimizer_state = optimizer.state_dict()
        state.elapsed = clock()
        if stop_requested:
            status = "stopped"
            break
        status = "max_iter" if state.level_iteration >= max_iter else "converged"
        snapshot()
        if state.level + 1 == len(shapes):
            break
        state.level += 1
        state.level_iteration = 0
        state.optimizer_state = {}
        state.theta = upsample(state.theta, shapes[state.level]).contiguous()
    if status in ("stopped", "interrupted"):
        snapshot()
        if checkpoint is not None and status == "interrupted":
            checkpoint(state)
    for cb in callbacks:
        cb.on_end(last, status)
    return state, status
