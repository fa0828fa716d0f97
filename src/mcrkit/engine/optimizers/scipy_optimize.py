"""Quasi-Newton and truncated-Newton methods of :func:`scipy.optimize.minimize`.

scipy works on a flat float64 vector on the host: every evaluation copies the
iterate to the field's device and dtype and the gradient back (about
``0.25 us`` per variable and iteration of scipy's own cost, see DESIGN.md), so
the device-native :class:`~mcrkit.engine.optimizers.LBFGS` is the
faster choice for large 3D fields; these stay available for parity with MCRpy.
The field parametrization is unconstrained, so no bounds are passed. scipy's
internal state cannot be saved: a resumed run restarts from the saved iterate.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import torch

from mcrkit.engine.optimizers.base import IterationCallback, Optimizer, ValueAndGradient

__all__ = ["LBFGSB", "TNC", "ScipyOptimizer"]


@dataclasses.dataclass(kw_only=True)
class ScipyOptimizer(Optimizer):
    """Base class for wrappers of :func:`scipy.optimize.minimize`.

    Subclasses set the class attribute ``method`` (scipy's method name) and
    translate their hyperparameters in :meth:`_options`.
    """

    method: ClassVar[str]

    def __post_init__(self) -> None:
        self._evaluations = 0

    def state_bytes(self, x_bytes: int) -> int:
        # float64 host copies: scipy's work arrays (L-BFGS-B: 2 m + 5 vectors) and ours
        return 2 * (2 * getattr(self, "history_size", 10) + 8) * x_bytes

    def _options(self, n_iter: int) -> dict[str, Any]:
        """scipy's ``options`` for a run of at most ``n_iter`` iterations."""
        raise NotImplementedError

    def minimize(self, fn: ValueAndGradient, x0: torch.Tensor, *, max_iter: int,
                 on_iteration: IterationCallback, start_iteration: int = 0) -> torch.Tensor:
        import scipy.optimize  # ~0.3 s: only for runs that use it, not for optimizer lookups

        n_iter = max_iter - start_iteration
        if n_iter < 1:
            return x0.detach().clone()

        def to_tensor(x: np.ndarray) -> torch.Tensor:
            return torch.tensor(x, dtype=x0.dtype, device=x0.device).reshape(x0.shape)

        last: dict[str, Any] = {}  # the latest evaluation, so callbacks need not repeat it
        stopped: list[torch.Tensor] = []
        iteration = start_iteration

        def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = fn(to_tensor(x))
            self._evaluations += 1
            last.update(x=x.copy(), value=float(value))
            return last["value"], grad.detach().to("cpu", torch.float64).numpy().ravel().copy()

        def callback(xk: np.ndarray) -> None:
            nonlocal iteration
            iteration += 1
            value = last["value"] if np.array_equal(xk, last["x"]) else value_and_grad(xk)[0]
            x = to_tensor(xk)
            if on_iteration(iteration, x, value) or iteration >= max_iter:
                stopped.append(x)
                raise StopIteration

        flat = x0.detach().to("cpu", torch.float64).numpy().ravel().copy()
        try:
            result = scipy.optimize.minimize(value_and_grad, flat, jac=True, method=self.method,
                                             callback=callback, options=self._options(n_iter))
        except StopIteration:  # scipy's TNC lets the callback's StopIteration through
            pass
        return stopped[0] if stopped else to_tensor(result.x)


@dataclasses.dataclass(kw_only=True)
class LBFGSB(ScipyOptimizer):
    """scipy's L-BFGS-B in float64 on the host (parity with MCRpy's default).

    Byrd, Lu, Nocedal & Zhu, SIAM J. Sci. Comput. 16, 1190 (1995); run
    without bounds it is plain L-BFGS with a More-Thuente line search.

    Parameters
    ----------
    history_size : int
        Number of curvature pairs kept (scipy's ``maxcor``).
    tolerance_grad : float
        Stop when the largest gradient entry falls below this value (``gtol``).
    tolerance_change : float
        Stop when the relative decrease of the objective in one iteration
        falls below this value (``ftol``).
    max_line_search : int
        Objective evaluations one line search may spend (``maxls``).

    Examples
    --------
    >>> import torch
    >>> from mcrkit.engine.optimizers import LBFGSB
    >>> def fn(x):
    ...     return ((x - 1) ** 2).sum(), 2 * (x - 1)
    >>> values = []
    >>> x = LBFGSB().minimize(fn, torch.zeros(3), max_iter=100,
    ...                       on_iteration=lambda i, x, value: values.append(value) or False)
    >>> x, values[-1]
    (tensor([1., 1., 1.]), 0.0)
    """

    name = "lbfgsb"
    aliases = ("L-BFGS-B", "LBFGSB", "lbfgs_scipy")
    method = "L-BFGS-B"

    history_size: int = 10
    tolerance_grad: float = 1e-5
    tolerance_change: float = 2.220446049250313e-09
    max_line_search: int = 20

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.history_size < 1:
            raise ValueError(f"lbfgsb: history_size must be >= 1, got {self.history_size}")
        if self.max_line_search < 1:
            raise ValueError(f"lbfgsb: max_line_search must be >= 1, got {self.max_line_search}")

    def state_bytes(self, x_bytes: int) -> int:
        # float64 host copies: scipy's work arrays (L-BFGS-B: 2 m + 5 vectors) and ours
        return 2 * (2 * getattr(self, "history_size", 10) + 8) * x_bytes

    def _options(self, n_iter: int) -> dict[str, Any]:
        return {"maxiter": n_iter, "maxfun": np.iinfo(np.int32).max,
                "maxcor": self.history_size, "gtol": self.tolerance_grad,
                "ftol": self.tolerance_change, "maxls": self.max_line_search}


@dataclasses.dataclass(kw_only=True)
class TNC(ScipyOptimizer):
    """scipy's truncated Newton method (TNC) in float64 on the host.

    Nash, SIAM J. Numer. Anal. 21, 770 (1984): each iteration solves the
    Newton system approximately by conjugate gradients, with Hessian-vector
    products from gradient differences (one evaluation per inner iteration).

    Parameters
    ----------
    tolerance_grad : float
        Stop when the projected gradient falls below this value (``gtol``);
        negative: scipy's default.
    tolerance_change : float
        Stop when the objective changes by less than this value (``ftol``);
        negative: scipy's default.
    max_cg_iterations : int
        Inner conjugate-gradient iterations per Newton step (``maxCGit``);
        -1: ``max(1, min(50, n / 2))`` for ``n`` variables.
    """

    name = "tnc"
    aliases = ("TNC",)
    method = "TNC"

    tolerance_grad: float = -1.0
    tolerance_change: float = -1.0
    max_cg_iterations: int = -1

    def state_bytes(self, x_bytes: int) -> int:
        # float64 host copies: scipy's work arrays (L-BFGS-B: 2 m + 5 vectors) and ours
        return 2 * (2 * getattr(self, "history_size", 10) + 8) * x_bytes

    def _options(self, n_iter: int) -> dict[str, Any]:
        # TNC has no iteration limit of its own (the callback enforces it);
        # its evaluation limit must not cut a run short.
        return {"maxfun": np.iinfo(np.int32).max, "gtol": self.tolerance_grad,
                "ftol": self.tolerance_change, "maxCGit": self.max_cg_iterations}
