"""Recording a run: the convergence record and checkpoints, as callbacks of the loop.

:class:`Recorder` fills a :class:`~mcrkit.io.convergence.Convergence` (history
after every iteration, snapshots every ``every`` iterations, at the end of each
stage and when the run is stopped); :class:`Checkpointer` writes the run state
at most every ``every`` seconds and when the run is interrupted. Give the
recorder before the callbacks that may stop the run and the checkpointer
last, so that a checkpoint holds the record of its own iteration.

Examples
--------
>>> import torch
>>> from mcrkit.engine.callbacks import IterationState
>>> record = Convergence()
>>> recorder = Recorder(record, (2, 2), every=2)
>>> for i in (1, 2, 3):
...     _ = recorder(IterationState(i, 3, 0, 1, i, 1.0 / i, i, 0.1 * i, torch.zeros(1, 2, 2)))
>>> record.history["loss"], record.snapshot_iterations
([1.0, 0.5, 0.3333333333333333], [2])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mcrkit.engine.callbacks import Callback, IterationState
from mcrkit.engine.field import field_snapshot
from mcrkit.engine.objective import upsample
from mcrkit.io.convergence import Convergence, Snapshot

if TYPE_CHECKING:
    from mcrkit.engine.loop import RunState

__all__ = ["Checkpointer", "Convergence", "Recorder", "Snapshot"]


class Recorder(Callback):
    """Record every iteration into ``convergence``; snapshots of the full grid ``shape``.

    Parameters
    ----------
    convergence : Convergence
        The record to extend (a resumed run's continues).
    shape : tuple of int
        Full grid (coarse angles are repeated onto it for snapshots).
    every : int, optional
        Take a snapshot every this many iterations (0: only at the end of each stage
        and when the run stops).
    """

    def __init__(self, convergence: Convergence, shape: tuple[int, ...], every: int = 0) -> None:
        self.convergence, self.shape, self.every = convergence, tuple(shape), every

    def __call__(self, state: IterationState) -> None:
        self.convergence.append({"iteration": state.iteration, "level": state.level,
                                 "loss": state.loss, "evaluations": state.evaluations,
                                 "elapsed": state.elapsed, **state.details})
        if self.every and state.iteration % self.every == 0:
            self.snapshot(state)

    def on_stage_end(self, state: IterationState) -> None:
        self.snapshot(state)

    def on_end(self, state: IterationState, status: str) -> None:
        if status in ("stopped", "interrupted"):
            self.snapshot(state)

    def snapshot(self, state: IterationState) -> None:
        """Keep the labels and relaxed field of ``state`` (once per iteration)."""
        if self.convergence.snapshot_iterations[-1:] != [state.iteration]:
            labels, fractions = field_snapshot(upsample(state.theta, self.shape))
            self.convergence.add_snapshot(Snapshot(state.iteration, labels, fractions))


class Checkpointer(Callback):
    """Write ``state`` with ``write`` every ``every`` seconds of optimization and on Ctrl-C.

    Parameters
    ----------
    state : RunState
        The state the loop updates (its optimizer's state is taken at each write).
    write : callable
        Writes a checkpoint, e.g. :meth:`mcrkit.io.rundir.RunDirectory.write_state`.
    every : float
        Seconds between checkpoints (0: after every iteration).
    """

    def __init__(self, state: RunState, write: Callable[[RunState], None],
                 every: float) -> None:
        self.state, self.write, self.every = state, write, every
        self.last = state.elapsed

    def __call__(self, state: IterationState) -> None:
        if state.elapsed - self.last >= self.every:
            if self.state.optimizer is not None:
                self.state.optimizer_state = self.state.optimizer.state_dict()
            self.write(self.state)
            self.last = state.elapsed

    def on_end(self, state: IterationState, status: str) -> None:
        if status == "interrupted":
            self.write(self.state)
