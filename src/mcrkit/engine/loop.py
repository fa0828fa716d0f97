"""The optimization loop: an optimizer per stage, the callbacks around it.

:func:`optimize` runs the stages of a run (:mod:`mcrkit.engine.stages`) from a
:class:`RunState` and reports every iteration to the callbacks
(:mod:`mcrkit.engine.callbacks`); recording the convergence and checkpoints are
callbacks too (:mod:`mcrkit.engine.record`). A run ends with one status:

=================  =========================================================
``max_iter``       the iteration budget of the last stage was used up
``converged``      the optimizer met its own convergence test on the last stage
``stopped``        a callback asked to stop (e.g. a time limit)
``interrupted``    Ctrl-C (KeyboardInterrupt); the state is kept for a resume
=================  =========================================================

Examples
--------
Two stages of gradient descent on a quadratic, with a callback that counts:

>>> import torch
>>> from mcrkit.engine.optimizers import SGD
>>> from mcrkit.engine.stages import Stage
>>> def fn(x):
...     return (x**2).sum(), 2 * x
>>> stages = [Stage((1,), lambda: SGD(learning_rate=0.25, momentum=0.0), 3)] * 2
>>> seen = []
>>> state, status = optimize(fn, stages, RunState(theta=torch.ones(1, 1)),
...                          callbacks=[lambda s: seen.append(s.iteration)])
>>> status, seen, state.theta
('max_iter', [1, 2, 3, 4, 5, 6], tensor([[0.0156]]))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from mcrkit.descriptors.base import one_hot
from mcrkit.engine.callbacks import Clock, IterationState, as_callbacks
from mcrkit.engine.field import labels_from_params, params_from_field
from mcrkit.engine.objective import upsample
from mcrkit.engine.optimizers.base import Optimizer
from mcrkit.engine.stages import Stage
from mcrkit.io.convergence import Convergence

__all__ = ["RunState", "optimize"]


@dataclass
class RunState:
    """Everything a run needs to continue: written to checkpoints, restored on resume.

    Attributes
    ----------
    theta : Tensor
        Angles on the current stage's grid.
    level : int
        Current stage (multigrid level or polishing).
    level_iteration : int
        Iterations completed in the current stage.
    iteration : int
        Iterations completed over all stages.
    optimizer_state : dict
        The optimizer's :meth:`~Optimizer.state_dict` for the current stage.
    convergence : Convergence
        History and snapshots recorded so far (:mod:`mcrkit.engine.record`).
    elapsed : float
        Seconds spent optimizing.
    evaluations : int
        Objective evaluations.
    optimizer : Optimizer or None
        The current stage's optimizer while the loop runs (not saved).
    """

    theta: torch.Tensor
    level: int = 0
    level_iteration: int = 0
    iteration: int = 0
    optimizer_state: dict[str, Any] = field(default_factory=dict)
    convergence: Convergence = field(default_factory=Convergence)
    elapsed: float = 0.0
    evaluations: int = 0
    optimizer: Optimizer | None = field(default=None, repr=False, compare=False)

    @property
    def loss(self) -> float:
        """Last recorded loss (NaN before the first iteration)."""
        losses = self.convergence.history["loss"]
        return float(losses[-1]) if losses else math.nan

    def next_stage(self, stage: Stage) -> None:
        """Move on to the next stage: its grid, and its preparation of the labels."""
        self.level, self.level_iteration, self.optimizer_state = self.level + 1, 0, {}
        self.theta = upsample(self.theta, stage.shape).contiguous()
        if stage.prepare is not None:
            labels = stage.prepare(labels_from_params(self.theta))
            field = one_hot(labels, self.theta.shape[0] + 1, dtype=self.theta.dtype,
                            device=self.theta.device)
            self.theta = params_from_field(field).contiguous()


def optimize(objective: Callable[[torch.Tensor], Any], stages: Sequence[Stage],
             state: RunState, *, callbacks: Any = ()) -> tuple[RunState, str]:
    """Run (or continue) the stages from ``state``, calling the callbacks' hooks.

    ``objective`` is what the optimizers minimize (an
    :class:`~mcrkit.engine.objective.Objective`, or any ``fn(x) -> (value,
    gradient)``, whose values are then the reported losses). Returns the final
    state (updated in place) and the status (see the module docstring).
    """
    callbacks, clock = as_callbacks(callbacks), Clock(state.elapsed)
    offset = state.evaluations - getattr(objective, "evaluations", 0)
    unscaled = getattr(objective, "unscaled", float)
    last = _report(state, stages, state.loss)
    for cb in callbacks:
        cb.on_start(last)
    while True:
        stage, stop = stages[state.level], False
        state.optimizer = stage.make_optimizer()
        state.optimizer.load_state_dict(state.optimizer_state, device=state.theta.device)

        def on_iteration(i: int, theta: torch.Tensor, value: float) -> bool:
            nonlocal last, stop
            state.theta, state.level_iteration, state.iteration = theta, i, state.iteration + 1
            state.elapsed = clock()
            state.evaluations = offset + getattr(objective, "evaluations", 0)
            last = _report(state, stages, unscaled(float(value)),
                           state.optimizer.iteration_record())
            stop = any([bool(cb(last)) for cb in callbacks])
            return stop

        try:
            if stage.max_iter:  # a stage of no iterations only prepares the labels
                state.optimizer.minimize(objective if stage.objective is None
                                         else stage.objective, state.theta,
                                         max_iter=stage.max_iter,
                                         on_iteration=on_iteration,
                                         start_iteration=state.level_iteration)
            status = "stopped" if stop else (
                "max_iter" if state.level_iteration >= stage.max_iter else "converged")
        except KeyboardInterrupt:
            status = "interrupted"
        state.optimizer_state, state.elapsed = state.optimizer.state_dict(), clock()
        if status in ("stopped", "interrupted"):
            break
        for cb in callbacks:
            cb.on_stage_end(last)
        if state.level + 1 == len(stages):
            break
        state.next_stage(stages[state.level + 1])
    for cb in callbacks:
        cb.on_end(last, status)
    return state, status


def _report(state: RunState, stages: Sequence[Stage], loss: float,
            details: dict[str, float] | None = None) -> IterationState:
    """What callbacks see of ``state``."""
    return IterationState(state.iteration, sum(s.max_iter for s in stages), state.level,
                          len(stages), state.level_iteration, loss, state.evaluations,
                          state.elapsed, state.theta, details or {})
