"""The optimization loop: stages (multigrid levels, polishing) around any optimizer.

Multigrid (``multigrid=m``) optimizes angles on ``m`` grids, each half the
size of the next (rounded up); level ``k`` starts from the previous level's
angles repeated onto its grid. Every level is judged by the exact statistics
of the full-resolution field (the coarse angles are repeated onto it), so a
coarse level is a low-dimensional search for the large-scale arrangement,
not a different problem with approximated targets. A run may end with a
polishing stage on the full grid with another optimizer (e.g. low-temperature
annealing of the discrete result); the engine treats it as one more level.

A run ends with one status:

============  =========================================================
``max_iter``   the iteration budget of the last stage was used up
``converged``  the optimizer met its own convergence test on the last stage
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

from mcrkit.engine.callbacks import Callback, Clock, IterationState
from mcrkit.engine.field import field_snapshot
from mcrkit.engine.objective import Objective, upsample
from mcrkit.engine.optimizers.base import Optimizer

__all__ = ["RunState", "Stage", "level_shapes", "optimize"]

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


@dataclass(frozen=True)
class Stage:
    """One stage of a run: an optimizer working on angles on one grid.

    Attributes
    ----------
    shape : tuple of int
        Grid of the angles (a multigrid level's, or the full grid).
    make_optimizer : callable
        Builds the stage's optimizer.
    max_iter : int
        Iteration budget of the stage.
    """

    shape: tuple[int, ...]
    make_optimizer: Callable[[], Optimizer]
    max_iter: int


@dataclass
class RunState:
    """Everything a run needs to continue: written to checkpoints, restored on resume.

    Attributes
    ----------
    theta : Tensor
        Angles on the current level's grid.
    level : int
        Current stage (multigrid level or polishing).
    level_iteration : int
        Iterations completed in the current stage.
    optimizer_state : dict
        The optimizer's :meth:`~Optimizer.state_dict` for the current stage.
    history : dict of str to list
        Per iteration: ``iteration``, ``level``, ``loss``, ``evaluations``, ``elapsed``, and
        what the optimizer adds (:meth:`~Optimizer.iteration_record`, e.g. the
        temperature of annealing; NaN in iterations of other optimizers).
    snapshots : list of ndarray
        Discrete full-grid labels taken during the run.
    snapshot_iterations : list of int
        Iteration of each snapshot.
    snapshot_fields : list of ndarray
        The relaxed field at each snapshot: ``(P, *shape)`` uint8 phase fractions in
        steps of 1/255 (:func:`~mcrkit.engine.field.field_snapshot`).
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
    snapshot_fields: list[np.ndarray] = field(default_factory=list)
    elapsed: float = 0.0
    evaluations: int = 0

    @property
    def iteration(self) -> int:
        """Iterations completed over all levels."""
        return len(self.history["iteration"])


def optimize(objective: Objective, stages: Sequence[Stage], state: RunState, *,
             shape: tuple[int, ...], callbacks: Sequence[Callback] = (),
             snapshot_every: int = 0, checkpoint: Callable[[RunState], None] | None = None,
             checkpoint_every: float = 60.0) -> tuple[RunState, str]:
    """Run (or continue) the optimization described by ``state``.

    Parameters
    ----------
    objective : Objective
        Value and gradient of angles on any stage's grid.
    stages : sequence of Stage
        Multigrid levels, coarsest first, then any polishing stage.
    state : RunState
        Start point; a resumed run passes the state of its checkpoint.
    shape : tuple of int
        Full grid.
    callbacks : sequence of Callback
        Called after every iteration; one returning True stops the run.
    snapshot_every : int
        Keep the discrete labels every this many iterations (0: only at the
        end of each stage).
    checkpoint : callable, optional
        Writes a checkpoint of the state; called at most every
        ``checkpoint_every`` seconds and when the run is interrupted.

    Returns
    -------
    (RunState, str)
        The final state and the status (see the module docstring).
    """
    clock = Clock(state.elapsed)
    base_evaluations = state.evaluations - objective.evaluations
    total = sum(stage.max_iter for stage in stages)
    last_checkpoint = clock()
    status = "max_iter"

    def snapshot() -> None:
        if state.snapshot_iterations[-1:] != [state.iteration]:
            labels, fractions = field_snapshot(upsample(state.theta, shape))
            state.snapshots.append(labels)
            state.snapshot_fields.append(fractions)
            state.snapshot_iterations.append(state.iteration)

    def report(loss: float, details: dict[str, float] | None = None) -> IterationState:
        return IterationState(state.iteration, total, state.level, len(stages),
                              state.level_iteration, loss, state.evaluations, state.elapsed,
                              state.theta, details or {})

    start = report(state.history["loss"][-1] if state.history["loss"] else math.nan)
    for cb in callbacks:
        cb.on_start(start)
    last = start
    while state.level < len(stages):
        stage = stages[state.level]
        optimizer = stage.make_optimizer()
        optimizer.load_state_dict(state.optimizer_state, device=state.theta.device)
        stop_requested = False

        def on_iteration(i: int, x: torch.Tensor, value: float,
                         optimizer: Optimizer = optimizer) -> bool:
            nonlocal last, last_checkpoint, stop_requested
            state.theta, state.level_iteration = x, i
            state.elapsed = clock()
            state.evaluations = base_evaluations + objective.evaluations
            loss = value / objective.scale
            details = optimizer.iteration_record()
            _record(state.history, {**dict(zip(HISTORY_KEYS, (
                state.iteration + 1, state.level, loss, state.evaluations, state.elapsed),
                strict=True)), **details})
            if snapshot_every and state.iteration % snapshot_every == 0:
                snapshot()
            last = report(loss, details)
            stop_requested = any([bool(cb(last)) for cb in callbacks])
            if checkpoint is not None and clock() - last_checkpoint >= checkpoint_every:
                state.optimizer_state = optimizer.state_dict()
                checkpoint(state)
                last_checkpoint = clock()
            return stop_requested

        try:
            optimizer.minimize(objective, state.theta, max_iter=stage.max_iter,
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
        status = "max_iter" if state.level_iteration >= stage.max_iter else "converged"
        snapshot()
        if state.level + 1 == len(stages):
            break
        state.level += 1
        state.level_iteration = 0
        state.optimizer_state = {}
        state.theta = upsample(state.theta, stages[state.level].shape).contiguous()
    if status in ("stopped", "interrupted"):
        snapshot()
        if checkpoint is not None and status == "interrupted":
            checkpoint(state)
    for cb in callbacks:
        cb.on_end(last, status)
    return state, status


def _record(history: dict[str, list[float]], entries: dict[str, float]) -> None:
    """Append one iteration's entries; keys new to the history are NaN before, and keys
    missing from ``entries`` NaN now."""
    done = len(history["iteration"])
    for key, value in entries.items():
        history.setdefault(key, [math.nan] * done).append(value)
    for values in history.values():
        if len(values) == done:
            values.append(math.nan)
