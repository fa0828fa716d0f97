"""Stages of a run: multigrid levels of the optimizer, then any polishing stage.

Multigrid (``multigrid=m``) optimizes angles on ``m`` grids, each half the
size of the next (rounded up); level ``k`` starts from the previous level's
angles repeated onto its grid. Every level is judged by the exact statistics
of the full-resolution field (the coarse angles are repeated onto it), so a
coarse level is a low-dimensional search for the large-scale arrangement,
not a different problem with approximated targets. The optimizers provide
their stages (:meth:`~mcrkit.engine.optimizers.base.Optimizer.stages`, and
:meth:`~mcrkit.engine.optimizers.annealing.Annealing.polish_stage` for the
low-temperature annealing of a gradient result); the engine treats a polishing
stage as one more level.

Examples
--------
>>> level_shapes((64, 48), 3)
[(16, 12), (32, 24), (64, 48)]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mcrkit.engine.objective import Objective
    from mcrkit.engine.optimizers.base import Optimizer

__all__ = ["Stage", "level_shapes"]


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
        Builds the stage's optimizer (afresh for every session of a resumed run).
    max_iter : int
        Iteration budget of the stage (0: the stage only prepares the labels).
    prepare : callable, optional
        Applied once to the discrete labels when the stage begins (a topology
        repair before a topology-preserving polish,
        :func:`~mcrkit.morphology.network_repair.repair_networks`, or alone,
        :func:`~mcrkit.morphology.particle_repair.repair_particles`).
    objective : Objective, optional
        What this stage minimizes, where it differs from the run's objective (a
        polish matching other descriptors than the gradient run before it).
    """

    shape: tuple[int, ...]
    make_optimizer: Callable[[], Optimizer]
    max_iter: int
    prepare: Callable[[np.ndarray], np.ndarray] | None = None
    objective: Objective | None = None
