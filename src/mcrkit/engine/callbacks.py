"""Callbacks: what happens around the optimizer loop (progress, limits, recording).

The engine (:func:`~mcrkit.engine.loop.optimize`) calls the hooks of every
callback, in the order the callbacks are given:

======================  ==============================================================
hook                    called
======================  ==============================================================
``on_start(state)``     once, before the first iteration
``__call__(state)``     after every iteration; a callback returning True stops the run
                        (every callback is still called for that iteration)
``on_stage_end(state)`` when a stage (multigrid level, polishing) ends by its budget or
                        convergence, not when the run is stopped
``on_end(state, s)``    once, with the run's status ``s``, also after a stop or Ctrl-C
======================  ==============================================================

A plain function ``f(state) -> bool | None`` works as a callback too (its
``__call__``). Recording the convergence and checkpointing are callbacks as well
(:mod:`mcrkit.engine.record`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["Callback", "IterationState", "ProgressBar", "TimeLimit", "as_callbacks"]


@dataclass
class IterationState:
    """What callbacks see after an iteration.

    Attributes
    ----------
    iteration : int
        Iterations completed so far, over all multigrid levels.
    total_iterations : int
        Iteration budget over all levels.
    level : int
        Multigrid level (0 = the coarsest; the last is the full grid).
    n_levels : int
        Number of multigrid levels.
    level_iteration : int
        Iterations completed on the current level.
    loss : float
        Objective (unscaled) of the relaxed field.
    evaluations : int
        Objective evaluations so far (line searches may spend several per iteration).
    elapsed : float
        Seconds spent optimizing, including earlier sessions of a resumed run.
    theta : Tensor
        Current angles of the relaxed field (on the level's grid); do not modify.
    details : dict of str to float
        What the optimizer reports besides the loss (e.g. the temperature and
        the accepted and rejected moves of annealing).
    """

    iteration: int
    total_iterations: int
    level: int
    n_levels: int
    level_iteration: int
    loss: float
    evaluations: int
    elapsed: float
    theta: torch.Tensor
    details: dict[str, float] = field(default_factory=dict)


class Callback:
    """Base class of callbacks; every hook is optional."""

    def on_start(self, state: IterationState) -> None:
        """Called once before the first iteration (``state.theta`` is the start point; its
        ``loss`` is NaN unless a resumed run has a history)."""

    def __call__(self, state: IterationState) -> bool | None:
        """Called after every iteration; return True to stop the run."""
        return None

    def on_stage_end(self, state: IterationState) -> None:
        """Called when a stage ends by its iteration budget or its convergence test."""

    def on_end(self, state: IterationState, status: str) -> None:
        """Called once when the run ends, with the reason (see :mod:`~mcrkit.engine.loop`)."""


class _FunctionCallback(Callback):
    def __init__(self, fn: Callable[[IterationState], bool | None]) -> None:
        self.fn = fn

    def __call__(self, state: IterationState) -> bool | None:
        return self.fn(state)


def as_callbacks(callbacks: Any) -> list[Callback]:
    """Normalize None, one callback or an iterable of callbacks/functions to a list."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    if not isinstance(callbacks, Iterable):
        raise TypeError(f"callbacks must be callables or Callback objects, got {callbacks!r}")
    out = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(cb):
            out.append(_FunctionCallback(cb))
        else:
            raise TypeError(f"callbacks must be callables or Callback objects, got {cb!r}")
    return out


class ProgressBar(Callback):
    """A progress bar on stderr (:func:`mcrkit.runtime.progress_bar`): iteration, level, loss
    and time left."""

    def __init__(self, description: str = "reconstruct") -> None:
        self.description = description
        self._bar: Any = None

    def on_start(self, state: IterationState) -> None:
        from mcrkit.runtime import progress_bar

        self._bar = progress_bar(total=state.total_iterations, initial=state.iteration,
                                 desc=self.description, unit="it", dynamic_ncols=True,
                                 leave=True)

    def __call__(self, state: IterationState) -> bool | None:
        if self._bar is not None:
            self._bar.update(state.iteration - self._bar.n)
            postfix = {"loss": f"{state.loss:.3e}"}
            if state.n_levels > 1:
                postfix["level"] = f"{state.level + 1}/{state.n_levels}"
            if "temperature" in state.details:
                postfix["T"] = f"{state.details['temperature']:.2e}"
            self._bar.set_postfix(postfix, refresh=False)
        return None

    def on_end(self, state: IterationState, status: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix({"loss": f"{state.loss:.3e}", "status": status})
            self._bar.close()
            self._bar = None


class TimeLimit(Callback):
    """Stop once the run has spent ``seconds`` optimizing (resumed time included)."""

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"time_limit must be positive seconds, got {seconds!r}")
        self.seconds = float(seconds)
        self.reached = False

    def __call__(self, state: IterationState) -> bool | None:
        self.reached = state.elapsed >= self.seconds
        return self.reached


class Clock:
    """Wall time of a run, continuing from the time spent in earlier sessions."""

    def __init__(self, offset: float = 0.0) -> None:
        self._start = time.perf_counter() - offset

    def __call__(self) -> float:
        return time.perf_counter() - self._start
