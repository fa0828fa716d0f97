"""Limited-memory BFGS in PyTorch: state and arithmetic stay on the field's device.

Nocedal & Wright, *Numerical Optimization* (2006), Algorithm 7.4 (two-loop
recursion) with a strong Wolfe line search (first trial step 1); a pair
``(s, y)`` enters the memory only when its curvature ``s.y`` is positive, so
the implicit Hessian approximation stays positive definite. Memory cost:
``2 * history_size`` pairs in the history's dtype and about six tensors of the size of
``x`` (the iterate, its gradient, the direction and the line search's points).

The pairs of large problems are kept in bfloat16 (``history_dtype="auto"``), half the
memory of float32: at 512^3 the float32 history alone takes 10.7 GB, the largest part of a
run. Every dot product and update of the two-loop recursion is computed in the iterate's
dtype from the stored pairs, and a pair enters the memory only if its stored form has
positive curvature, so the directions are exactly those of L-BFGS with the rounded pairs:
descent directions, as with float32 pairs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from mcrkit.engine.optimizers.base import IterationCallback, Optimizer, ValueAndGradient
from mcrkit.engine.optimizers.line_search import strong_wolfe

__all__ = ["LBFGS", "LOW_PRECISION_ABOVE"]

LOW_PRECISION_ABOVE = 2**25
"""Iterates with more entries than this keep the pairs in bfloat16 with
``history_dtype="auto"`` (a two-phase 322^3 volume; 256^3 stays in float32)."""

ITERATE_COPIES = 6
"""Tensors of the iterate's size L-BFGS holds besides the pairs while it evaluates: the
iterate, its gradient, the direction, and the gradients of two line-search points and the
point being evaluated."""

FLAT_BELOW = 0.01
"""A flattened loss (``tolerance_change``) ends a run only below this fraction of the first
iteration's loss: 3D runs from pymks_ms_64x64_1 flatten near 0.04 % of it, while a 256^3
volume from alloy_resized.npy stayed at 2.29e-2 from its third to its fifth iteration, barely
below its second (2.53e-2), long before it had found the structure."""

_HISTORY_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclasses.dataclass(kw_only=True)
class LBFGS(Optimizer):
    """Limited-memory BFGS on the device (PyTorch), resumable from checkpoints (default).

    Parameters
    ----------
    history_size : int
        Number of curvature pairs kept.
    initial_step : float
        Largest change of any logit in the first iteration.
    armijo : float
        Sufficient-decrease constant of the strong Wolfe line search.
    max_evaluations : int
        Objective evaluations one line search may spend.
    tolerance_grad : float
        Stop when the largest gradient entry falls below this value.
    history_dtype : {"auto", "float32", "bfloat16"}
        dtype of the stored pairs; ``"auto"``: bfloat16 for iterates of more than
        :data:`LOW_PRECISION_ABOVE` entries, else the iterate's dtype.
    tolerance_change : float
        Stop when the loss fell by less than this fraction of its value over the last
        ``patience`` iterations (0: never; the loss has flattened), once it is below
        :data:`FLAT_BELOW` times the loss of the first iteration (a plateau on the way
        down, where the optimizer has not yet found the structure, does not count).
    patience : int
        Iterations over which ``tolerance_change`` is judged.
    """

    name = "lbfgs"
    aliases = ("LBFGS",)
    resumable = True

    history_size: int = 10
    initial_step: float = 1.0
    armijo: float = 1e-4
    max_evaluations: int = 25
    tolerance_grad: float = 1e-7
    history_dtype: str = "auto"
    tolerance_change: float = 0.0
    patience: int = 10

    def __post_init__(self) -> None:
        if self.history_size < 1:
            raise ValueError(f"lbfgs: history_size must be >= 1, got {self.history_size}")
        if self.history_dtype not in ("auto", *_HISTORY_DTYPES):
            raise ValueError(f"lbfgs: history_dtype must be 'auto', 'float32' or 'bfloat16', "
                             f"got {self.history_dtype!r}")
        if not 0 <= self.tolerance_change < 1:
            raise ValueError(f"lbfgs: tolerance_change must be in [0, 1), got "
                             f"{self.tolerance_change}")
        if self.patience < 1:
            raise ValueError(f"lbfgs: patience must be >= 1, got {self.patience}")
        self._s: list[torch.Tensor] = []
        self._y: list[torch.Tensor] = []
        self._losses: list[float] = []  # the last patience + 1 losses
        self._first_loss: float | None = None
        self._evaluations = 0

    def state_bytes(self, x_bytes: int) -> int:
        """The pairs (in the dtype chosen for an iterate of ``x_bytes`` float32 bytes) and the
        iterate, gradient, direction and the line search's points (6 copies)."""
        # the run's iterate is float32: x_bytes // 4 entries
        pair = x_bytes // 2 if self._pair_dtype(x_bytes // 4, torch.float32) == torch.bfloat16 \
            else x_bytes
        return 2 * self.history_size * pair + ITERATE_COPIES * x_bytes

    def _pair_dtype(self, entries: int, dtype: torch.dtype) -> torch.dtype:
        """dtype of the stored pairs for an iterate of ``entries`` entries in ``dtype``."""
        if self.history_dtype == "auto":
            return torch.bfloat16 if entries > LOW_PRECISION_ABOVE else dtype
        return _HISTORY_DTYPES[self.history_dtype]

    def _direction(self, grad: torch.Tensor) -> torch.Tensor:
        if not self._s:
            return -grad * (self.initial_step / grad.abs().max().clamp_min(1e-30))
        q = grad.clone()
        alphas = []
        for s, y in zip(reversed(self._s), reversed(self._y), strict=True):
            s, y = s.to(q.dtype), y.to(q.dtype)
            rho = 1.0 / torch.dot(y.flatten(), s.flatten())
            alpha = rho * torch.dot(s.flatten(), q.flatten())
            q.sub_(alpha * y)
            alphas.append((rho, alpha))
        s, y = self._s[-1].to(q.dtype), self._y[-1].to(q.dtype)
        q.mul_(torch.dot(s.flatten(), y.flatten()) / torch.dot(y.flatten(), y.flatten()))
        for (s, y), (rho, alpha) in zip(zip(self._s, self._y, strict=True), reversed(alphas),
                                        strict=True):
            beta = rho * torch.dot(y.to(q.dtype).flatten(), q.flatten())
            q.add_(s.to(q.dtype) * (alpha - beta))
        return -q

    def _remember(self, s: torch.Tensor, y: torch.Tensor) -> None:
        work = s.dtype
        stored = self._pair_dtype(s.numel(), work)
        s, y = s.to(stored), y.to(stored)
        wide_s, wide_y = s.to(work).flatten(), y.to(work).flatten()
        curvature = torch.dot(wide_s, wide_y)
        if curvature > 1e-10 * torch.dot(wide_y, wide_y):
            self._s.append(s)
            self._y.append(y)
            if len(self._s) > self.history_size:
                self._s.pop(0)
                self._y.pop(0)

    def minimize(self, fn: ValueAndGradient, x0: torch.Tensor, *, max_iter: int,
                 on_iteration: IterationCallback, start_iteration: int = 0) -> torch.Tensor:
        x = x0.detach().clone()
        value, grad = fn(x)
        self._evaluations += 1
        for iteration in range(start_iteration + 1, max_iter + 1):
            if grad.abs().max() <= self.tolerance_grad:
                break
            direction = self._direction(grad)
            slope = torch.dot(grad.flatten(), direction.flatten())
            if slope >= 0:  # not a descent direction: forget the curvature and restart
                self._s.clear()
                self._y.clear()
                direction = self._direction(grad)
                slope = torch.dot(grad.flatten(), direction.flatten())
            found = strong_wolfe(fn, x, value, grad, direction, c1=self.armijo,
                                 max_evaluations=self.max_evaluations)
            self._evaluations += found.evaluations
            if found.step == 0.0:
                if not self._s:
                    break  # no decrease even along the scaled gradient: converged
                self._s.clear()  # stale curvature: retry along the gradient
                self._y.clear()
                continue
            candidate, new_value, new_grad = found.x, found.value, found.grad
            self._remember(candidate - x, new_grad - grad)
            x, value, grad = candidate, new_value, new_grad
            flattened = self._flattened(float(value))  # recorded before a checkpoint
            if on_iteration(iteration, x, float(value)) or flattened:
                break
        return x

    def _flattened(self, value: float) -> bool:
        """Record ``value``; whether the loss fell by less than ``tolerance_change`` of its
        value over the last ``patience`` iterations."""
        self._losses = [*self._losses[-self.patience:], value]
        self._first_loss = value if self._first_loss is None else self._first_loss
        if (not self.tolerance_change or len(self._losses) <= self.patience
                or value > FLAT_BELOW * self._first_loss):
            return False
        before = self._losses[0]
        return before - value <= self.tolerance_change * abs(before)

    def state_dict(self) -> dict[str, Any]:
        return {
            "s": [t.detach().cpu() for t in self._s],
            "y": [t.detach().cpu() for t in self._y],
            "evaluations": self._evaluations,
            "losses": list(self._losses),
            "first_loss": self._first_loss,
        }

    def load_state_dict(self, state: dict[str, Any], device: str | torch.device = "cpu") -> None:
        self._s = [t.to(device) for t in state.get("s", [])]
        self._y = [t.to(device) for t in state.get("y", [])]
        self._evaluations = int(state.get("evaluations", 0))
        self._losses = [float(v) for v in state.get("losses", [])]
        first = state.get("first_loss")
        self._first_loss = None if first is None else float(first)
